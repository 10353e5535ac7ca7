// Streaming, push-style decompression of S3 objects that may or may not be
// gzip-compressed. Code42 exports arrive both ways and their keys do not
// reliably say which, so the decision is made from the bytes themselves.
#pragma once

#include "common/result.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace c42 {

// Which library inflates gzip members. zlib is always built in; ISA-L when
// the build found it (CMake option C42_ISAL), and then it is the default.
enum class InflateBackend { kZlib, kIsal };

// The backend Decompressor(Sink) uses.
InflateBackend default_inflate_backend();
// Every backend built in, the default first.
std::vector<InflateBackend> inflate_backends();
// "zlib" or "isa-l".
const char* inflate_backend_name(InflateBackend backend);

// Feed the object's bytes as they arrive, then call finish() once. Output goes
// to the sink in pieces of at most kChunkBytes, so memory use stays fixed
// however large the object is. The sink returns false to abort; feed() then
// fails and the Decompressor stays failed.
//
// Detection: an object whose first two bytes are the gzip magic 1f 8b is
// inflated; anything else passes through unchanged (including an object that
// is only the single byte 1f).
//
// Gzip handling follows what `gzip -d` accepts:
//   - concatenated members (`cat a.gz b.gz`, or writers that append a member
//     per flush) are decoded one after another into a single output;
//   - trailing NUL bytes after a complete member are ignored, because tape and
//     block-padded copies add them and gzip itself tolerates them; once padding
//     starts, only more NULs may follow;
//   - any other trailing bytes that do not start a new gzip member are an error
//     rather than silently dropped, since they mean the object is not what it
//     claims to be;
//   - input that ends inside a member is an error ("gzip stream truncated"),
//     so a partially downloaded object is never mistaken for a complete one.
//
// Errors are sticky: after one, feed() and finish() return it again.
class Decompressor {
public:
  using Sink = std::function<bool(const char* data, size_t size)>;

  // Largest single sink call; also the size of the inflate output buffer.
  static constexpr size_t kChunkBytes = 64 * 1024;

  explicit Decompressor(Sink sink);
  // The same with a chosen backend, which must be one of inflate_backends();
  // the tests run every behaviour above on each.
  Decompressor(Sink sink, InflateBackend backend);
  ~Decompressor();
  Decompressor(Decompressor&&) noexcept;
  Decompressor& operator=(Decompressor&&) noexcept;
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;

  Status feed(const char* data, size_t size);
  Status finish();

  // Whether the format has been decided yet (after two bytes, or one byte
  // that is not 1f, or finish()).
  bool detected() const;
  // True once the input was recognised as gzip.
  bool is_gzip() const;
  // Gzip members fully decoded so far.
  uint64_t members() const;
  uint64_t bytes_in() const;
  // Bytes handed to the sink.
  uint64_t bytes_out() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace c42
