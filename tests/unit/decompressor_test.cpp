#include "common/decompressor.h"

#include <algorithm>
#include <gtest/gtest.h>
#include <initializer_list>
#include <memory>
#include <openssl/evp.h>
#include <stdexcept>
#include <string>
#include <vector>
#include <zlib.h>

namespace c42 {
namespace {

// Streaming deflate with a gzip header, the way an exporter would write it.
class GzipWriter {
public:
  // window_bits as for deflateInit2: 16 + MAX_WBITS for gzip, -MAX_WBITS raw.
  explicit GzipWriter(int level = Z_DEFAULT_COMPRESSION, int window_bits = 16 + MAX_WBITS) {
    if (deflateInit2(&zs_, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      throw std::runtime_error("deflateInit2 failed");
  }
  ~GzipWriter() { deflateEnd(&zs_); }
  void write(std::string_view data) { run(data, Z_NO_FLUSH); }
  std::string finish() {
    run({}, Z_FINISH);
    return std::move(out_);
  }

private:
  void run(std::string_view data, int flush) {
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs_.avail_in = static_cast<uInt>(data.size());
    char buf[16384];
    int rc;
    do {
      zs_.next_out = reinterpret_cast<Bytef*>(buf);
      zs_.avail_out = sizeof buf;
      rc = deflate(&zs_, flush);
      out_.append(buf, sizeof buf - zs_.avail_out);
    } while (zs_.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
  }
  z_stream zs_{};
  std::string out_;
};

std::string gzip(std::string_view data) {
  GzipWriter w;
  w.write(data);
  return w.finish();
}

void append_le(std::string& out, uint32_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// A gzip member with every optional header field of RFC 1952 section 2.3
// (FEXTRA, FNAME, FCOMMENT, FHCRC), which zlib's own writer never sets.
std::string gzip_with_header_fields(std::string_view data, uint8_t extra_flags = 0,
                                    bool good_header_crc = true) {
  std::string member = {'\x1f', '\x8b', 8, static_cast<char>(0x1e | extra_flags)};
  append_le(member, 1700000000, 4); // MTIME
  member += {0, 3};                 // XFL, OS (Unix)
  append_le(member, 6, 2);          // XLEN: one subfield of 2 data bytes
  member += "AP";
  append_le(member, 2, 2);
  member += "xy";
  member += std::string("object.json") + '\0' + "exported" + '\0';
  uint32_t header_crc =
      crc32(0, reinterpret_cast<const Bytef*>(member.data()), static_cast<uInt>(member.size()));
  append_le(member, (header_crc & 0xffff) ^ (good_header_crc ? 0 : 1), 2);
  GzipWriter raw(Z_DEFAULT_COMPRESSION, -MAX_WBITS);
  raw.write(data);
  member += raw.finish();
  append_le(member,
            crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())),
            4);
  append_le(member, static_cast<uint32_t>(data.size()), 4);
  return member;
}

class Sha256 {
public:
  Sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
  }
  void update(const char* p, size_t n) { EVP_DigestUpdate(ctx_.get(), p, n); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &len);
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
      out.push_back(kHex[md[i] >> 4]);
      out.push_back(kHex[md[i] & 15]);
    }
    return out;
  }

private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

// Collects output and records the shape of the sink calls.
struct Collector {
  std::string data;
  size_t calls = 0;
  size_t largest_call = 0;
  Decompressor::Sink sink() {
    return [this](const char* p, size_t n) {
      data.append(p, n);
      ++calls;
      largest_call = std::max(largest_call, n);
      return true;
    };
  }
};

// Feeds input in pieces of `step` bytes (0: all at once) and finishes.
Status run(Decompressor& d, std::string_view input, size_t step = 0) {
  if (step == 0) step = std::max<size_t>(input.size(), 1);
  for (size_t i = 0; i < input.size(); i += step) {
    Status st = d.feed(input.data() + i, std::min(step, input.size() - i));
    if (!st) return st;
  }
  return d.finish();
}

std::string sample_lines(size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i)
    out += "{\"eventId\":\"" + std::to_string(i) + "\",\"user\":\"u" + std::to_string(i % 97) +
           "@example.com\"}\n";
  return out;
}

// Every behaviour holds for each inflate backend built in: zlib always, and
// ISA-L when the build found it.
class DecompressorTest : public testing::TestWithParam<InflateBackend> {};

INSTANTIATE_TEST_SUITE_P(Backends, DecompressorTest, testing::ValuesIn(inflate_backends()),
                         [](const testing::TestParamInfo<InflateBackend>& info) {
                           return info.param == InflateBackend::kIsal ? "isal" : "zlib";
                         });

TEST_P(DecompressorTest, PlainDataPassesThroughUnchanged) {
  Collector c;
  Decompressor d(c.sink(), GetParam());
  std::string text = sample_lines(50);
  ASSERT_TRUE(run(d, text));
  EXPECT_EQ(c.data, text);
  EXPECT_TRUE(d.detected());
  EXPECT_FALSE(d.is_gzip());
  EXPECT_EQ(d.bytes_in(), text.size());
  EXPECT_EQ(d.bytes_out(), text.size());
}

TEST_P(DecompressorTest, PlainDataFedOneByteAtATime) {
  Collector c;
  Decompressor d(c.sink(), GetParam());
  std::string text = "first line\nsecond line\n";
  ASSERT_TRUE(run(d, text, 1));
  EXPECT_EQ(c.data, text);
  EXPECT_FALSE(d.is_gzip());
}

TEST_P(DecompressorTest, DetectsByMagicNotByName) {
  // 1f without 8b is not gzip; neither is text that merely mentions ".gz".
  for (std::string text : {std::string("\x1f\x00rest", 6),
                           std::string("\x1f"
                                       "abc"),
                           std::string("object.json.gz\n")}) {
    Collector c;
    Decompressor d(c.sink(), GetParam());
    ASSERT_TRUE(run(d, text, 1));
    EXPECT_EQ(c.data, text);
    EXPECT_FALSE(d.is_gzip());
  }
}

TEST_P(DecompressorTest, LoneMagicByteIsPlainData) {
  Collector c;
  Decompressor d(c.sink(), GetParam());
  ASSERT_TRUE(d.feed("\x1f", 1));
  EXPECT_FALSE(d.detected()); // one byte cannot decide
  EXPECT_EQ(c.data, "");
  ASSERT_TRUE(d.finish());
  EXPECT_TRUE(d.detected());
  EXPECT_FALSE(d.is_gzip());
  EXPECT_EQ(c.data, "\x1f");
}

TEST_P(DecompressorTest, EmptyInput) {
  Collector c;
  Decompressor d(c.sink(), GetParam());
  ASSERT_TRUE(d.feed("", 0));
  ASSERT_TRUE(d.finish());
  EXPECT_EQ(c.calls, 0u);
  EXPECT_FALSE(d.is_gzip());
  EXPECT_EQ(d.bytes_out(), 0u);
}

TEST_P(DecompressorTest, SingleGzipMember) {
  std::string text = sample_lines(1000);
  std::string gz = gzip(text);
  Collector c;
  Decompressor d(c.sink(), GetParam());
  ASSERT_TRUE(run(d, gz));
  EXPECT_TRUE(d.is_gzip());
  EXPECT_EQ(d.members(), 1u);
  EXPECT_EQ(c.data, text);
  EXPECT_EQ(d.bytes_in(), gz.size());
  EXPECT_EQ(d.bytes_out(), text.size());
}

TEST_P(DecompressorTest, GzipOfEmptyContent) {
  Collector c;
  Decompressor d(c.sink(), GetParam());
  ASSERT_TRUE(run(d, gzip("")));
  EXPECT_TRUE(d.is_gzip());
  EXPECT_EQ(c.data, "");
}

TEST_P(DecompressorTest, GzipFedOneByteAtATime) {
  std::string text = sample_lines(300);
  Collector c;
  Decompressor d(c.sink(), GetParam());
  ASSERT_TRUE(d.feed(gzip(text).data(), 1)); // just 1f: undecided
  EXPECT_FALSE(d.detected());
  Decompressor d2(c.sink(), GetParam());
  ASSERT_TRUE(run(d2, gzip(text), 1));
  EXPECT_TRUE(d2.is_gzip());
  EXPECT_EQ(c.data, text);
}

TEST_P(DecompressorTest, GzipInAwkwardPieceSizes) {
  std::string text = sample_lines(5000);
  std::string gz = gzip(text);
  for (size_t step : {2u, 3u, 7u, 1000u, 4093u, 65536u, 65537u}) {
    Collector c;
    Decompressor d(c.sink(), GetParam());
    ASSERT_TRUE(run(d, gz, step)) << step;
    EXPECT_EQ(c.data, text) << step;
  }
}

// Feeds gz in pieces of each size and expects text, from `members` members.
void expect_decoded(InflateBackend backend, const std::string& gz, const std::string& text,
                    uint64_t members, std::initializer_list<size_t> steps) {
  for (size_t step : steps) {
    Collector c;
    Decompressor d(c.sink(), backend);
    ASSERT_TRUE(run(d, gz, step)) << step;
    EXPECT_EQ(c.data, text) << step;
    EXPECT_EQ(d.members(), members);
  }
}

TEST_P(DecompressorTest, MultiMemberGzipLikeCat) {
  std::string a = sample_lines(200), b = "middle\n", e = sample_lines(10);
  expect_decoded(GetParam(), gzip(a) + gzip(b) + gzip("") + gzip(e), a + b + e, 4, {0, 1, 5});
}

TEST_P(DecompressorTest, OptionalHeaderFieldsAreSkipped) {
  std::string a = sample_lines(50), b = "second\n";
  std::string gz = gzip_with_header_fields(a) + gzip(b) + gzip_with_header_fields(b);
  expect_decoded(GetParam(), gz, a + b + b, 3, {0, 1, 3, 17});
}

// The same words from either backend: ISA-L's inflater reads headers itself.
TEST_P(DecompressorTest, BadGzipHeaderIsAnError) {
  struct Case {
    std::string input, expected;
  } cases[] = {
      {gzip_with_header_fields("x\n", 0, false), "header crc mismatch"},
      {gzip_with_header_fields("x\n", 0x20), "unknown header flags set"},
      {gzip_with_header_fields("x\n", 0x80), "unknown header flags set"},
  };
  for (const Case& c : cases) {
    for (size_t step : {0u, 1u}) {
      Decompressor d(nullptr, GetParam());
      Status st = run(d, c.input, step);
      ASSERT_FALSE(st) << c.expected;
      EXPECT_EQ(st.error().message, "gzip data is corrupt: " + c.expected);
    }
  }
}

TEST_P(DecompressorTest, TrailingZeroPaddingIsTolerated) {
  std::string text = sample_lines(20);
  std::string gz = gzip(text) + std::string(512, '\0');
  for (size_t step : {0u, 1u, 100u}) {
    Collector c;
    Decompressor d(c.sink(), GetParam());
    ASSERT_TRUE(run(d, gz, step)) << step;
    EXPECT_EQ(c.data, text);
  }
}

TEST_P(DecompressorTest, DataAfterPaddingIsAnError) {
  std::string gz = gzip("a\n") + std::string(8, '\0') + gzip("b\n");
  Decompressor d(nullptr, GetParam());
  Status st = run(d, gz);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("zero padding"), std::string::npos) << st.error().message;
}

