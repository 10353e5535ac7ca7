#include "common/stages/announcement.h"

#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>

namespace c42 {
namespace {

std::string sample(const std::string& name) {
  std::ifstream in(std::string(C42_TEST_DATA_DIR) + "/announcement/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing sample " << name;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

S3Announcement parse_ok(std::string_view body) {
  auto parsed = parse_s3_announcement(body);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? *parsed : S3Announcement{};
}

std::string parse_error(std::string_view body) {
  auto parsed = parse_s3_announcement(body);
  EXPECT_FALSE(parsed.ok()) << "unexpectedly parsed: " << body;
  return parsed.ok() ? std::string() : parsed.error().message;
}

// An S3 notification with one record, for focused key-decoding cases.
std::string s3_body(const std::string& event_name, const std::string& key_json) {
  return R"({"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventTime":"2024-05-01T00:00:00.000Z",)"
         R"("eventName":")" +
         event_name + R"(","s3":{"bucket":{"name":"b"},"object":{"key":)" + key_json + "}}}]}";
}

std::string decoded_key(const std::string& raw) {
  S3Announcement a = parse_ok(s3_body("ObjectCreated:Put", "\"" + raw + "\""));
  return a.objects.size() == 1 ? a.objects[0].key : "<no object>";
}

TEST(S3Event, Code42FormTakesKeyLiterally) {
  S3Announcement a = parse_ok(sample("code42.json"));
  EXPECT_EQ(a.format, "code42");
  EXPECT_FALSE(a.test_event);
  ASSERT_EQ(a.objects.size(), 1u);
  EXPECT_EQ(a.objects[0].bucket, "c42-exports-prod");
  EXPECT_EQ(a.objects[0].key, "code42/file events+alerts/2024-05-01T12:00:00Z.json.gz");
  EXPECT_EQ(a.objects[0].event_time, "2024-05-01T12:00:03.512Z");
}

TEST(S3Event, Code42FormWithoutEventTimeOrWithPercent) {
  S3Announcement a = parse_ok(R"({"Bucket Name":"b","Object Key":"100%25 done%2B.json"})");
  ASSERT_EQ(a.objects.size(), 1u);
  EXPECT_EQ(a.objects[0].key, "100%25 done%2B.json");
  EXPECT_EQ(a.objects[0].event_time, "");
}

void expect_code42_list(const S3Announcement& a) {
  ASSERT_EQ(a.objects.size(), 3u);
  EXPECT_EQ(a.objects[0].bucket, "c42-exports-prod");
  EXPECT_EQ(a.objects[0].key, "code42/file events+alerts/2024-05-01T12:00:00Z.json.gz");
  EXPECT_EQ(a.objects[0].event_time, "2024-05-01T12:00:03.512Z");
  EXPECT_EQ(a.objects[1].bucket, "c42-exports-prod");
  EXPECT_EQ(a.objects[1].key, "code42/audit/100%25 done%2B.json.gz"); // literal, not decoded
  EXPECT_EQ(a.objects[1].event_time, "2024-05-01T12:00:04.001Z");
  EXPECT_EQ(a.objects[2].bucket, "c42-exports-eu");
  EXPECT_EQ(a.objects[2].key, "code42/alerts/2024-05-01T12:00:00Z.json.gz");
  EXPECT_EQ(a.objects[2].event_time, "");
}

TEST(S3Event, Code42ListNamesEveryObject) {
  S3Announcement a = parse_ok(sample("code42_list.json"));
  EXPECT_EQ(a.format, "code42");
  EXPECT_FALSE(a.test_event);
  expect_code42_list(a);
}

TEST(S3Event, Code42ListOfOne) {
  S3Announcement a = parse_ok(R"([{"Bucket Name":"b","Object Key":"k+1"}])");
  EXPECT_EQ(a.format, "code42");
  ASSERT_EQ(a.objects.size(), 1u);
  EXPECT_EQ(a.objects[0].key, "k+1");
}

TEST(S3Event, SnsWrappedCode42List) {
  S3Announcement a = parse_ok(sample("sns_code42_list.json"));
  EXPECT_EQ(a.format, "sns+code42");
  expect_code42_list(a);
}

