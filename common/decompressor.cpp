#include "common/decompressor.h"

#include "common/gzip_inflater.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

namespace c42 {

namespace {
constexpr unsigned char kGzipMagic0 = 0x1f;
constexpr unsigned char kGzipMagic1 = 0x8b;
} // namespace

struct Decompressor::Impl {
  enum class State { Detect, Plain, Member, Between, Padding, Finished, Failed };

  Impl(Sink s, InflateBackend b) : sink(std::move(s)), backend(b) {}

  Sink sink;
  State state = State::Detect;
  bool gzip = false;
  // The magic bytes seen so far while the format (or, between members, the
  // next member) is undecided; a feed may stop after a single byte.
  unsigned char magic[2] = {0, 0};
  size_t magic_len = 0;
  InflateBackend backend;
  std::unique_ptr<GzipInflater> inflater; // made at the first gzip member
  std::unique_ptr<unsigned char[]> out;
  uint64_t members = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  Error error;

  Status fail(std::string message) {
    state = State::Failed;
    error = make_error(std::move(message));
    return error;
  }

  Status emit(const unsigned char* data, size_t size) {
    while (size > 0) {
      size_t piece = std::min(size, kChunkBytes);
      bytes_out += piece;
      if (sink && !sink(reinterpret_cast<const char*>(data), piece))
        return fail("decompression aborted by the output consumer");
      data += piece;
      size -= piece;
    }
    return Status::success();
  }

  Status start_member() {
    if (!inflater) {
      inflater = make_gzip_inflater(backend);
      if (!inflater)
        return fail(std::string("the ") + inflate_backend_name(backend) +
                    " inflate backend is not built in");
      out.reset(new unsigned char[kChunkBytes]);
    }
    Status st = inflater->start_member();
    if (!st) return fail(st.error().message);
    state = State::Member;
    magic_len = 0;
    return Status::success();
  }

  // Inflates from data until it is used up or the current member ends;
  // *used says how much of data belonged to the member.
  Status inflate_some(const unsigned char* data, size_t size, size_t* used) {
    *used = 0;
    for (;;) {
      Result<GzipInflater::Step> step =
          inflater->inflate(data + *used, size - *used, out.get(), kChunkBytes);
      if (!step) return fail("gzip data is corrupt: " + step.error().message);
      *used += step->consumed;
      if (step->produced > 0) {
        Status st = emit(out.get(), step->produced);
        if (!st) return st;
      }
      if (step->member_end) {
        ++members;
        state = State::Between;
        magic_len = 0;
        break;
      }
      if (step->consumed == 0 && step->produced == 0) break; // wants more input
      // A full output buffer may hide more pending output even when the input
      // is used up, so only stop once inflate had room to spare.
      if (*used == size && step->produced < kChunkBytes) break;
    }
    return Status::success();
  }

  Status garbage_after_member() {
    return fail("data after gzip member " + std::to_string(members) +
                " is neither another gzip member nor zero padding");
  }

  Status feed(const unsigned char* p, size_t n) {
    if (state == State::Failed) return error;
    if (state == State::Finished) return fail("feed() called after finish()");
    bytes_in += n;
    while (n > 0) {
      Status st;
      switch (state) {
      case State::Detect:
        magic[magic_len++] = *p++;
        --n;
        if (magic[0] != kGzipMagic0 || (magic_len == 2 && magic[1] != kGzipMagic1)) {
          state = State::Plain;
          st = emit(magic, magic_len);
        } else if (magic_len == 2) {
          gzip = true;
          st = start_member();
          size_t used = 0;
          if (st) st = inflate_some(magic, 2, &used);
        }
        break;
      case State::Plain:
        st = emit(p, n);
        n = 0;
        break;
      case State::Member: {
        size_t used = 0;
        st = inflate_some(p, n, &used);
        if (st && used == 0 && state == State::Member)
          st = fail("gzip data is corrupt: inflate made no progress");
        p += used;
        n -= used;
        break;
      }
      case State::Between:
        if (magic_len == 0 && *p == 0) {
          state = State::Padding;
          break;
        }
        magic[magic_len++] = *p++;
        --n;
        if (magic[0] != kGzipMagic0 || (magic_len == 2 && magic[1] != kGzipMagic1)) {
          st = garbage_after_member();
        } else if (magic_len == 2) {
          st = start_member();
          size_t used = 0;
          if (st) st = inflate_some(magic, 2, &used);
        }
        break;
      case State::Padding:
        if (std::find_if(p, p + n, [](unsigned char c) { return c != 0; }) != p + n)
          st = fail("non-zero data after the zero padding that follows gzip member " +
                    std::to_string(members));
        n = 0;
        break;
      case State::Finished:
      case State::Failed:
        return error;
      }
      if (!st) return st;
    }
    return Status::success();
  }

  Status finish() {
    switch (state) {
    case State::Failed:
      return error;
    case State::Finished:
      return Status::success();
    case State::Detect: {
      // Empty input, or the lone byte 1f: too short to be gzip either way.
      state = State::Plain;
      Status st = emit(magic, magic_len);
      if (!st) return st;
      break;
    }
    case State::Member:
      return fail("gzip stream truncated");
    case State::Between:
      if (magic_len > 0) return fail("gzip stream truncated");
      break;
    case State::Plain:
    case State::Padding:
      break;
    }
    state = State::Finished;
    return Status::success();
  }
};

Decompressor::Decompressor(Sink sink) : Decompressor(std::move(sink), default_inflate_backend()) {}
Decompressor::Decompressor(Sink sink, InflateBackend backend)
    : impl_(std::make_unique<Impl>(std::move(sink), backend)) {}
Decompressor::~Decompressor() = default;
Decompressor::Decompressor(Decompressor&&) noexcept = default;
Decompressor& Decompressor::operator=(Decompressor&&) noexcept = default;

Status Decompressor::feed(const char* data, size_t size) {
  return impl_->feed(reinterpret_cast<const unsigned char*>(data), size);
}

Status Decompressor::finish() {
  return impl_->finish();
}

bool Decompressor::detected() const {
  return impl_->state != Impl::State::Detect;
}
bool Decompressor::is_gzip() const {
  return impl_->gzip;
}
uint64_t Decompressor::members() const {
  return impl_->members;
}
uint64_t Decompressor::bytes_in() const {
  return impl_->bytes_in;
}
uint64_t Decompressor::bytes_out() const {
  return impl_->bytes_out;
}

} // namespace c42