TEST_P(DecompressorTest, TrailingGarbageIsAnError) {
  for (std::string tail : {std::string("garbage"),
                           std::string("\x1f"
                                       "X"),
                           std::string("\n")}) {
    for (size_t step : {0u, 1u}) {
      Collector c;
      Decompressor d(c.sink(), GetParam());
      Status st = run(d, gzip("payload\n") + tail, step);
      ASSERT_FALSE(st);
      EXPECT_EQ(st.error().message,
                "data after gzip member 1 is neither another gzip member nor zero padding");
      EXPECT_EQ(c.data, "payload\n"); // what preceded was still delivered
    }
  }
}

TEST_P(DecompressorTest, TruncatedGzipIsAnErrorAtFinish) {
  std::string gz = gzip(sample_lines(2000));
  for (size_t keep :
       {size_t{2}, size_t{5}, size_t{10}, gz.size() / 2, gz.size() - 4, gz.size() - 1}) {
    Decompressor d(nullptr, GetParam());
    ASSERT_TRUE(d.feed(gz.data(), keep)) << keep;
    Status st = d.finish();
    ASSERT_FALSE(st) << keep;
    EXPECT_EQ(st.error().message, "gzip stream truncated");
  }
}

TEST_P(DecompressorTest, TruncatedSecondMemberIsAnError) {
  std::string second = gzip("two\n");
  for (size_t keep : {size_t{1}, size_t{2}, second.size() - 1}) {
    Decompressor d(nullptr, GetParam());
    Status st = run(d, gzip("one\n") + second.substr(0, keep));
    ASSERT_FALSE(st) << keep;
    EXPECT_EQ(st.error().message, "gzip stream truncated");
  }
}

