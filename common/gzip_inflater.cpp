#include "common/gzip_inflater.h"

#include <algorithm>
#include <string>
#include <zlib.h>

namespace c42 {

#ifdef C42_HAVE_ISAL
std::unique_ptr<GzipInflater> make_isal_inflater(); // isal_inflater.cpp
#endif

namespace {

// zlib counts input in 32-bit uInt; larger inputs are taken in slices.
constexpr size_t kMaxZlibInput = size_t{1} << 30;

class ZlibInflater final : public GzipInflater {
public:
  ~ZlibInflater() override {
    if (ready_) inflateEnd(&zs_);
  }

  Status start_member() override {
    // 16 + MAX_WBITS: a gzip wrapper, its CRC-32 and ISIZE checked.
    int rc = ready_ ? inflateReset(&zs_) : inflateInit2(&zs_, 16 + MAX_WBITS);
    if (rc != Z_OK) return make_error(std::string("cannot initialise zlib: ") + zError(rc));
    ready_ = true;
    return Status::success();
  }

  Result<Step> inflate(const unsigned char* in, size_t in_size, unsigned char* out,
                       size_t out_size) override {
    in_size = std::min(in_size, kMaxZlibInput);
    out_size = std::min(out_size, kMaxZlibInput);
    zs_.next_in = const_cast<unsigned char*>(in); // zlib's API predates const
    zs_.avail_in = static_cast<uInt>(in_size);
    zs_.next_out = out;
    zs_.avail_out = static_cast<uInt>(out_size);
    int rc = ::inflate(&zs_, Z_NO_FLUSH);
    Step step;
    step.consumed = in_size - zs_.avail_in;
    step.produced = out_size - zs_.avail_out;
    step.member_end = rc == Z_STREAM_END;
    // Z_BUF_ERROR only says no progress was possible: more input is needed.
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
      return make_error(zs_.msg ? zs_.msg : zError(rc));
    return step;
  }

private:
  z_stream zs_{};
  bool ready_ = false;
};

} // namespace

std::unique_ptr<GzipInflater> make_gzip_inflater(InflateBackend backend) {
  switch (backend) {
  case InflateBackend::kZlib:
    return std::make_unique<ZlibInflater>();
  case InflateBackend::kIsal:
#ifdef C42_HAVE_ISAL
    return make_isal_inflater();
#else
    return nullptr;
#endif
  }
  return nullptr;
}

InflateBackend default_inflate_backend() {
#ifdef C42_HAVE_ISAL
  return InflateBackend::kIsal;
#else
  return InflateBackend::kZlib;
#endif
}

std::vector<InflateBackend> inflate_backends() {
#ifdef C42_HAVE_ISAL
  return {InflateBackend::kIsal, InflateBackend::kZlib};
#else
  return {InflateBackend::kZlib};
#endif
}

const char* inflate_backend_name(InflateBackend backend) {
  return backend == InflateBackend::kIsal ? "isa-l" : "zlib";
}

} // namespace c42