TEST(S3Event, Code42ListErrors) {
  const std::string ok = R"({"Bucket Name":"b","Object Key":"k"})";
  EXPECT_EQ(parse_error("[]"), "Code42 notification list is empty");
  EXPECT_EQ(parse_error(" [ ] "), "Code42 notification list is empty");
  EXPECT_EQ(parse_error("[" + ok + R"(,"x"])"),
            R"(Code42 notification [1] is not an object: '"x"')");
  EXPECT_EQ(parse_error("[1,2]"), "Code42 notification [0] is not an object: '1'");
  EXPECT_EQ(
      parse_error("[" + ok + "," + ok + ",[" + ok + "]]"),
      R"(Code42 notification [2] is not an object: '[{"Bucket Name":"b","Object Key":"k"}]')");
  EXPECT_EQ(parse_error("[" + ok + "," + ok + R"(,null])"),
            "Code42 notification [2] is not an object: 'null'");
  EXPECT_EQ(parse_error("[" + ok + R"(,{"Bucket Name":"b"}])"),
            R"(Code42 notification [1]: "Object Key" is missing)");
  EXPECT_EQ(parse_error(R"([{"Bucket Name":"","Object Key":"k"}])"),
            R"(Code42 notification [0]: "Bucket Name" is empty)");
  // Only Code42 notifications may be listed: other envelopes are objects of
  // another shape, not a list of them.
  EXPECT_EQ(parse_error(R"([{"Records":[]}])"),
            R"(Code42 notification [0]: "Bucket Name" is missing)");
  EXPECT_EQ(parse_error(R"({"Type":"Notification","Message":"[]"})"),
            "SNS notification's Message: Code42 notification list is empty");
  EXPECT_EQ(parse_error(R"({"Type":"Notification","Message":"[7]"})"),
            "SNS notification's Message: Code42 notification [0] is not an object: '7'");
}

TEST(S3Event, S3PutNotification) {
  S3Announcement a = parse_ok(sample("s3_put.json"));
  EXPECT_EQ(a.format, "s3");
  EXPECT_FALSE(a.test_event);
  ASSERT_EQ(a.objects.size(), 1u);
  EXPECT_EQ(a.objects[0].bucket, "c42-exports-prod");
  EXPECT_EQ(a.objects[0].key, "code42/audit/my file+1.json");
  EXPECT_EQ(a.objects[0].event_time, "2024-05-01T12:34:56.789Z");
}

TEST(S3Event, MultipleRecordsSkipRemovals) {
  S3Announcement a = parse_ok(sample("s3_multi.json"));
  EXPECT_EQ(a.format, "s3");
  ASSERT_EQ(a.objects.size(), 2u);
  EXPECT_EQ(a.objects[0].bucket, "c42-exports-prod");
  EXPECT_EQ(a.objects[0].key, "code42/file-events/2024-05-01/part one.json.gz");
  EXPECT_EQ(a.objects[0].event_time, "2024-05-01T12:00:00.000Z");
  EXPECT_EQ(a.objects[1].bucket, "c42-exports-eu");
  EXPECT_EQ(a.objects[1].key, "code42/caf\xc3\xa9/r\xc3\xa9sum\xc3\xa9 (2).json");
  EXPECT_EQ(a.objects[1].event_time, "2024-05-01T12:00:02.000Z");
}

TEST(S3Event, OnlyRemovalsAnnounceNothing) {
  auto parsed = parse_s3_announcement(sample("s3_removed_only.json"));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->format, "s3");
  EXPECT_TRUE(parsed->objects.empty());
  EXPECT_FALSE(parsed->test_event);
}

TEST(S3Event, KeyDecoding) {
  EXPECT_EQ(decoded_key("plain/key.json"), "plain/key.json");
  EXPECT_EQ(decoded_key("red+flower.jpg"), "red flower.jpg");
  EXPECT_EQ(decoded_key("a%20b"), "a b");
  EXPECT_EQ(decoded_key("my+file%2B1.json"), "my file+1.json");
  EXPECT_EQ(decoded_key("caf%C3%A9.json"), "caf\xc3\xa9.json");
  EXPECT_EQ(decoded_key("caf%c3%a9.json"), "caf\xc3\xa9.json");
  EXPECT_EQ(decoded_key("dt%3D2024-05-01/part%3A1"), "dt=2024-05-01/part:1");
  EXPECT_EQ(decoded_key("100%25"), "100%");
  EXPECT_EQ(decoded_key("%2525"), "%25"); // decoded once, not repeatedly
}

TEST(S3Event, MalformedPercentEscapeIsAnError) {
  for (std::string raw : {"bad%zz", "trailing%", "short%4"}) {
    std::string message = parse_error(s3_body("ObjectCreated:Put", "\"" + raw + "\""));
    EXPECT_NE(message.find("malformed percent-escape"), std::string::npos) << message;
    EXPECT_NE(message.find("record 1"), std::string::npos) << message;
  }
}

TEST(S3Event, S3TestEvent) {
  S3Announcement a = parse_ok(sample("s3_test_event.json"));
  EXPECT_EQ(a.format, "s3-test");
  EXPECT_TRUE(a.test_event);
  EXPECT_TRUE(a.objects.empty());
}

