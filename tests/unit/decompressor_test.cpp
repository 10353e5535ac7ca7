#include "common/decompressor.h"

#include <algorithm>
#include <gtest/gtest.h>
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
  explicit GzipWriter(int level = Z_DEFAULT_COMPRESSION) {
    if (deflateInit2(&zs_, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
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

TEST(Decompressor, PlainDataPassesThroughUnchanged) {
  Collector c;
  Decompressor d(c.sink());
  std::string text = sample_lines(50);
  ASSERT_TRUE(run(d, text));
  EXPECT_EQ(c.data, text);
  EXPECT_TRUE(d.detected());
  EXPECT_FALSE(d.is_gzip());
  EXPECT_EQ(d.bytes_in(), text.size());
  EXPECT_EQ(d.bytes_out(), text.size());
}

TEST(Decompressor, PlainDataFedOneByteAtATime) {
  Collector c;
  Decompressor d(c.sink());
  std::string text = "first line\nsecond line\n";
  ASSERT_TRUE(run(d, text, 1));
  EXPECT_EQ(c.data, text);
  EXPECT_FALSE(d.is_gzip());
}

TEST(Decompressor, DetectsByMagicNotByName) {
  // 1f without 8b is not gzip; neither is text that merely mentions ".gz".
  for (std::string text : {std::string("\x1f\x00rest", 6),
                           std::string("\x1f"
                                       "abc"),
                           std::string("object.json.gz\n")}) {
    Collector c;
    Decompressor d(c.sink());
    ASSERT_TRUE(run(d, text, 1));
    EXPECT_EQ(c.data, text);
    EXPECT_FALSE(d.is_gzip());
  }
}

TEST(Decompressor, LoneMagicByteIsPlainData) {
  Collector c;
  Decompressor d(c.sink());
  ASSERT_TRUE(d.feed("\x1f", 1));
  EXPECT_FALSE(d.detected()); // one byte cannot decide
  EXPECT_EQ(c.data, "");
  ASSERT_TRUE(d.finish());
  EXPECT_TRUE(d.detected());
  EXPECT_FALSE(d.is_gzip());
  EXPECT_EQ(c.data, "\x1f");
}

TEST(Decompressor, EmptyInput) {
  Collector c;
  Decompressor d(c.sink());
  ASSERT_TRUE(d.feed("", 0));
  ASSERT_TRUE(d.finish());
  EXPECT_EQ(c.calls, 0u);
  EXPECT_FALSE(d.is_gzip());
  EXPECT_EQ(d.bytes_out(), 0u);
}

TEST(Decompressor, SingleGzipMember) {
  std::string text = sample_lines(1000);
  std::string gz = gzip(text);
  Collector c;
  Decompressor d(c.sink());
  ASSERT_TRUE(run(d, gz));
  EXPECT_TRUE(d.is_gzip());
  EXPECT_EQ(d.members(), 1u);
  EXPECT_EQ(c.data, text);
  EXPECT_EQ(d.bytes_in(), gz.size());
  EXPECT_EQ(d.bytes_out(), text.size());
}

TEST(Decompressor, GzipOfEmptyContent) {
  Collector c;
  Decompressor d(c.sink());
  ASSERT_TRUE(run(d, gzip("")));
  EXPECT_TRUE(d.is_gzip());
  EXPECT_EQ(c.data, "");
}

TEST(Decompressor, GzipFedOneByteAtATime) {
  std::string text = sample_lines(300);
  Collector c;
  Decompressor d(c.sink());
  ASSERT_TRUE(d.feed(gzip(text).data(), 1)); // just 1f: undecided
  EXPECT_FALSE(d.detected());
  Decompressor d2(c.sink());
  ASSERT_TRUE(run(d2, gzip(text), 1));
  EXPECT_TRUE(d2.is_gzip());
  EXPECT_EQ(c.data, text);
}

TEST(Decompressor, GzipInAwkwardPieceSizes) {
  std::string text = sample_lines(5000);
  std::string gz = gzip(text);
  for (size_t step : {2u, 3u, 7u, 1000u, 4093u, 65536u, 65537u}) {
    Collector c;
    Decompressor d(c.sink());
    ASSERT_TRUE(run(d, gz, step)) << step;
    EXPECT_EQ(c.data, text) << step;
  }
}

TEST(Decompressor, MultiMemberGzipLikeCat) {
  std::string a = sample_lines(200), b = "middle\n", e = sample_lines(10);
  std::string gz = gzip(a) + gzip(b) + gzip("") + gzip(e);
  for (size_t step : {0u, 1u, 5u}) {
    Collector c;
    Decompressor d(c.sink());
    ASSERT_TRUE(run(d, gz, step)) << step;
    EXPECT_EQ(c.data, a + b + e) << step;
    EXPECT_EQ(d.members(), 4u);
  }
}

TEST(Decompressor, TrailingZeroPaddingIsTolerated) {
  std::string text = sample_lines(20);
  std::string gz = gzip(text) + std::string(512, '\0');
  for (size_t step : {0u, 1u, 100u}) {
    Collector c;
    Decompressor d(c.sink());
    ASSERT_TRUE(run(d, gz, step)) << step;
    EXPECT_EQ(c.data, text);
  }
}

TEST(Decompressor, DataAfterPaddingIsAnError) {
  std::string gz = gzip("a\n") + std::string(8, '\0') + gzip("b\n");
  Decompressor d(nullptr);
  Status st = run(d, gz);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("zero padding"), std::string::npos) << st.error().message;
}

TEST(Decompressor, TrailingGarbageIsAnError) {
  for (std::string tail : {std::string("garbage"),
                           std::string("\x1f"
                                       "X"),
                           std::string("\n")}) {
    for (size_t step : {0u, 1u}) {
      Collector c;
      Decompressor d(c.sink());
      Status st = run(d, gzip("payload\n") + tail, step);
      ASSERT_FALSE(st);
      EXPECT_EQ(st.error().message,
                "data after gzip member 1 is neither another gzip member nor zero padding");
      EXPECT_EQ(c.data, "payload\n"); // what preceded was still delivered
    }
  }
}

TEST(Decompressor, TruncatedGzipIsAnErrorAtFinish) {
  std::string gz = gzip(sample_lines(2000));
  for (size_t keep :
       {size_t{2}, size_t{5}, size_t{10}, gz.size() / 2, gz.size() - 4, gz.size() - 1}) {
    Decompressor d(nullptr);
    ASSERT_TRUE(d.feed(gz.data(), keep)) << keep;
    Status st = d.finish();
    ASSERT_FALSE(st) << keep;
    EXPECT_EQ(st.error().message, "gzip stream truncated");
  }
}

TEST(Decompressor, TruncatedSecondMemberIsAnError) {
  std::string second = gzip("two\n");
  for (size_t keep : {size_t{1}, size_t{2}, second.size() - 1}) {
    Decompressor d(nullptr);
    Status st = run(d, gzip("one\n") + second.substr(0, keep));
    ASSERT_FALSE(st) << keep;
    EXPECT_EQ(st.error().message, "gzip stream truncated");
  }
}

TEST(Decompressor, CorruptDataReportsZlibMessage) {
  std::string gz = gzip(sample_lines(100));
  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 6] ^= 0x55; // inside the CRC32 trailer
  std::string bad_method = gz;
  bad_method[2] = 9; // compression method must be 8 (deflate)
  std::string bad_block = gz;
  bad_block[10] = static_cast<char>(0xff); // first deflate block header: reserved type 3

  struct Case {
    std::string input, expected;
  } cases[] = {{bad_crc, "gzip data is corrupt: incorrect data check"},
               {bad_method, "gzip data is corrupt: unknown compression method"},
               {bad_block, "gzip data is corrupt: invalid block type"}};
  for (const Case& c : cases) {
    Decompressor d(nullptr);
    Status st = run(d, c.input);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().message, c.expected);
  }
}

