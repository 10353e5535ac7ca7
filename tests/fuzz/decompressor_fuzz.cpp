// Objects as S3 delivers them: gzip (single, multi-member, padded, truncated,
// corrupt) or plain, in pieces of any size, through the line splitter.
#include "common/decompressor.h"
#include "common/line_splitter.h"
#include "tests/fuzz/fuzz_support.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace c42;
  fuzz::Input input(data, size);
  const size_t piece = 1 + input.byte() * 7;
  const size_t max_line = 1 + input.byte() * 257;
  uint64_t line_bytes = 0;
  LineSplitter splitter(
      [&](std::string_view line) {
        if (line.empty() || line.size() > max_line) std::abort();
        line_bytes += line.size();
        return true;
      },
      max_line);
  Decompressor decompressor([&](const char* out, size_t n) {
    if (n > Decompressor::kChunkBytes) std::abort();
    return splitter.push(out, n).ok();
  });
  bool ok = true;
  while (ok && !input.rest().empty()) {
    std::string_view chunk = input.take(piece);
    ok = decompressor.feed(chunk.data(), chunk.size()).ok();
  }
  if (ok && decompressor.finish().ok()) (void)splitter.finish();
  if (line_bytes > decompressor.bytes_out()) std::abort(); // lines come from the output
  return 0;
}