TEST(S3Event, SnsWrappedS3Notification) {
  S3Announcement a = parse_ok(sample("sns_s3.json"));
  EXPECT_EQ(a.format, "sns+s3");
  ASSERT_EQ(a.objects.size(), 1u);
  EXPECT_EQ(a.objects[0].bucket, "c42-exports-prod");
  EXPECT_EQ(a.objects[0].key, "code42/audit/my file+1.json");
}

TEST(S3Event, SnsWrappedTestEvent) {
  S3Announcement a = parse_ok(sample("sns_s3_test.json"));
  EXPECT_EQ(a.format, "sns+s3-test");
  EXPECT_TRUE(a.test_event);
  EXPECT_TRUE(a.objects.empty());
}

TEST(S3Event, SnsEnvelopeErrors) {
  EXPECT_NE(parse_error(R"({"Type":"SubscriptionConfirmation","Message":"confirm"})")
                .find("not of Type Notification"),
            std::string::npos);
  EXPECT_EQ(parse_error(R"({"Type":"Notification"})"), "SNS notification has no Message string");
  std::string not_json = parse_error(R"({"Type":"Notification","Message":"hello there"})");
  EXPECT_EQ(not_json.rfind("SNS notification's Message is not valid JSON", 0), 0u) << not_json;
  std::string bad_inner = parse_error(
      R"({"Type":"Notification","Message":"{\"Records\":[{\"eventName\":\"ObjectCreated:Put\"}]}"})");
  EXPECT_EQ(bad_inner, "SNS notification's Message: S3 event notification record 1: "
                       "s3.bucket.name is missing");
  // SNS inside SNS is not something any AWS service produces.
  std::string nested = parse_error(
      R"({"Type":"Notification","Message":"{\"Type\":\"Notification\",\"Message\":\"{}\"}"})");
  EXPECT_NE(nested.find("SNS notification's Message: not a Code42"), std::string::npos) << nested;
}

TEST(S3Event, EventBridgeObjectCreated) {
  S3Announcement a = parse_ok(sample("eventbridge_created.json"));
  EXPECT_EQ(a.format, "eventbridge");
  ASSERT_EQ(a.objects.size(), 1u);
  EXPECT_EQ(a.objects[0].bucket, "c42-exports-prod");
  EXPECT_EQ(a.objects[0].key, "code42/alerts/2024-05-01/alerts batch+7.json.gz");
  EXPECT_EQ(a.objects[0].event_time, "2024-05-01T12:34:56Z");
}

TEST(S3Event, EventBridgeOtherDetailTypesAnnounceNothing) {
  auto parsed = parse_s3_announcement(sample("eventbridge_deleted.json"));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->format, "eventbridge");
  EXPECT_TRUE(parsed->objects.empty());
  EXPECT_FALSE(parsed->test_event);
}

TEST(S3Event, EventBridgeErrors) {
  EXPECT_EQ(parse_error(R"({"source":"aws.ec2","detail-type":"Object Created","detail":{}})"),
            "EventBridge event: source is not aws.s3");
  EXPECT_EQ(
      parse_error(
          R"({"source":"aws.s3","detail-type":"Object Created","detail":{"bucket":{"name":"b"}}})"),
      "EventBridge event: detail.object.key is missing");
  EXPECT_EQ(
      parse_error(
          R"({"source":"aws.s3","detail-type":"Object Created","detail":{"bucket":{"name":"b"},"object":{"key":"a%G0"}}})")
          .rfind("EventBridge event: detail.object.key has a malformed percent-escape", 0),
      0u);
}

TEST(S3Event, RecordErrors) {
  EXPECT_EQ(parse_error(R"({"Records":[]})"), "S3 event notification: Records is empty");
  EXPECT_EQ(parse_error(R"({"Records":{}})"), "S3 event notification: Records is not an array");
  EXPECT_EQ(parse_error(R"({"Records":["x"]})"), "S3 event notification record 1 is not an object");
  EXPECT_EQ(parse_error(s3_body("ObjectCreated:Put", "\"\"")),
            "S3 event notification record 1: s3.object.key is empty");
  EXPECT_EQ(parse_error(s3_body("ObjectCreated:Put", "42")),
            "S3 event notification record 1: s3.object.key is not a string");
  EXPECT_EQ(parse_error(s3_body("ObjectCreated:Put", "null")),
            "S3 event notification record 1: s3.object.key is missing");
  EXPECT_EQ(parse_error(R"({"Records":[{"s3":{}}]})"),
            "S3 event notification record 1: eventName is missing");
  EXPECT_EQ(
      parse_error(R"({"Records":[{"eventSource":"aws:sqs","eventName":"ObjectCreated:Put"}]})"),
      "S3 event notification record 1: eventSource is not aws:s3");
  EXPECT_EQ(
      parse_error(
          R"({"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":""},"object":{"key":"k"}}}]})"),
      "S3 event notification record 1: s3.bucket.name is empty");
  // A bad second record fails the whole message: half-processing it would
  // lose the rest when the message is acknowledged.
  std::string two =
      R"({"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}},)"
      R"({"eventName":"ObjectCreated:Put","s3":{"bucket":"b","object":{"key":"k"}}}]})";
  EXPECT_EQ(parse_error(two), "S3 event notification record 2: s3.bucket.name is missing");
}

