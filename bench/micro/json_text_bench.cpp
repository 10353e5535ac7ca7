// JSON string escaping (common/json_text.h): what s3-fetch does to every
// line, over short event lines and a long one.
#include "bench/micro/sample_lines.h"
#include "common/json_text.h"

#include <benchmark/benchmark.h>

namespace {

void escape_lines(benchmark::State& state, const std::vector<std::string>& lines) {
  size_t bytes = 0;
  for (const auto& line : lines)
    bytes += line.size();
  std::string out;
  for (auto _ : state) {
    for (const auto& line : lines) {
      out.clear();
      benchmark::DoNotOptimize(c42::append_json_string(out, line));
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * lines.size()));
}

void BM_AppendJsonString_EventLines(benchmark::State& state) {
  escape_lines(state, c42::bench::sample_lines(1000));
}
BENCHMARK(BM_AppendJsonString_EventLines);

void BM_AppendJsonString_LongLine(benchmark::State& state) {
  escape_lines(state, {c42::bench::long_line(static_cast<size_t>(state.range(0)))});
}
BENCHMARK(BM_AppendJsonString_LongLine)->Arg(50 << 10)->Arg(200 << 10);

void BM_AppendJsonString_Ascii(benchmark::State& state) {
  escape_lines(state, {std::string(static_cast<size_t>(state.range(0)), 'a')});
}
BENCHMARK(BM_AppendJsonString_Ascii)->Arg(1 << 10)->Arg(64 << 10);

void BM_IsValidUtf8_EventLines(benchmark::State& state) {
  auto lines = c42::bench::sample_lines(1000);
  size_t bytes = 0;
  for (const auto& line : lines)
    bytes += line.size();
  for (auto _ : state)
    for (const auto& line : lines)
      benchmark::DoNotOptimize(c42::is_valid_utf8(line));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_IsValidUtf8_EventLines);

} // namespace
