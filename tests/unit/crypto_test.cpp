#include "common/crypto.h"

#include <gtest/gtest.h>
#include <string>

namespace c42 {
namespace {

std::string unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

// --- SHA-256 (FIPS 180-2 examples) ---

TEST(Sha256, KnownDigests) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, RawIs32BytesMatchingHex) {
  std::string raw = sha256_raw("abc");
  ASSERT_EQ(raw.size(), 32u);
  EXPECT_EQ(hex_encode(raw), sha256_hex("abc"));
}

TEST(Sha256, HandlesEmbeddedNul) {
  EXPECT_NE(sha256_hex(std::string("a\0b", 3)), sha256_hex("a"));
}

// --- HMAC-SHA-256 (RFC 4231) ---

TEST(HmacSha256, Rfc4231TestCase1) {
  EXPECT_EQ(hex_encode(hmac_sha256_raw(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(HmacSha256, Rfc4231TestCase2) {
  std::string mac = hmac_sha256_raw("Jefe", "what do ya want for nothing?");
  ASSERT_EQ(mac.size(), 32u);
  EXPECT_EQ(hex_encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacSha256, Rfc4231TestCase3BinaryData) {
  EXPECT_EQ(hex_encode(hmac_sha256_raw(std::string(20, '\xaa'), std::string(50, '\xdd'))),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
}

TEST(HmacSha256, Rfc4231TestCase6KeyLongerThanABlock) {
  EXPECT_EQ(hex_encode(hmac_sha256_raw(std::string(131, '\xaa'),
                                       "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

// --- hex ---

TEST(HexEncode, LowerCaseTwoDigitsPerByte) {
  EXPECT_EQ(hex_encode(""), "");
  EXPECT_EQ(hex_encode(std::string("\x00\x01\x7f\x80\xab\xff", 6)), "00017f80abff");
  EXPECT_EQ(unhex(hex_encode("round trip")), "round trip");
}

// --- base64 (RFC 4648 section 10) ---

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded) << plain;
    auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded << ": " << decoded.error().message;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64, AllByteValuesRoundTrip) {
  std::string bytes;
  for (int i = 0; i < 256; ++i)
    bytes.push_back(static_cast<char>(i));
  for (size_t len : {size_t{0}, size_t{1}, size_t{2}, size_t{3}, size_t{255}, size_t{256}}) {
    std::string slice = bytes.substr(256 - len);
    std::string encoded = base64_encode(slice);
    EXPECT_EQ(encoded.size() % 4, 0u);
    EXPECT_EQ(encoded.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="),
              std::string::npos);
    auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, slice);
  }
}

TEST(Base64, UsesTheStandardAlphabetNotUrlSafe) {
  EXPECT_EQ(base64_encode("\xfb\xff\xbf"), "+/+/");
  EXPECT_EQ(*base64_decode("+/+/"), "\xfb\xff\xbf");
}

TEST(Base64, StrictDecodeRejectsMalformedText) {
  for (const char* bad : {
           "Zg",       // unpadded
           "Zg=",      // short
           "Zm9vY",    // length not a multiple of 4
           "Zm9v\n",   // whitespace
           "Zm 9",     // space inside
           "Zm9-",     // URL-safe alphabet
           "Zm9_",     // URL-safe alphabet
           "Zm9!",     // outside the alphabet
           "Z===",     // too much padding
           "====",     // only padding
           "Zg=a",     // data after padding
           "=Zg=",     // padding first
           "Zg==Zm8=", // padding before the last group
           "Zm8=Zm9v", // padding before the last group
       }) {
    SCOPED_TRACE(bad);
    auto decoded = base64_decode(bad);
    EXPECT_FALSE(decoded.ok()) << "decoded to " << testing::PrintToString(*decoded);
  }
}

TEST(Base64, DecodesBinaryWithHighBits) {
  auto decoded = base64_decode("/w==");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, "\xff");
}

} // namespace
} // namespace c42
