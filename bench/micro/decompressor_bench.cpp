// Inflating an export (common/decompressor.h) fed in pieces of the sizes a
// download delivers, from 4 KiB to 1 MiB: the floor every stage after it
// is measured against.
#include "bench/micro/sample_lines.h"
#include "common/decompressor.h"

#include <algorithm>
#include <benchmark/benchmark.h>
#include <cstdio>
#include <cstdlib>
#include <zlib.h>

namespace {

// gzip at zlib's default level, as exporters write it.
std::string gzip(const std::string& text) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    std::abort();
  std::string out(deflateBound(&z, text.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

const std::string& object_text() {
  static const std::string text = [] {
    auto lines = c42::bench::sample_lines(20000);
    lines.push_back(c42::bench::long_line(150 << 10));
    return c42::bench::joined(lines);
  }();
  return text;
}

void BM_Decompressor_Gzip(benchmark::State& state) {
  static const std::string compressed = gzip(object_text());
  const size_t piece = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    size_t out = 0;
    c42::Decompressor d([&out](const char*, size_t size) {
      out += size;
      return true;
    });
    for (size_t at = 0; at < compressed.size(); at += piece) {
      auto status = d.feed(compressed.data() + at, std::min(piece, compressed.size() - at));
      if (!status.ok()) state.SkipWithError("feed failed");
    }
    if (!d.finish().ok() || out != object_text().size()) state.SkipWithError("finish failed");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * object_text().size()));
  state.counters["ratio"] = static_cast<double>(object_text().size()) / compressed.size();
}
BENCHMARK(BM_Decompressor_Gzip)
    ->RangeMultiplier(4)
    ->Range(4 << 10, 1 << 20)
    ->Unit(benchmark::kMillisecond);

} // namespace
