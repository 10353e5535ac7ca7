#include "common/aws/sqs_client.h"
#include "common/aws/static_credentials_provider.h"
#include "common/json_value.h"
#include "common/time_format.h"
#include "tests/unit/test_support.h"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace c42::aws {
namespace {

using test_support::reply;

// SQS replies as an unreliable endpoint (or a proxy in front of one) might
// send them: the client must turn every shape into a value, never throw.
class SqsClientTest : public testing::Test {
protected:
  SqsClientTest() : clock(TimePoint(std::chrono::seconds(1714564800))) {
    ServiceContext ctx =
        test_support::service_context(http, credentials, clock, "sqs", "eu-west-1");
    ctx.retry.max_attempts = 1;
    auto endpoint = parse_url("https://sqs.eu-west-1.amazonaws.com");
    EXPECT_TRUE(endpoint.ok());
    sqs = std::make_unique<SqsClient>(ctx, *endpoint);
  }

  Result<SqsBatchResult> delete_two(const std::string& reply_body) {
    http.script = {reply(200, reply_body)};
    return sqs->delete_batch(kQueue, {{"0", "rh-0", 0}, {"1", "rh-1", 0}});
  }

  Result<std::vector<SqsMessage>> receive(const std::string& reply_body) {
    http.script = {reply(200, reply_body)};
    return sqs->receive(kQueue, 10, 0, std::nullopt);
  }

  // The one message of a ReceiveMessage reply with these attributes.
  SqsMessage receive_with(const std::string& attributes_json) {
    auto messages = receive(R"({"Messages":[{"MessageId":"m","ReceiptHandle":"rh","Body":"b",)"
                            R"("Attributes":)" +
                            attributes_json + "}]}");
    EXPECT_TRUE(messages.ok()) << (messages.ok() ? "" : messages.error().message);
    if (!messages.ok() || messages->size() != 1) return SqsMessage{};
    return messages->front();
  }

