#include "common/json_text.h"
#include "common/json_value.h"
#include "common/stream.h"

#include <gtest/gtest.h>
#include <string>

namespace c42 {
namespace {

MessageRef sample_ref() {
  return MessageRef{"https://sqs.eu-west-1.amazonaws.com/123456789012/c42-queue",
                    "0f7c3a1e-1111-2222-3333-444455556666", "AQEB+rh/handle==\"odd\"\\"};
}

Json::Value parse(const std::string& line) {
  auto v = parse_json_object(line);
  EXPECT_TRUE(v.ok()) << line;
  return v.ok() ? *v : Json::Value();
}

void expect_ref(const MessageRef& got, const MessageRef& want) {
  EXPECT_EQ(got.queue_url, want.queue_url);
  EXPECT_EQ(got.message_id, want.message_id);
  EXPECT_EQ(got.receipt_handle, want.receipt_handle);
}

void expect_single_line_control(const std::string& line, const std::string& kind) {
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.rfind("{\"@c42\":\"" + kind + "\"", 0), 0u) << line;
  EXPECT_TRUE(is_control_line(line));
  EXPECT_EQ(control_kind(parse(line)), kind);
}

// --- message ---

TEST(StreamMessage, RoundTrips) {
  MessageLine m;
  m.ref = sample_ref();
  m.receive_count = 3;
  m.sent_at = "2024-05-01T10:20:30.123Z";
  m.body = "{\"Bucket Name\":\"b\",\n\"Object Key\":\"caf\xC3\xA9\"}\xE2\x80\xA8";
  std::string line = to_line(m);
  expect_single_line_control(line, "message");
  auto back = message_from_json(parse(line));
  ASSERT_TRUE(back.ok()) << back.error().message;
  expect_ref(back->ref, m.ref);
  EXPECT_EQ(back->receive_count, 3);
  EXPECT_EQ(back->sent_at, m.sent_at);
  EXPECT_EQ(back->body, m.body);
}

TEST(StreamMessage, ControlLinesArePureAscii) {
  MessageLine m;
  m.ref = sample_ref();
  m.body = "caf\xC3\xA9 \xF0\x9F\x98\x80";
  std::string line = to_line(m);
  for (unsigned char c : line)
    EXPECT_LT(c, 0x80) << line;
}

TEST(StreamMessage, EmptySentAtIsLeftOut) {
  MessageLine m;
  m.ref = sample_ref();
  m.body = "x";
  Json::Value v = parse(to_line(m));
  EXPECT_FALSE(v.isMember("sent_at"));
  auto back = message_from_json(v);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->sent_at, "");
  EXPECT_EQ(back->receive_count, 0);
}

TEST(StreamMessage, MissingFieldsAreErrors) {
  MessageLine m;
  m.ref = sample_ref();
  m.body = "x";
  const Json::Value good = parse(to_line(m));
  for (const char* field : {"queue_url", "message_id", "receipt_handle", "body"}) {
    SCOPED_TRACE(field);
    Json::Value v = good;
    v.removeMember(field);
    auto back = message_from_json(v);
    ASSERT_FALSE(back.ok());
    EXPECT_NE(back.error().message.find(field), std::string::npos) << back.error().message;
    // A field of the wrong type is as bad as a missing one.
    Json::Value wrong = good;
    wrong[field] = 42;
    EXPECT_FALSE(message_from_json(wrong).ok());
  }
}

TEST(StreamMessage, NonIntegerReceiveCountReadsAsZero) {
  Json::Value v = parse(R"({"@c42":"message","queue_url":"q","message_id":"m",)"
                        R"("receipt_handle":"r","receive_count":"7","body":""})");
  auto back = message_from_json(v);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->receive_count, 0);
  EXPECT_EQ(back->body, "");
}

// --- begin ---

TEST(StreamBegin, RoundTrips) {
  BeginLine b{sample_ref()};
  std::string line = to_line(b);
  expect_single_line_control(line, "begin");
  auto back = begin_from_json(parse(line));
  ASSERT_TRUE(back.ok()) << back.error().message;
  expect_ref(back->ref, b.ref);
}

TEST(StreamBegin, MissingRefFieldIsAnError) {
  auto back = begin_from_json(parse(R"({"@c42":"begin","queue_url":"q","message_id":"m"})"));
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.error().message.find("receipt_handle"), std::string::npos);
  EXPECT_NE(back.error().message.find("begin"), std::string::npos);
}

// --- end ---

