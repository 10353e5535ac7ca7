// Objects as S3 delivers them: gzip (single, multi-member, padded, truncated,
// corrupt) or plain, in pieces of any size, through the line splitter; with
// every inflate backend built in (zlib, and ISA-L when found), which must
// agree on what they accept and on every byte they give.
#include "common/decompressor.h"
#include "common/line_splitter.h"
#include "tests/fuzz/fuzz_support.h"

#include <cstdint>
#include <cstdlib>

namespace {

struct Outcome {
  bool ok = false;
  uint64_t bytes_out = 0;
  uint64_t members = 0;
  uint64_t hash = 14695981039346656037u; // FNV-1a of the output
};

Outcome decompress(c42::InflateBackend backend, c42::fuzz::Input input) {
  using namespace c42;
  const size_t piece = 1 + input.byte() * 7;
  const size_t max_line = 1 + input.byte() * 257;
  Outcome outcome;
  uint64_t line_bytes = 0;
  LineSplitter splitter(
      [&](std::string_view line) {
        if (line.empty() || line.size() > max_line) std::abort();
        line_bytes += line.size();
        return true;
      },
      max_line);
  Decompressor decompressor(
      [&](const char* out, size_t n) {
        if (n > Decompressor::kChunkBytes) std::abort();
        for (size_t i = 0; i < n; ++i)
          outcome.hash = (outcome.hash ^ static_cast<unsigned char>(out[i])) * 1099511628211u;
        return splitter.push(out, n).ok();
      },
      backend);
  bool ok = true;
  while (ok && !input.rest().empty()) {
    std::string_view chunk = input.take(piece);
    ok = decompressor.feed(chunk.data(), chunk.size()).ok();
  }
  outcome.ok = ok && decompressor.finish().ok();
  if (outcome.ok) (void)splitter.finish();
  if (line_bytes > decompressor.bytes_out()) std::abort(); // lines come from the output
  outcome.bytes_out = decompressor.bytes_out();
  outcome.members = decompressor.members();
  return outcome;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto backends = c42::inflate_backends();
  const Outcome first = decompress(backends.front(), c42::fuzz::Input(data, size));
  for (size_t b = 1; b < backends.size(); ++b) {
    const Outcome other = decompress(backends[b], c42::fuzz::Input(data, size));
    if (other.ok != first.ok) std::abort(); // one backend looser than the other
    if (first.ok && (other.bytes_out != first.bytes_out || other.hash != first.hash ||
                     other.members != first.members))
      std::abort();
  }
  return 0;
}