  const std::string kQueue = "https://sqs.eu-west-1.amazonaws.com/123456789012/q";
  test_support::ScriptedHttp http;
  StaticCredentialsProvider credentials{test_support::example_credentials()};
  FixedClock clock;
  std::unique_ptr<SqsClient> sqs;
};

std::vector<std::string> failed_ids(const SqsBatchResult& r) {
  std::vector<std::string> ids;
  for (const SqsBatchFailure& f : r.failed)
    ids.push_back(f.id);
  return ids;
}

using Strings = std::vector<std::string>;

// --- batch replies ---

TEST_F(SqsClientTest, DeleteBatchReadsAWellFormedReply) {
  auto r = delete_two(R"({"Successful":[{"Id":"0"}],"Failed":[{"Id":"1",)"
                      R"("Code":"ReceiptHandleIsInvalid","Message":"gone","SenderFault":true}]})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->succeeded, Strings{"0"});
  ASSERT_EQ(r->failed.size(), 1u);
  EXPECT_EQ(r->failed[0].id, "1");
  EXPECT_EQ(r->failed[0].code, "ReceiptHandleIsInvalid");
  EXPECT_EQ(r->failed[0].message, "gone");
  EXPECT_TRUE(r->failed[0].sender_fault);
  ASSERT_EQ(http.requests.size(), 1u);
  EXPECT_EQ(find_header(http.requests[0].headers, "X-Amz-Target"), "AmazonSQS.DeleteMessageBatch");
}

TEST_F(SqsClientTest, EmptyBatchReplyMeansNothingSucceeded) {
  for (const char* body : {"{}", "", R"({"Successful":null,"Failed":null})"}) {
    auto r = delete_two(body);
    ASSERT_TRUE(r.ok()) << body << ": " << r.error().message;
    EXPECT_TRUE(r->succeeded.empty()) << body;
    EXPECT_TRUE(r->failed.empty()) << body;
  }
}

TEST_F(SqsClientTest, FailedEntryThatIsNotAnObjectIsNoSuccess) {
  auto r = delete_two(R"({"Successful":[{"Id":"0"}],"Failed":["x"]})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  // Entry 1 is neither succeeded nor identifiable: the caller reports it as
  // having no result, so its message stays on the queue.
  EXPECT_EQ(r->succeeded, Strings{"0"});
  EXPECT_TRUE(r->failed.empty());
}

TEST_F(SqsClientTest, BadEntriesInSuccessfulAreNoSuccess) {
  auto r = delete_two(R"({"Successful":["0",7,null,[{"Id":"0"}],{"Id":1},{"Id":"1"}]})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->succeeded, Strings{"1"});
}

TEST_F(SqsClientTest, OddFieldsOfAFailedEntryDoNotThrow) {
  auto r = delete_two(
      R"({"Failed":[{"Id":"0","Code":5,"Message":["m"],"SenderFault":"yes"},{"Id":{"x":1}}]})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(failed_ids(*r), (Strings{"0", ""}));
  EXPECT_EQ(r->failed[0].code, "");
  EXPECT_EQ(r->failed[0].message, "");
  EXPECT_FALSE(r->failed[0].sender_fault);
}

TEST_F(SqsClientTest, FailedThatIsNotAnArrayIsAnUnreadableResponse) {
  auto r = delete_two(R"({"Successful":[{"Id":"0"}],"Failed":"x"})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "SQS DeleteMessageBatch returned an unreadable response: Failed is not an array");
}

TEST_F(SqsClientTest, SuccessfulThatIsNotAnArrayIsAnUnreadableResponse) {
  for (const char* body : {R"({"Successful":{"a":1}})", R"({"Successful":"0"})",
                           R"({"Successful":true,"Failed":[]})"}) {
    auto r = delete_two(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().message,
              "SQS DeleteMessageBatch returned an unreadable response: Successful is not an array")
        << body;
  }
}

TEST_F(SqsClientTest, ReplyThatIsNotAnObjectIsAnUnreadableResponse) {
  for (const char* body : {"[1]", "\"ok\"", "not json", "{\"Successful\":"}) {
    auto r = delete_two(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(
        r.error().message.rfind("SQS DeleteMessageBatch returned an unreadable response: ", 0), 0u)
        << r.error().message;
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos) << r.error().message;
  }
}

TEST_F(SqsClientTest, ChangeVisibilityBatchIsParsedTheSameWay) {
  http.script = {reply(200, R"({"Successful":[{"Id":"0"}],"Failed":["x"]})")};
  auto r = sqs->change_visibility_batch(kQueue, {{"0", "rh-0", 0}, {"1", "rh-1", 0}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->succeeded, Strings{"0"});
  EXPECT_TRUE(r->failed.empty());
  http.script = {reply(200, R"({"Failed":"x"})")};
  auto bad = sqs->change_visibility_batch(kQueue, {{"0", "rh-0", 0}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "SQS ChangeMessageVisibilityBatch returned an unreadable "
                                 "response: Failed is not an array");
}

// --- ReceiveMessage ---

TEST_F(SqsClientTest, ReceiveReadsAWellFormedReply) {
  auto messages = receive(R"({"Messages":[{"MessageId":"m1","ReceiptHandle":"rh1","Body":"b1",)"
                          R"("Attributes":{"ApproximateReceiveCount":"3",)"
                          R"("SentTimestamp":"1714564800123"}},)"
                          R"({"MessageId":"m2","ReceiptHandle":"rh2","Body":""}]})");
  ASSERT_TRUE(messages.ok()) << messages.error().message;
  ASSERT_EQ(messages->size(), 2u);
  EXPECT_EQ((*messages)[0].message_id, "m1");
  EXPECT_EQ((*messages)[0].receipt_handle, "rh1");
  EXPECT_EQ((*messages)[0].body, "b1");
  EXPECT_EQ((*messages)[0].receive_count, 3);
  EXPECT_EQ((*messages)[0].sent_at, "2024-05-01T12:00:00.123Z");
  EXPECT_EQ((*messages)[1].receive_count, 0);
  EXPECT_EQ((*messages)[1].sent_at, "");
}

// The request as the JSON protocol wants it; a long poll may take its wait
// before the reply starts, so the attempt's limits allow for it.
TEST_F(SqsClientTest, ReceiveAsksWithTheJsonProtocol) {
  http.script = {reply(200, "{}")};
  ASSERT_TRUE(sqs->receive(kQueue, 4, 20, 300).ok());
  ASSERT_EQ(http.requests.size(), 1u);
  const HttpRequest& sent = http.requests[0];
  EXPECT_EQ(sent.url, "https://sqs.eu-west-1.amazonaws.com/");
  EXPECT_EQ(find_header(sent.headers, "X-Amz-Target"), "AmazonSQS.ReceiveMessage");
  EXPECT_EQ(find_header(sent.headers, "Content-Type"), "application/x-amz-json-1.0");
  auto body = parse_json_object(sent.body);
  ASSERT_TRUE(body.ok()) << sent.body;
  EXPECT_EQ((*body)["QueueUrl"].asString(), kQueue);
  EXPECT_EQ((*body)["MaxNumberOfMessages"].asInt(), 4);
  EXPECT_EQ((*body)["WaitTimeSeconds"].asInt(), 20);
  EXPECT_EQ((*body)["VisibilityTimeout"].asInt(), 300);
  EXPECT_GE(sent.stall_timeout_ms, 20000 + 1000);
  EXPECT_GE(sent.timeout_ms, 20000 + 1000);

  http.script = {reply(200, "{}")};
  ASSERT_TRUE(sqs->receive(kQueue, 10, 0, std::nullopt).ok());
  auto second = parse_json_object(http.requests[1].body);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->isMember("VisibilityTimeout")) << "the queue's own setting applies";
}

TEST_F(SqsClientTest, MessageWithoutIdOrReceiptHandleIsAnError) {
  for (const char* body : {R"({"Messages":[{"MessageId":"m","Body":"b"}]})",
                           R"({"Messages":[{"ReceiptHandle":"rh","Body":"b"}]})"}) {
    auto messages = receive(body);
    ASSERT_FALSE(messages.ok()) << body;
    EXPECT_NE(messages.error().message.find("receipt handle"), std::string::npos)
        << messages.error().message;
  }
}

TEST_F(SqsClientTest, ReceiveWithoutMessagesIsEmpty) {
  for (const char* body : {"{}", "", R"({"Messages":[]})", R"({"Messages":null})"}) {
    auto messages = receive(body);
    ASSERT_TRUE(messages.ok()) << body << ": " << messages.error().message;
    EXPECT_TRUE(messages->empty()) << body;
  }
}

TEST_F(SqsClientTest, MessageThatIsNotAnObjectIsAnUnreadableResponse) {
  for (const char* body : {R"({"Messages":[1]})", R"({"Messages":["m"]})",
                           R"({"Messages":[{"MessageId":"m","ReceiptHandle":"rh"},[]]})"}) {
    auto messages = receive(body);
    ASSERT_FALSE(messages.ok()) << body;
    EXPECT_EQ(messages.error().message.rfind(
                  "SQS ReceiveMessage returned an unreadable response: Messages[", 0),
              0u)
        << messages.error().message;
    EXPECT_NE(messages.error().message.find("is not an object"), std::string::npos)
        << messages.error().message;
  }
}

TEST_F(SqsClientTest, MessagesThatIsNotAnArrayIsAnUnreadableResponse) {
  for (const char* body : {R"({"Messages":{"MessageId":"m"}})", R"({"Messages":"m"})"}) {
    auto messages = receive(body);
    ASSERT_FALSE(messages.ok()) << body;
    EXPECT_EQ(messages.error().message,
              "SQS ReceiveMessage returned an unreadable response: Messages is not an array");
  }
}

TEST_F(SqsClientTest, AttributesOfTheWrongShapeAreIgnored) {
  for (const char* attributes :
       {"\"x\"", "[1,2]", "7", "null",
        R"({"ApproximateReceiveCount":3,"SentTimestamp":1714564800123})"}) {
    SqsMessage m = receive_with(attributes);
    EXPECT_EQ(m.message_id, "m") << attributes;
    EXPECT_EQ(m.receive_count, 0) << attributes;
    EXPECT_EQ(m.sent_at, "") << attributes;
  }
}

TEST_F(SqsClientTest, ReceiveCountIsParsedStrictly) {
  auto count = [&](const std::string& text) {
    return receive_with(R"({"ApproximateReceiveCount":")" + text + "\"}").receive_count;
  };
  EXPECT_EQ(count("1"), 1);
  EXPECT_EQ(count("42"), 42);
  EXPECT_EQ(count("2147483647"), 2147483647);
  for (const char* bad :
       {"-1", "x", "", " 3", "3 ", "+3", "3x", "0x10", "1e3", "2147483648", "99999999999999999999"})
    EXPECT_EQ(count(bad), 0) << "'" << bad << "'";
}

TEST_F(SqsClientTest, SentTimestampIsParsedStrictly) {
  auto sent = [&](const std::string& text) {
    return receive_with(R"({"SentTimestamp":")" + text + "\"}").sent_at;
  };
  EXPECT_EQ(sent("1714564800123"), "2024-05-01T12:00:00.123Z");
  EXPECT_EQ(sent("0"), "1970-01-01T00:00:00.000Z");
  // The last millisecond a TimePoint holds.
  EXPECT_EQ(sent("9223372036854"), "2262-04-11T23:47:16.854Z");
  for (const char* bad :
       {"abc", "99999999999999999999", "9223372036855", "253402300800000", "18446744073709551616",
        "-1", "", " 1", "1714564800123 ", "+1714564800123", "1.5", "1714564800123x"})
    EXPECT_EQ(sent(bad), "") << "'" << bad << "'";
}

// --- GetQueueAttributes (sqs-poll --check-queue) ---

TEST_F(SqsClientTest, GetQueueAttributesAsksForTheNamesAndReadsStrings) {
  http.script = {reply(200, R"({"Attributes":{"VisibilityTimeout":"30",)"
                            R"("RedrivePolicy":"{\"maxReceiveCount\":1}","Odd":7}})")};
  auto got = sqs->get_queue_attributes(kQueue, {"VisibilityTimeout", "RedrivePolicy"});
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->at("VisibilityTimeout"), "30");
  EXPECT_EQ(got->at("RedrivePolicy"), "{\"maxReceiveCount\":1}");
  EXPECT_EQ(got->count("Odd"), 0u) << "SQS sends strings; anything else is left out";
  ASSERT_EQ(http.requests.size(), 1u);
  EXPECT_EQ(find_header(http.requests[0].headers, "X-Amz-Target"), "AmazonSQS.GetQueueAttributes");
  auto body = parse_json_object(http.requests[0].body);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ((*body)["QueueUrl"].asString(), kQueue);
  ASSERT_EQ((*body)["AttributeNames"].size(), 2u);
  EXPECT_EQ((*body)["AttributeNames"][1].asString(), "RedrivePolicy");
}

TEST_F(SqsClientTest, GetQueueAttributesWithoutAttributesOrRefused) {
  http.script = {reply(200, "{}")};
  auto none = sqs->get_queue_attributes(kQueue, {"RedrivePolicy"});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  http.script = {reply(200, R"({"Attributes":[1]})")};
  EXPECT_FALSE(sqs->get_queue_attributes(kQueue, {"RedrivePolicy"}).ok());
  http.script = {reply(403, R"({"__type":"AccessDenied","message":"not allowed"})")};
  auto refused = sqs->get_queue_attributes(kQueue, {"RedrivePolicy"});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("AccessDenied"), std::string::npos);
}

} // namespace
} // namespace c42::aws