// The message names what is wrong in zlib's words with either backend, except
// where ISA-L cannot tell: it reports a bad CRC-32 and a bad ISIZE alike, and
// any malformed deflate block alike.
TEST_P(DecompressorTest, CorruptDataIsAnError) {
  std::string gz = gzip(sample_lines(100));
  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 6] ^= 0x55; // inside the CRC32 trailer
  std::string bad_length = gz;
  bad_length[bad_length.size() - 2] ^= 0x55; // inside ISIZE
  std::string bad_method = gz;
  bad_method[2] = 9; // compression method must be 8 (deflate)
  std::string bad_block = gz;
  bad_block[10] = static_cast<char>(0xff); // first deflate block header: reserved type 3

  const std::string kIsalCheck = "incorrect data check (CRC-32 or length)";
  struct Case {
    std::string input, zlib, isal;
  } cases[] = {{bad_crc, "incorrect data check", kIsalCheck},
               {bad_length, "incorrect length check", kIsalCheck},
               {bad_method, "unknown compression method", "unknown compression method"},
               {bad_block, "invalid block type", "invalid deflate block"}};
  for (const Case& c : cases) {
    for (size_t step : {0u, 1u}) {
      Decompressor d(nullptr, GetParam());
      Status st = run(d, c.input, step);
      ASSERT_FALSE(st) << c.zlib;
      EXPECT_EQ(st.error().message,
                "gzip data is corrupt: " + (GetParam() == InflateBackend::kIsal ? c.isal : c.zlib));
    }
  }
}

