// Built only when CMake found ISA-L (C42_HAVE_ISAL); see gzip_inflater.h.
#include "common/gzip_inflater.h"

#include <algorithm>
#include <cstring>
#include <isa-l/igzip_lib.h>
#include <string>
#include <zlib.h>

namespace c42 {

std::unique_ptr<GzipInflater> make_isal_inflater();

namespace {

// ISA-L counts input and output in 32-bit fields.
constexpr size_t kMaxIsalBytes = size_t{1} << 30;

// The words zlib uses where ISA-L means the same, so a message does not
// depend on the build; ISA-L reports a bad CRC-32 and a bad ISIZE alike.
// (ISAL_INVALID_WRAPPER and ISAL_UNSUPPORTED_METHOD concern headers, which
// GzipHeaderReader reads, but are named in case.)
std::string describe(int rc) {
  switch (rc) {
  case ISAL_INVALID_BLOCK:
    return "invalid deflate block";
  case ISAL_INVALID_SYMBOL:
    return "invalid code";
  case ISAL_INVALID_LOOKBACK:
    return "invalid distance too far back";
  case ISAL_INVALID_WRAPPER:
    return "incorrect header";
  case ISAL_UNSUPPORTED_METHOD:
    return "unknown compression method";
  case ISAL_INCORRECT_CHECKSUM:
    return "incorrect data check (CRC-32 or length)";
  default:
    return "ISA-L inflate error " + std::to_string(rc);
  }
}

// A gzip member header (RFC 1952 section 2.3), read here rather than by ISA-L:
// ISA-L 2.30 reports a correct FHCRC as wrong when the header arrives in
// pieces (and Decompressor always hands over the magic bytes alone), and it
// accepts the reserved flag bits that zlib and gzip refuse. The checks and
// their words are zlib's.
class GzipHeaderReader {
public:
  // Takes header bytes from the front of in; says how many. done() once the
  // whole header was read.
  Result<size_t> read(const unsigned char* in, size_t size) {
    size_t used = 0;
    while (used < size && part_ != kDone) {
      const unsigned char* p = in + used;
      const size_t left = size - used;
      const Part part = part_;
      size_t take = 0;
      switch (part) {
      case kFixed:
      case kExtraLength:
      case kHeaderCrc: {
        const size_t need = part == kFixed ? 10 : 2;
        take = std::min(need - have_, left);
        std::memcpy(field_ + have_, p, take);
        have_ += take;
        if (have_ == need) {
          Status st = field_complete();
          if (!st) return st.error();
        }
        break;
      }
      case kExtra:
        take = std::min(extra_left_, left);
        extra_left_ -= take;
        if (extra_left_ == 0) advance();
        break;
      case kName:
      case kComment: {
        const void* nul = std::memchr(p, 0, left);
        take = nul ? static_cast<const unsigned char*>(nul) - p + 1 : left;
        if (nul) advance();
        break;
      }
      case kDone:
        break;
      }
      // The header CRC covers every header byte before it.
      if (part != kHeaderCrc) crc_ = crc32(crc_, p, static_cast<uInt>(take));
      used += take;
    }
    return used;
  }

  bool done() const { return part_ == kDone; }

private:
  enum Part { kFixed, kExtraLength, kExtra, kName, kComment, kHeaderCrc, kDone };

  Status field_complete() {
    have_ = 0;
    const unsigned value16 = field_[0] | field_[1] << 8;
    switch (part_) {
    case kFixed:
      if (field_[2] != Z_DEFLATED) return make_error("unknown compression method");
      if (field_[3] & 0xe0) return make_error("unknown header flags set");
      flags_ = field_[3];
      break;
    case kExtraLength:
      extra_left_ = value16;
      break;
    case kHeaderCrc:
      if (value16 != (crc_ & 0xffff)) return make_error("header crc mismatch");
      break;
    default:
      break;
    }
    advance();
    return Status::success();
  }

  // On to the next part the flags say is present.
  void advance() {
    for (;;) {
      part_ = static_cast<Part>(part_ + 1);
      bool present = part_ == kDone || (part_ == kExtraLength && (flags_ & 4)) ||
                     (part_ == kExtra && extra_left_ > 0) || (part_ == kName && (flags_ & 8)) ||
                     (part_ == kComment && (flags_ & 16)) || (part_ == kHeaderCrc && (flags_ & 2));
      if (present) return;
    }
  }

  Part part_ = kFixed;
  unsigned char field_[10] = {};
  size_t have_ = 0; // bytes of the fixed-size field in field_
  unsigned flags_ = 0;
  size_t extra_left_ = 0;
  uLong crc_ = crc32(0, nullptr, 0);
};

class IsalInflater final : public GzipInflater {
public:
  IsalInflater() { isal_inflate_init(&state_); }

  Status start_member() override {
    header_ = GzipHeaderReader();
    isal_inflate_reset(&state_);
    // Deflate data then the CRC-32 and ISIZE trailer, both checked.
    state_.crc_flag = ISAL_GZIP_NO_HDR_VER;
    return Status::success();
  }

  Result<Step> inflate(const unsigned char* in, size_t in_size, unsigned char* out,
                       size_t out_size) override {
    size_t header_bytes = 0;
    if (!header_.done()) {
      Result<size_t> used = header_.read(in, in_size);
      if (!used) return used.error();
      header_bytes = *used;
      in += header_bytes;
      in_size -= header_bytes;
      if (!header_.done()) return Step{header_bytes, 0, false};
    }
    in_size = std::min(in_size, kMaxIsalBytes);
    out_size = std::min(out_size, kMaxIsalBytes);
    state_.next_in = const_cast<unsigned char*>(in); // never written through
    state_.avail_in = static_cast<uint32_t>(in_size);
    state_.next_out = out;
    state_.avail_out = static_cast<uint32_t>(out_size);
    int rc = isal_inflate(&state_);
    if (rc != ISAL_DECOMP_OK) return make_error(describe(rc));
    Step step;
    // At the member's end ISA-L hands back what it had read ahead, so
    // next_in is the first byte after the trailer.
    step.consumed = header_bytes + in_size - state_.avail_in;
    step.produced = out_size - state_.avail_out;
    step.member_end = state_.block_state == ISAL_BLOCK_FINISH;
    return step;
  }

private:
  GzipHeaderReader header_;
  inflate_state state_{};
};

} // namespace

std::unique_ptr<GzipInflater> make_isal_inflater() {
  return std::make_unique<IsalInflater>();
}

} // namespace c42
