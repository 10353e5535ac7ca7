#include "common/crypto.h"
#include "common/json_value.h"
#include "common/source_record.h"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace c42 {
namespace {

// Builds one record line and parses it back (without its '\n').
Json::Value build(const std::string& bucket, const std::string& key, const std::string& time,
                  uint64_t index, const std::string& line, std::string* text = nullptr) {
  std::string out = "existing\n";
  size_t length =
      append_source_record(out, source_record_prefix(bucket, key, time, "\"e\""), index, line);
  EXPECT_EQ(length, out.size() - 9);
  EXPECT_EQ(out.rfind("existing\n", 0), 0u);
  std::string record = out.substr(9);
  EXPECT_FALSE(record.empty());
  EXPECT_EQ(record.back(), '\n');
  record.pop_back();
  EXPECT_EQ(record.find('\n'), std::string::npos) << "a record is exactly one line";
  if (text) *text = record;
  auto v = parse_json_object(record);
  EXPECT_TRUE(v.ok()) << record;
  return v.ok() ? *v : Json::Value();
}

TEST(SourceRecord, PrefixHoldsTheConstantMembersInOrder) {
  std::string prefix = source_record_prefix("b", "k", "t", "\"e\"");
  EXPECT_EQ(prefix, R"({"bucket":"b","key":"k","event_time":"t","etag":"\"e\"","index":)");
}

TEST(SourceRecord, MembersAreWrittenInTheFixedOrder) {
  std::string text;
  build("bkt", "dir/file.json", "2024-05-01T00:00:00Z", 12, "hello", &text);
  EXPECT_EQ(text, R"({"bucket":"bkt","key":"dir/file.json","event_time":"2024-05-01T00:00:00Z",)"
                  R"("etag":"\"e\"","index":12,"line":"hello"})");
}

TEST(SourceRecord, RoundTripsValidUtf8) {
  const std::vector<std::string> lines = {
      R"({"event":{"id":"x","tab":"a\tb"}})",
      "caf\xC3\xA9 \xF0\x9F\x98\x80",
      std::string("with\0nul", 8),
      "quote\" back\\slash \x01 \r lone-cr",
      "sep\xE2\x80\xA8\xE2\x80\xA9",
      "",
  };
  for (const std::string& line : lines) {
    SCOPED_TRACE(testing::PrintToString(line));
    Json::Value v = build("my.bucket", "logs/2024/05/a b+c.json.gz", "2024-05-01T10:20:30Z",
                          18446744073709551615ull, line);
    EXPECT_FALSE(v.isMember("line_b64"));
    auto r = source_record_from_json(v);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->bucket, "my.bucket");
    EXPECT_EQ(r->key, "logs/2024/05/a b+c.json.gz");
    EXPECT_EQ(r->event_time, "2024-05-01T10:20:30Z");
    EXPECT_EQ(r->index, 18446744073709551615ull);
    EXPECT_EQ(r->line, line);
  }
}

TEST(SourceRecord, InvalidUtf8CarriesExactBytesInLineB64) {
  const std::string line = std::string("ab\xFF\xFE"
                                       "c\xC3",
                                       6) +
                           std::string("\0z", 2);
  Json::Value v = build("b", "k", "", 1, line);
  ASSERT_TRUE(v.isMember("line_b64"));
  EXPECT_EQ(v["line_b64"].asString(), base64_encode(line));
  // "line" holds the text with replacements.
  const std::string text = v["line"].asString();
  EXPECT_NE(text, line);
  EXPECT_NE(text.find("\xEF\xBF\xBD"), std::string::npos);
  EXPECT_EQ(text.rfind("ab", 0), 0u);
  auto r = source_record_from_json(v);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->line, line);
  EXPECT_EQ(r->index, 1u);
  EXPECT_EQ(r->event_time, "");
}

TEST(SourceRecord, InvalidUtf8InBucketOrKeyStillGivesValidJson) {
  Json::Value v = build("b\xFF", "k\xC0\xAF", "t", 2, "x");
  auto r = source_record_from_json(v);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->line, "x");
}

TEST(SourceRecord, FromJsonRequiresBucketKeyAndLine) {
  const Json::Value good = build("b", "k", "t", 1, "l");
  for (const char* field : {"bucket", "key", "line"}) {
    SCOPED_TRACE(field);
    Json::Value v = good;
    v.removeMember(field);
    auto r = source_record_from_json(v);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find(field), std::string::npos);
  }
  // Optional members may be missing.
  Json::Value minimal = good;
  minimal.removeMember("event_time");
  minimal.removeMember("index");
  auto r = source_record_from_json(minimal);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->event_time, "");
  EXPECT_EQ(r->index, 0u);
}

TEST(SourceRecord, MalformedLineB64IsAnError) {
  Json::Value v = build("b", "k", "t", 1, "l");
  v["line_b64"] = "not base64!";
  auto r = source_record_from_json(v);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("line_b64"), std::string::npos);
}

TEST(SourceRecord, LineB64WinsOverLine) {
  Json::Value v = build("b", "k", "t", 1, "shown");
  v["line_b64"] = base64_encode("exact");
  auto r = source_record_from_json(v);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->line, "exact");
}

} // namespace
} // namespace c42