TEST(Decompressor, ErrorsAreSticky) {
  Decompressor d(nullptr);
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

TEST(Decompressor, SinkCanAbort) {
  for (bool compressed : {false, true}) {
    std::string text = sample_lines(10000);
    std::string input = compressed ? gzip(text) : text;
    size_t calls = 0;
    Decompressor d([&](const char*, size_t) { return ++calls < 2; });
    Status st = run(d, input);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().message, "decompression aborted by the output consumer");
    EXPECT_EQ(calls, 2u);
    ASSERT_FALSE(d.feed("x", 1));
    EXPECT_EQ(calls, 2u); // never called again
  }
}

TEST(Decompressor, FeedAfterFinishIsAnError) {
  Decompressor d(nullptr);
  ASSERT_TRUE(d.feed("abc", 3));
  ASSERT_TRUE(d.finish());
  ASSERT_TRUE(d.finish()); // idempotent
  EXPECT_FALSE(d.feed("d", 1));
}

TEST(Decompressor, IsMovable) {
  Collector c;
  Decompressor a(c.sink());
  std::string gz = gzip("moved\n");
  ASSERT_TRUE(a.feed(gz.data(), 3));
  Decompressor b(std::move(a));
  ASSERT_TRUE(b.feed(gz.data() + 3, gz.size() - 3));
  ASSERT_TRUE(b.finish());
  EXPECT_EQ(c.data, "moved\n");
}

