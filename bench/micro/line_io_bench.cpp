// The stream line reader (common/line_io.h) over an object's NDJSON, and
// the line writer to /dev/null.
#include "bench/micro/sample_lines.h"
#include "bench/micro/temp_stream.h"
#include "common/line_io.h"

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

namespace {

void BM_LineReader_Read(benchmark::State& state) {
  auto lines = c42::bench::sample_lines(20000);
  lines.push_back(c42::bench::long_line(150 << 10));
  const auto text = c42::bench::joined(lines);
  c42::bench::TempStream input(text);
  for (auto _ : state) {
    input.rewind();
    c42::LineReader reader(input.fd());
    std::string_view line;
    size_t seen = 0;
    while (true) {
      auto more = reader.next(&line);
      if (!more.ok() || !*more) break;
      seen += line.size();
    }
    benchmark::DoNotOptimize(seen);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * lines.size()));
}
BENCHMARK(BM_LineReader_Read)->Unit(benchmark::kMillisecond);

void BM_LineWriter_WriteLine(benchmark::State& state) {
  const auto lines = c42::bench::sample_lines(20000);
  size_t bytes = 0;
  for (const auto& line : lines)
    bytes += line.size() + 1;
  int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  for (auto _ : state) {
    c42::LineWriter writer(devnull);
    for (const auto& line : lines)
      benchmark::DoNotOptimize(writer.write_line(line));
    benchmark::DoNotOptimize(writer.flush());
  }
  ::close(devnull);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * lines.size()));
}
BENCHMARK(BM_LineWriter_WriteLine)->Unit(benchmark::kMillisecond);

} // namespace
