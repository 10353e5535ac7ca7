#include "common/uri.h"

#include <gtest/gtest.h>
#include <string>

namespace c42 {
namespace {

Url parse_ok(const std::string& text) {
  auto url = parse_url(text);
  EXPECT_TRUE(url.ok()) << text << ": " << (url.ok() ? "" : url.error().message);
  return url.ok() ? *url : Url();
}

// --- parse_url ---

TEST(ParseUrl, SplitsAnAwsQueueUrl) {
  Url url = parse_ok("https://sqs.us-east-1.amazonaws.com/123456789012/my-queue");
  EXPECT_EQ(url.scheme, "https");
  EXPECT_EQ(url.host, "sqs.us-east-1.amazonaws.com");
  EXPECT_EQ(url.port, 0);
  EXPECT_EQ(url.path, "/123456789012/my-queue");
  EXPECT_EQ(url.query, "");
  EXPECT_EQ(url.authority(), "sqs.us-east-1.amazonaws.com");
  EXPECT_EQ(url.origin(), "https://sqs.us-east-1.amazonaws.com");
  EXPECT_FALSE(url.host_is_ip_address());
}

TEST(ParseUrl, SchemeIsLowerCasedAndPathDefaultsToSlash) {
  Url url = parse_ok("HTTP://Example.COM:8080");
  EXPECT_EQ(url.scheme, "http");
  EXPECT_EQ(url.host, "Example.COM");
  EXPECT_EQ(url.port, 8080);
  EXPECT_EQ(url.path, "/");
  EXPECT_EQ(url.authority(), "Example.COM:8080");
  EXPECT_EQ(url.origin(), "http://Example.COM:8080");
}

TEST(ParseUrl, PortBounds) {
  EXPECT_EQ(parse_ok("http://h:1/").port, 1);
  EXPECT_EQ(parse_ok("http://h:65535/").port, 65535);
  EXPECT_EQ(parse_ok("http://h:00080/").port, 80);
}

TEST(ParseUrl, QueryAndFragment) {
  Url url = parse_ok("https://h/a/b%20c?x=1&y=%2F#frag");
  EXPECT_EQ(url.path, "/a/b%20c");
  EXPECT_EQ(url.query, "x=1&y=%2F");

  Url query_only = parse_ok("https://h?q=1");
  EXPECT_EQ(query_only.host, "h");
  EXPECT_EQ(query_only.path, "/");
  EXPECT_EQ(query_only.query, "q=1");

  // A '?' inside the fragment is not a query.
  Url fragment = parse_ok("https://h/p#a?b");
  EXPECT_EQ(fragment.path, "/p");
  EXPECT_EQ(fragment.query, "");

  Url fragment_only = parse_ok("https://h:9#x");
  EXPECT_EQ(fragment_only.port, 9);
  EXPECT_EQ(fragment_only.path, "/");
}

TEST(ParseUrl, Ipv6Literals) {
  Url url = parse_ok("http://[::1]:4566/queue?x=1");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 4566);
  EXPECT_EQ(url.path, "/queue");
  EXPECT_EQ(url.query, "x=1");
  EXPECT_EQ(url.authority(), "[::1]:4566");
  EXPECT_EQ(url.origin(), "http://[::1]:4566");
  EXPECT_TRUE(url.host_is_ip_address());