TEST(StreamEnd, RoundTripsWithoutDelivered) {
  EndLine e;
  e.ref = sample_ref();
  e.ok = false;
  e.fetched = 2;
  e.skipped = 1;
  e.failed = 3;
  e.records = 1ull << 40;
  e.error = "s3://b/k: NoSuchKey";
  std::string line = to_line(e);
  expect_single_line_control(line, "end");
  Json::Value v = parse(line);
  EXPECT_FALSE(v.isMember("delivered"));
  auto back = end_from_json(v);
  ASSERT_TRUE(back.ok()) << back.error().message;
  expect_ref(back->ref, e.ref);
  EXPECT_FALSE(back->ok);
  EXPECT_EQ(back->fetched, 2u);
  EXPECT_EQ(back->skipped, 1u);
  EXPECT_EQ(back->failed, 3u);
  EXPECT_EQ(back->records, 1ull << 40);
  EXPECT_EQ(back->error, e.error);
  EXPECT_EQ(back->delivered, -1);
}

TEST(StreamEnd, RoundTripsWithDelivered) {
  for (int64_t delivered : {int64_t{0}, int64_t{17}, int64_t{1} << 35}) {
    EndLine e;
    e.ref = sample_ref();
    e.ok = true;
    e.records = 17;
    e.delivered = delivered;
    Json::Value v = parse(to_line(e));
    ASSERT_TRUE(v.isMember("delivered"));
    EXPECT_EQ(v["delivered"].asInt64(), delivered);
    EXPECT_FALSE(v.isMember("error"));
    auto back = end_from_json(v);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_TRUE(back->ok);
    EXPECT_EQ(back->delivered, delivered);
  }
}

TEST(StreamEnd, OkMustBeABoolean) {
  const std::string base = R"({"@c42":"end","queue_url":"q","message_id":"m","receipt_handle":"r")";
  EXPECT_FALSE(end_from_json(parse(base + "}")).ok());
  EXPECT_FALSE(end_from_json(parse(base + R"(,"ok":"true"})")).ok());
  EXPECT_FALSE(end_from_json(parse(base + R"(,"ok":1})")).ok());
  auto good = end_from_json(parse(base + R"(,"ok":true})"));
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->fetched, 0u);
  EXPECT_EQ(good->delivered, -1);
}

TEST(StreamEnd, MalformedDeliveredIsAnError) {
  const std::string base =
      R"({"@c42":"end","queue_url":"q","message_id":"m","receipt_handle":"r","ok":true)";
  EXPECT_FALSE(end_from_json(parse(base + R"(,"delivered":-1})")).ok());
  EXPECT_FALSE(end_from_json(parse(base + R"(,"delivered":"3"})")).ok());
  EXPECT_FALSE(end_from_json(parse(base + R"(,"delivered":1.5})")).ok());
  EXPECT_FALSE(end_from_json(parse(base + R"(,"delivered":null})")).ok());
  auto ok = end_from_json(parse(base + R"(,"delivered":0})"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->delivered, 0);
}

TEST(StreamEnd, MissingRefFieldIsAnError) {
  auto back =
      end_from_json(parse(R"({"@c42":"end","message_id":"m","receipt_handle":"r","ok":true})"));
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.error().message.find("queue_url"), std::string::npos);
}

TEST(StreamEnd, InterruptedRoundTripsAndMalformedReadsAsAbsent) {
  EndLine e;
  e.ref = sample_ref();
  e.ok = false;
  e.interrupted = kUnstarted;
  std::string line = to_line(e);
  expect_single_line_control(line, "end");
  auto back = end_from_json(parse(line));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->interrupted, "unstarted");
  e.interrupted.clear();
  EXPECT_FALSE(parse(to_line(e)).isMember("interrupted"));
  const std::string base =
      R"({"@c42":"end","queue_url":"q","message_id":"m","receipt_handle":"r","ok":false)";
  auto odd = end_from_json(parse(base + R"(,"interrupted":1})"));
  ASSERT_TRUE(odd.ok()) << "an informational member never costs the line";
  EXPECT_EQ(odd->interrupted, "");
}

TEST(StreamEnd, CarriesTheMessagesReceiveCountAndBody) {
  EndLine e;
  e.ref = sample_ref();
  e.receive_count = 3;
  e.body = "{\"Object Key\":\"a\nb\"}";
  std::string line = to_line(e);
  expect_single_line_control(line, "end");
  auto back = end_from_json(parse(line));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->receive_count, 3);
  EXPECT_EQ(back->body, e.body);
  e.receive_count = 0;
  e.body.clear();
  EXPECT_FALSE(parse(to_line(e)).isMember("receive_count"));
  EXPECT_FALSE(parse(to_line(e)).isMember("body"));
  const std::string base =
      R"({"@c42":"end","queue_url":"q","message_id":"m","receipt_handle":"r","ok":false)";
  auto odd = end_from_json(parse(base + R"(,"receive_count":-4,"body":7})"));
  ASSERT_TRUE(odd.ok()) << "informational members never cost the line";
  EXPECT_EQ(odd->receive_count, 0);
  EXPECT_EQ(odd->body, "");
}