// 20 MB of log-like text, compressed and decompressed as streams: the content
// must survive bit for bit and no sink call may exceed the fixed buffer.
TEST(Decompressor, LargeObjectStreamsInBoundedPieces) {
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
  Decompressor d([&](const char* p, size_t n) {
    actual.update(p, n);
    largest = std::max(largest, n);
    ++calls;
    return true;
  });
  ASSERT_TRUE(run(d, gz, 256 * 1024));
  EXPECT_EQ(d.bytes_out(), plain_size);
  EXPECT_EQ(actual.hex(), expected.hex());
  EXPECT_LE(largest, Decompressor::kChunkBytes);
  EXPECT_GE(calls, plain_size / Decompressor::kChunkBytes);
}

// A tiny input that expands enormously is still delivered in bounded pieces,
// even when the whole compressed object arrives in one feed.
TEST(Decompressor, HighlyCompressibleInputStaysBounded) {
  constexpr size_t kSize = 20 * 1024 * 1024;
  GzipWriter writer(Z_BEST_COMPRESSION);
  std::string zeros(1024 * 1024, '\0');
  for (size_t i = 0; i < kSize / zeros.size(); ++i)
    writer.write(zeros);
  std::string gz = writer.finish();
  ASSERT_LT(gz.size(), 64u * 1024);

  size_t total = 0, largest = 0;
  bool all_zero = true;
  Decompressor d([&](const char* p, size_t n) {
    total += n;
    largest = std::max(largest, n);
    all_zero = all_zero && std::all_of(p, p + n, [](char ch) { return ch == 0; });
    return true;
  });
  ASSERT_TRUE(run(d, gz));
  EXPECT_EQ(total, kSize);
  EXPECT_TRUE(all_zero);
  EXPECT_LE(largest, Decompressor::kChunkBytes);
}

TEST(Decompressor, LargePlainFeedIsChunked) {
  std::string text(3 * Decompressor::kChunkBytes + 17, 'x');
  Collector c;
  Decompressor d(c.sink());
  ASSERT_TRUE(run(d, text));
  EXPECT_EQ(c.data, text);
  EXPECT_LE(c.largest_call, Decompressor::kChunkBytes);
}

} // namespace
} // namespace c42