TEST_P(DecompressorTest, ErrorsAreSticky) {
  Decompressor d(nullptr, GetParam());
  std::string bad = gzip("x");
  bad[2] = 9;
  Status first = d.feed(bad.data(), bad.size());
  ASSERT_FALSE(first);
  std::string good = "more";
  Status again = d.feed(good.data(), good.size());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, first.error().message);
  ASSERT_FALSE(d.finish());
}

TEST_P(DecompressorTest, SinkCanAbort) {
  for (bool compressed : {false, true}) {
    std::string text = sample_lines(10000);
    std::string input = compressed ? gzip(text) : text;
    size_t calls = 0;
    Decompressor d([&](const char*, size_t) { return ++calls < 2; }, GetParam());
    Status st = run(d, input);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().message, "decompression aborted by the output consumer");
    EXPECT_EQ(calls, 2u);
    ASSERT_FALSE(d.feed("x", 1));
    EXPECT_EQ(calls, 2u); // never called again
  }
}

TEST_P(DecompressorTest, FeedAfterFinishIsAnError) {
  Decompressor d(nullptr, GetParam());
  ASSERT_TRUE(d.feed("abc", 3));
  ASSERT_TRUE(d.finish());
  ASSERT_TRUE(d.finish()); // idempotent
  EXPECT_FALSE(d.feed("d", 1));
}

TEST_P(DecompressorTest, IsMovable) {
  Collector c;
  Decompressor a(c.sink(), GetParam());
  std::string gz = gzip("moved\n");
  ASSERT_TRUE(a.feed(gz.data(), 3));
  Decompressor b(std::move(a));
  ASSERT_TRUE(b.feed(gz.data() + 3, gz.size() - 3));
  ASSERT_TRUE(b.finish());
  EXPECT_EQ(c.data, "moved\n");
}

// 20 MB of log-like text, compressed and decompressed as streams: the content
// must survive bit for bit and no sink call may exceed the fixed buffer.
TEST_P(DecompressorTest, LargeObjectStreamsInBoundedPieces) {
  constexpr size_t kTarget = 20 * 1024 * 1024;
  GzipWriter writer;
  Sha256 expected;
  size_t plain_size = 0;
  for (size_t i = 0; plain_size < kTarget; ++i) {
    std::string chunk;
    for (size_t j = 0; j < 1000; ++j) {
      size_t n = i * 1000 + j;
      chunk += "{\"eventId\":\"" + std::to_string(n * 2654435761u % 1000003) +
               "\",\"eventType\":\"READ_BY_APP\",\"user\":\"u" + std::to_string(n % 251) +
               "@example.com\",\"size\":" + std::to_string(n % 65536) + "}\n";
    }
    expected.update(chunk.data(), chunk.size());
    writer.write(chunk);
    plain_size += chunk.size();
  }
  std::string gz = writer.finish();
  ASSERT_LT(gz.size(), plain_size / 4);

  Sha256 actual;
  size_t largest = 0, calls = 0;
  auto sink = [&](const char* p, size_t n) {
    actual.update(p, n);
    largest = std::max(largest, n);
    ++calls;
    return true;
  };
  Decompressor d(sink, GetParam());
  ASSERT_TRUE(run(d, gz, 256 * 1024));
  EXPECT_EQ(d.bytes_out(), plain_size);
  EXPECT_EQ(actual.hex(), expected.hex());
  EXPECT_LE(largest, Decompressor::kChunkBytes);
  EXPECT_GE(calls, plain_size / Decompressor::kChunkBytes);
}