  Url no_port = parse_ok("https://[fe80::1:2]/");
  EXPECT_EQ(no_port.host, "fe80::1:2");
  EXPECT_EQ(no_port.port, 0);
  EXPECT_EQ(no_port.authority(), "[fe80::1:2]");
}

TEST(ParseUrl, Ipv4HostsAreIpAddresses) {
  EXPECT_TRUE(parse_ok("http://127.0.0.1:9000").host_is_ip_address());
  EXPECT_TRUE(parse_ok("http://10.1.2.3/").host_is_ip_address());
  EXPECT_FALSE(parse_ok("http://localhost:9000").host_is_ip_address());
  EXPECT_FALSE(parse_ok("http://1.2.3.4.nip.io/").host_is_ip_address());
}

TEST(ParseUrl, Errors) {
  for (const char* bad : {
           "example.com/path",   // no scheme
           "ftp://example.com/", // wrong scheme
           "https://",           // no host
           "https:///path",      // no host
           "http://:80/",        // no host
           "http://user:pw@h/",  // user information
           "http://user@h/",     // user information
           "http://[::1/",       // unclosed IPv6 literal
           "http://[::1]x/",     // junk after IPv6 literal
           "http://[]:80/",      // empty IPv6 literal
           "http://h:/",         // empty port
           "http://h:abc/",      // non-numeric port
           "http://h:-1/",       // negative port
           "http://h:0/",        // port out of range
           "http://h:65536/",    // port out of range
           "http://h:123456/",   // too many digits
           "http://h: 80/",      // space in port
       }) {
    SCOPED_TRACE(bad);
    auto url = parse_url(bad);
    EXPECT_FALSE(url.ok());
    if (!url.ok()) {
      EXPECT_FALSE(url.error().message.empty());
      EXPECT_EQ(url.error().message.find('\n'), std::string::npos);
    }
  }
}

// --- uri_encode ---

TEST(UriEncode, KeepsUnreservedCharacters) {
  const std::string unreserved =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
  EXPECT_EQ(uri_encode(unreserved, true), unreserved);
}

TEST(UriEncode, EncodesEverythingElseWithUpperCaseHex) {
  EXPECT_EQ(uri_encode(" !\"#$%&'()*+,:;<=>?@[\\]^`{|}", true),
            "%20%21%22%23%24%25%26%27%28%29%2A%2B%2C%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E%60%7B%7C%7D");
  EXPECT_EQ(uri_encode("caf\xC3\xA9", true), "caf%C3%A9");
  EXPECT_EQ(uri_encode(std::string("\0\x7f\xff", 3), true), "%00%7F%FF");
}

TEST(UriEncode, SlashDependsOnTheFlag) {
  EXPECT_EQ(uri_encode("logs/2024/a b.json", false), "logs/2024/a%20b.json");
  EXPECT_EQ(uri_encode("logs/2024/a b.json", true), "logs%2F2024%2Fa%20b.json");
  EXPECT_EQ(uri_encode("", true), "");
}

// --- percent_decode ---

TEST(PercentDecode, DecodesEscapesInBothCases) {
  auto d = percent_decode("a%20b%2Fc%c3%A9", false);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, "a b/c\xC3\xA9");
}

TEST(PercentDecode, PlusIsASpaceOnlyWhenAsked) {
  EXPECT_EQ(*percent_decode("a+b", true), "a b");
  EXPECT_EQ(*percent_decode("a+b", false), "a+b");
  // An encoded plus is a plus either way.
  EXPECT_EQ(*percent_decode("a%2Bb+c", true), "a+b c");
  EXPECT_EQ(*percent_decode("a%2bb", false), "a+b");
}

TEST(PercentDecode, EdgesOfTheInput) {
  EXPECT_EQ(*percent_decode("", true), "");
  EXPECT_EQ(*percent_decode("%41", false), "A");
  EXPECT_EQ(*percent_decode("x%41", false), "xA");
  auto nul = percent_decode("%00", false);
  ASSERT_TRUE(nul.ok());
  EXPECT_EQ(*nul, std::string(1, '\0'));
  // Decoding is single-pass: %25 gives a literal '%'.
  EXPECT_EQ(*percent_decode("%2541", false), "%41");
}

TEST(PercentDecode, MalformedEscapesAreErrors) {
  for (const char* bad : {"%", "%2", "abc%", "abc%4", "%zz", "%2G", "%G2", "a%%20", "% 20"}) {
    SCOPED_TRACE(bad);
    auto d = percent_decode(bad, true);
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.error().message.find("percent"), std::string::npos);
  }
}

} // namespace
} // namespace c42