TEST(S3Event, Code42Errors) {
  EXPECT_EQ(parse_error(R"({"Bucket Name":"b"})"),
            "Code42 notification: \"Object Key\" is missing");
  EXPECT_EQ(parse_error(R"({"Object Key":"k"})"),
            "Code42 notification: \"Bucket Name\" is missing");
  EXPECT_EQ(parse_error(R"({"Bucket Name":"","Object Key":"k"})"),
            "Code42 notification: \"Bucket Name\" is empty");
  EXPECT_EQ(parse_error(R"({"Bucket Name":"b","Object Key":["k"]})"),
            "Code42 notification: \"Object Key\" is not a string");
}

TEST(S3Event, NotJsonOrUnknownShape) {
  EXPECT_EQ(parse_error(""), "message body is empty");
  EXPECT_EQ(parse_error("  \n"), "message body is empty");
  std::string not_json = parse_error("hello world");
  EXPECT_EQ(not_json.rfind("message body is not valid JSON (", 0), 0u) << not_json;
  EXPECT_EQ(not_json.find('\n'), std::string::npos) << not_json;
  // The strict parser wants an object or array at the top.
  for (const char* scalar : {"42", R"("text")", "null"}) {
    std::string message = parse_error(scalar);
    EXPECT_EQ(message.rfind("message body is not valid JSON (", 0), 0u) << message;
    EXPECT_NE(message.find(std::string("'") + scalar + "'"), std::string::npos) << message;
  }
  EXPECT_EQ(parse_error(R"({"hello":"world"})"),
            R"(not a Code42, S3, SNS or EventBridge notification: '{"hello":"world"}')");
  EXPECT_NE(parse_error(R"({"Event":"s3:Other"})").find("expected s3:TestEvent"),
            std::string::npos);
  // Strict JSON: trailing data and duplicate keys are refused.
  EXPECT_FALSE(parse_s3_announcement(R"({"Bucket Name":"b","Object Key":"k"} extra)").ok());
  EXPECT_FALSE(
      parse_s3_announcement(R"({"Bucket Name":"a","Bucket Name":"b","Object Key":"k"})").ok());
}

TEST(S3Event, ErrorMessagesQuoteOnlyAShortExcerpt) {
  std::string body = "{\"unknown\":\"" + std::string(100000, 'z') + "\n\"}";
  std::string message = parse_error(body);
  EXPECT_LT(message.size(), 300u) << message;
  EXPECT_NE(message.find("..."), std::string::npos);
  std::string garbage = std::string(5000, '#') + "\n" + std::string(5000, '#');
  message = parse_error(garbage);
  EXPECT_LT(message.size(), 400u) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(S3Event, ExcerptDoesNotSplitUtf8) {
  // 79 ASCII bytes then a 2-byte character straddling the 80-byte cut.
  std::string body = "{\"x\":\"" + std::string(73, 'a') + "\xc3\xa9" + std::string(20, 'b') + "\"}";
  std::string message = parse_error(body);
  EXPECT_NE(message.find(std::string(73, 'a') + "..."), std::string::npos) << message;
}

TEST(S3Event, NoExceptionsEscape) {
  // Deep nesting beyond jsoncpp's stack limit makes it throw.
  std::string deep = std::string(5000, '[') + std::string(5000, ']');
  auto parsed = parse_s3_announcement(deep);
  EXPECT_FALSE(parsed.ok());
  std::string deep_object = "{\"a\":" + std::string(5000, '[') + std::string(5000, ']') + "}";
  EXPECT_FALSE(parse_s3_announcement(deep_object).ok());
  // Wrong types in every position must not trip jsoncpp's assertions.
  for (const char* body :
       {R"({"Records":[{"eventName":"ObjectCreated:Put","s3":[]}]})",
        R"({"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":[],"object":7}}]})",
        R"({"Records":[{"eventName":7}]})", R"({"Type":7})",
        R"({"Type":"Notification","Message":{}})", R"({"Type":{"a":1}})",
        R"({"detail-type":"Object Created","source":"aws.s3","detail":"x"})",
        R"({"detail-type":1,"source":"aws.s3"})", R"({"Event":null})", R"({"Bucket Name":null})",
        R"({"Records":null})", "[[]]", R"([{"Bucket Name":{}}])", "[{}]",
        R"({"Type":"Notification","Message":"[[1]]"})"}) {
    auto r = parse_s3_announcement(body);
    EXPECT_FALSE(r.ok()) << body;
  }
}

} // namespace
} // namespace c42