// A tiny input that expands enormously is still delivered in bounded pieces,
// even when the whole compressed object arrives in one feed.
TEST_P(DecompressorTest, HighlyCompressibleInputStaysBounded) {
  constexpr size_t kSize = 20 * 1024 * 1024;
  GzipWriter writer(Z_BEST_COMPRESSION);
  std::string zeros(1024 * 1024, '\0');
  for (size_t i = 0; i < kSize / zeros.size(); ++i)
    writer.write(zeros);
  std::string gz = writer.finish();
  ASSERT_LT(gz.size(), 64u * 1024);

  size_t total = 0, largest = 0;
  bool all_zero = true;
  auto sink = [&](const char* p, size_t n) {
    total += n;
    largest = std::max(largest, n);
    all_zero = all_zero && std::all_of(p, p + n, [](char ch) { return ch == 0; });
    return true;
  };
  Decompressor d(sink, GetParam());
  ASSERT_TRUE(run(d, gz));
  EXPECT_EQ(total, kSize);
  EXPECT_TRUE(all_zero);
  EXPECT_LE(largest, Decompressor::kChunkBytes);
}

TEST_P(DecompressorTest, LargePlainFeedIsChunked) {
  std::string text(3 * Decompressor::kChunkBytes + 17, 'x');
  Collector c;
  Decompressor d(c.sink(), GetParam());
  ASSERT_TRUE(run(d, text));
  EXPECT_EQ(c.data, text);
  EXPECT_LE(c.largest_call, Decompressor::kChunkBytes);
}

TEST(DecompressorBackends, DefaultComesFirst) {
  ASSERT_FALSE(inflate_backends().empty());
  EXPECT_EQ(inflate_backends().front(), default_inflate_backend());
}

// Damaged objects are accepted or refused alike by every backend, and when
// accepted give the same bytes: ISA-L is a drop-in for zlib, not a looser
// reader. Deterministic damage (single bytes overwritten or dropped, and
// truncation) over a two-member object with and without optional header
// fields, fed in pieces.
TEST(DecompressorBackends, AgreeOnDamagedInput) {
  std::vector<InflateBackend> backends = inflate_backends();
  if (backends.size() < 2) GTEST_SKIP() << "only zlib is built in";
  std::string good = gzip(sample_lines(300)) + gzip_with_header_fields(sample_lines(40));
  std::vector<std::string> inputs = {good, gzip_with_header_fields("a\n", 0x20)};
  uint32_t seed = 12345;
  auto next = [&] { return seed = seed * 1103515245u + 12345u; };
  for (int i = 0; i < 600; ++i) {
    std::string damaged = good;
    size_t at = next() % damaged.size();
    switch (i % 3) {
    case 0:
      damaged[at] = static_cast<char>(next() >> 16);
      break;
    case 1:
      damaged.erase(at, 1);
      break;
    case 2:
      damaged.resize(at);
      break;
    }
    inputs.push_back(std::move(damaged));
  }
  for (const std::string& input : inputs) {
    struct Outcome {
      bool ok;
      std::string data;
      uint64_t members;
    };
    std::vector<Outcome> outcomes;
    for (InflateBackend backend : backends) {
      Collector c;
      Decompressor d(c.sink(), backend);
      bool ok = run(d, input, 97).ok();
      outcomes.push_back({ok, ok ? c.data : "", d.members()});
    }
    for (size_t b = 1; b < outcomes.size(); ++b) {
      ASSERT_EQ(outcomes[b].ok, outcomes[0].ok) << inflate_backend_name(backends[b]);
      EXPECT_EQ(outcomes[b].data, outcomes[0].data);
      if (outcomes[0].ok) {
        EXPECT_EQ(outcomes[b].members, outcomes[0].members);
      }
    }
  }
}

} // namespace
} // namespace c42