// --- lease ---

TEST(StreamLease, RoundTrips) {
  LeaseLine l;
  l.ref = sample_ref();
  l.received_at = "2024-05-01T10:20:30.123Z";
  l.visibility_timeout = 300;
  std::string line = to_line(l);
  expect_single_line_control(line, "lease");
  auto back = lease_from_json(parse(line));
  ASSERT_TRUE(back.ok()) << back.error().message;
  expect_ref(back->ref, l.ref);
  EXPECT_EQ(back->received_at, l.received_at);
  EXPECT_EQ(back->visibility_timeout, 300);
}

TEST(StreamLease, NeedsAVisibilityTimeoutSqsAllows) {
  const std::string base =
      R"({"@c42":"lease","queue_url":"q","message_id":"m","receipt_handle":"r")";
  EXPECT_FALSE(lease_from_json(parse(base + "}")).ok());
  EXPECT_FALSE(lease_from_json(parse(base + R"(,"visibility_timeout":0})")).ok());
  EXPECT_FALSE(lease_from_json(parse(base + R"(,"visibility_timeout":43201})")).ok());
  EXPECT_FALSE(lease_from_json(parse(base + R"(,"visibility_timeout":"30"})")).ok());
  EXPECT_FALSE(
      lease_from_json(parse(R"({"@c42":"lease","message_id":"m","visibility_timeout":30})")).ok());
  auto ok = lease_from_json(parse(base + R"(,"visibility_timeout":43200})"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->received_at, "");
}

// --- result ---

TEST(StreamResult, RoundTrips) {
  ResultLine r{sample_ref(), "delete-failed", "ReceiptHandleIsInvalid: gone"};
  std::string line = to_line(r);
  expect_single_line_control(line, "result");
  auto back = result_from_json(parse(line));
  ASSERT_TRUE(back.ok()) << back.error().message;
  expect_ref(back->ref, r.ref);
  EXPECT_EQ(back->action, "delete-failed");
  EXPECT_EQ(back->reason, r.reason);
}

TEST(StreamResult, EmptyReasonIsLeftOut) {
  ResultLine r{sample_ref(), "deleted", ""};
  Json::Value v = parse(to_line(r));
  EXPECT_FALSE(v.isMember("reason"));
  EXPECT_EQ(v["action"].asString(), "deleted");
}

TEST(StreamResult, MissingRefFieldIsAnError) {
  EXPECT_FALSE(result_from_json(parse(R"({"@c42":"result","action":"deleted"})")).ok());
}

// --- control_kind ---

TEST(ControlKind, EmptyForRecordsAndNonObjects) {
  EXPECT_EQ(control_kind(parse(R"({"bucket":"b"})")), "");
  EXPECT_EQ(control_kind(parse(R"({"@c42":5})")), "");
  EXPECT_EQ(control_kind(Json::Value("@c42")), "");
  EXPECT_EQ(control_kind(Json::Value(Json::arrayValue)), "");
  EXPECT_EQ(control_kind(parse(R"({"@c42":"stats","tool":"x"})")), "stats");
}

TEST(ControlLine, ControlKeyStaysFirstWhateverTheOtherNames) {
  Json::Value v(Json::objectValue);
  v["@c42"] = "end";
  v["0"] = 1;
  v["!"] = "x";
  v[" "] = true;
  v["z"] = Json::Value(Json::arrayValue);
  std::string line = to_control_line(v);
  EXPECT_EQ(line.rfind(R"({"@c42":"end",)", 0), 0u) << line;
  EXPECT_TRUE(is_control_line(line));
  auto back = parse_json_object(line);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, v);
}

TEST(OpenSpans, FailuresChargeEveryOpenSpanOnce) {
  OpenSpans spans;
  MessageRef a{"q", "a", "ra"}, b{"q", "b", "rb"}, c{"q", "c", "rc"};
  EXPECT_EQ(spans.fail_all("nothing open"), 0u);
  spans.begin(a);
  spans.begin(b);
  EXPECT_EQ(spans.fail_all("first"), 2u);
  EXPECT_EQ(spans.end(a), "first");
  spans.begin(c);
  EXPECT_EQ(spans.fail_all("second"), 2u);
  EXPECT_EQ(spans.end(b), "first") << "a span keeps its first reason";
  EXPECT_EQ(spans.end(c), "second");
  EXPECT_EQ(spans.end(c), "") << "closed";
  spans.begin(a);
  EXPECT_EQ(spans.end(a), "") << "a new span of the same message starts clean";
}

} // namespace
} // namespace c42
