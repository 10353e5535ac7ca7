// c42-transform's per-record work (common/stages/transform.h): the mapper
// alone on parsed records, and run_transform over a stream of source
// records, which adds reading and parsing each line and writing the rows.
#include "bench/micro/sample_lines.h"
#include "bench/micro/temp_stream.h"
#include "common/source_record.h"
#include "common/stages/transform.h"

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

namespace {

const c42::FixedClock kClock{c42::TimePoint{}};

c42::SourceRecord record_of(const std::string& line, uint64_t index) {
  c42::SourceRecord r;
  r.bucket = "code42-exports";
  r.key = "code42/exports/2026-11-25/file-events-0001.json.gz";
  r.event_time = "2026-11-25T01:00:00.000Z";
  r.etag = "\"9b2cf535f27731c974343645a3985328\"";
  r.index = index;
  r.line = line;
  return r;
}

void BM_Transformer_Record(benchmark::State& state) {
  std::vector<c42::SourceRecord> records;
  size_t bytes = 0;
  uint64_t i = 0;
  for (const auto& line : c42::bench::sample_lines(1000)) {
    records.push_back(record_of(line, i++));
    bytes += line.size();
  }
  c42::TransformConfig config;
  config.row_id = state.range(0) != 0;
  c42::Transformer transformer(config, kClock);
  std::string out;
  for (auto _ : state) {
    for (const auto& r : records) {
      out.clear();
      transformer.transform(r, out);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * records.size()));
}
BENCHMARK(BM_Transformer_Record)->ArgName("row_id")->Arg(0)->Arg(1);

void BM_Transformer_LongRecord(benchmark::State& state) {
  auto r = record_of(c42::bench::long_line(static_cast<size_t>(state.range(0))), 7);
  c42::Transformer transformer(c42::TransformConfig{}, kClock);
  std::string out;
  for (auto _ : state) {
    out.clear();
    transformer.transform(r, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * r.line.size()));
}
BENCHMARK(BM_Transformer_LongRecord)->Arg(50 << 10)->Arg(200 << 10);

void BM_RunTransform_Stream(benchmark::State& state) {
  const auto prefix = c42::source_record_prefix(
      "code42-exports", "code42/exports/2026-11-25/file-events-0001.json.gz",
      "2026-11-25T01:00:00.000Z", "\"9b2cf535f27731c974343645a3985328\"");
  std::string stream;
  auto lines = c42::bench::sample_lines(20000);
  for (size_t i = 0; i < lines.size(); ++i)
    c42::append_source_record(stream, prefix, i, lines[i]);
  c42::bench::TempStream input(stream);
  int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  for (auto _ : state) {
    input.rewind();
    c42::LineReader in(input.fd());
    c42::LineWriter out(devnull);
    c42::TransformStats stats;
    auto outcome = c42::run_transform(c42::TransformConfig{}, kClock, in, out, {}, &stats);
    if (outcome != c42::Outcome::kOk) state.SkipWithError("run_transform failed");
  }
  ::close(devnull);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * lines.size()));
}
BENCHMARK(BM_RunTransform_Stream)->Unit(benchmark::kMillisecond);

} // namespace
