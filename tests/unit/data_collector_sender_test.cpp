#include "common/la/data_collector_sender.h"
#include "tests/unit/test_support.h"

#include <chrono>
#include <deque>
#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <vector>

namespace c42::la {
namespace {

using test_support::ScriptedReply;

ScriptedReply response(long status, std::string body = "", HttpHeaders headers = {}) {
  return test_support::reply(status, std::move(body), std::move(headers));
}

// No answer: nothing listens at the workspace's address.
ScriptedReply refused() {
  return test_support::transport_failure(make_error("connection refused", ErrorKind::kTransient));
}

class DataCollectorSenderTest : public testing::Test {
protected:
  DataCollectorSenderTest() : clock(TimePoint(std::chrono::seconds(1714564800))) {
    target.workspace_id = "0b8fe4c2-5d3a-4e1f-9a7b-6c2d1e0f3a4b";
    target.shared_key = "c2VjcmV0LWtleS1mb3ItdGVzdHM=";
    target.log_type = "Code42";
    retry.max_attempts = 3;
  }

  SendResult send(std::deque<ScriptedReply> replies, const std::string& body = "[{}]") {
    auto fake = std::make_unique<test_support::ScriptedHttp>();
    fake->script = std::move(replies);
    http = fake.get();
    // Sleeping moves the clock, so the deadline is met as in a real run.
    DataCollectorSender sender(
        std::move(fake), target, clock, retry,
        [this](Millis d) {
          sleeps.push_back(d);
          clock.set(clock.now() + d);
        },
        timeouts);
    RecordBatch batch;
    batch.body = body;
    batch.ends = {body.size() - 1};
    SendResult r = sender.send(batch);
    requests = http->requests;
    payload_addresses = http->payload_addresses;
    batch_address = batch.body.data();
    return r;
  }

  DataCollectorTarget target;
  FixedClock clock;
  RetryPolicy retry;
  Timeouts timeouts;
  test_support::ScriptedHttp* http = nullptr;
  std::vector<HttpRequest> requests;
  std::vector<const char*> payload_addresses;
  const char* batch_address = nullptr;
  std::vector<Millis> sleeps;
};

TEST_F(DataCollectorSenderTest, AcceptedOnA2xx) {
  SendResult r = send({response(200)}, "[{\"a\":1}]");
  EXPECT_TRUE(r.ok);
  EXPECT_FALSE(r.fatal);
  EXPECT_EQ(r.attempts, 1);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].body, "[{\"a\":1}]");
  EXPECT_NE(requests[0].url.find("/api/logs?api-version=2016-04-01"), std::string::npos);
  EXPECT_TRUE(find_header(requests[0].headers, "Authorization").has_value());
  EXPECT_EQ(find_header(requests[0].headers, "Log-Type"), "Code42");
}

TEST_F(DataCollectorSenderTest, RetriesServerErrorsAndHonoursRetryAfter) {
  SendResult r = send({response(500), response(429, "", {{"Retry-After", "4"}}), response(200)});
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.attempts, 3);
  ASSERT_EQ(sleeps.size(), 2u);
  EXPECT_LE(sleeps[0], retry.base_delay);
  EXPECT_EQ(sleeps[1], Millis(4000));
}

// Every attempt sends the batch's own bytes: a chunk of up to 30 MB is not
// copied per attempt.
TEST_F(DataCollectorSenderTest, AttemptsSendTheBatchWithoutCopyingIt) {
  SendResult r = send({response(503), response(500), response(200)}, "[{\"a\":1},{\"b\":2}]");
  EXPECT_TRUE(r.ok);
  ASSERT_EQ(payload_addresses.size(), 3u);
  for (const char* address : payload_addresses)
    EXPECT_EQ(address, batch_address);
  for (const HttpRequest& q : requests)
    EXPECT_EQ(q.body, "[{\"a\":1},{\"b\":2}]");
}

TEST_F(DataCollectorSenderTest, ForbiddenIsFatalAndNotRetried) {
  SendResult r = send({response(403, "Forbidden"), response(200)});
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.fatal);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_NE(r.error.find("403"), std::string::npos);
  EXPECT_TRUE(sleeps.empty());
}

TEST_F(DataCollectorSenderTest, ChunkSpecificRefusalsAreNotFatal) {
  SendResult too_large = send({response(413)});
  EXPECT_FALSE(too_large.ok);
  EXPECT_FALSE(too_large.fatal);
  EXPECT_EQ(too_large.attempts, 1);

  SendResult bad_data = send({response(400, R"({"Error":"InvalidDataFormat","Message":"x"})")});
  EXPECT_FALSE(bad_data.ok);
  EXPECT_FALSE(bad_data.fatal);
  EXPECT_FALSE(bad_data.transient) << "the records' own fault";
  EXPECT_NE(bad_data.error.find("InvalidDataFormat"), std::string::npos);

  SendResult bad_log_type = send({response(400, R"({"Error":"InvalidLogType"})")});
  EXPECT_FALSE(bad_log_type.ok);
  EXPECT_TRUE(bad_log_type.fatal);
}

TEST_F(DataCollectorSenderTest, PersistentServerErrorsFailTheChunkOnly) {
  SendResult r = send({response(503), response(503), response(503)});
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.fatal);
  EXPECT_TRUE(r.transient) << "the service's fault, not the records'";
  EXPECT_EQ(r.attempts, 3);
  EXPECT_NE(r.error.find("after 3 attempts"), std::string::npos) << r.error;
  EXPECT_EQ(sleeps.size(), 2u);
}

TEST_F(DataCollectorSenderTest, UnreachableServiceIsFatal) {
  SendResult r = send({refused(), refused(), refused()});
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.fatal);
  EXPECT_NE(r.error.find("connection refused"), std::string::npos);
  EXPECT_EQ(requests.size(), 3u);
}

TEST_F(DataCollectorSenderTest, NetworkErrorThenAnswerIsNotUnreachable) {
  SendResult r = send({refused(), response(503), response(503)});
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.fatal);
}

// Regression: once only the last try decided whether the service was
// unreachable. la-post(1) says a chunk is fatal as unreachable only when it
// "got no answer at all after every try"; here the service answered 503
// twice before a network error, so the chunk fails and the run goes on.
TEST_F(DataCollectorSenderTest, AnsweredThenNetworkErrorIsNotUnreachable) {
  SendResult r = send({response(503), response(503), test_support::transport_failure()});
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.fatal);
}

// A large upload on a slow link must not hit a fixed total time: it is
// bounded by the stall limit, and by the run's deadline when there is one.
TEST_F(DataCollectorSenderTest, UploadsHaveStallLimitsNotAFixedTotal) {
  timeouts.connect_ms = 3000;
  timeouts.stall_ms = 45000;
  ASSERT_TRUE(send({response(200)}).ok);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].timeout_ms, 0);
  EXPECT_EQ(requests[0].connect_timeout_ms, 3000);
  EXPECT_EQ(requests[0].stall_timeout_ms, 45000);

  retry.deadline = clock.now() + std::chrono::seconds(90);
  ASSERT_TRUE(send({response(200)}).ok);
  EXPECT_EQ(requests[0].timeout_ms, 90000);
}

TEST_F(DataCollectorSenderTest, NoRetryStartsAfterTheDeadline) {
  retry.max_attempts = 10;
  retry.deadline = clock.now() + std::chrono::milliseconds(600);
  SendResult r = send({response(503, "", {{"Retry-After", "1"}}), response(200)});
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.out_of_time);
  EXPECT_FALSE(r.fatal) << "the service is not at fault";
  EXPECT_EQ(requests.size(), 1u);
  EXPECT_NE(r.error.find("deadline"), std::string::npos) << r.error;

  clock.set(*retry.deadline);
  SendResult late = send({response(200)});
  EXPECT_FALSE(late.ok);
  EXPECT_TRUE(late.out_of_time);
  EXPECT_TRUE(requests.empty()) << "nothing is sent once the deadline has passed";
}

// --- retries bounded by the run's deadline (la-post's default) ---

TEST_F(DataCollectorSenderTest, UntilTheDeadlineAStormIsRiddenOut) {
  retry.max_attempts = kUntilDeadline;
  retry.deadline = clock.now() + std::chrono::minutes(5);
  SendResult r = send(test_support::storm_then(response(200)));
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.attempts, 13);
  EXPECT_EQ(sleeps.size(), 12u);
}

TEST_F(DataCollectorSenderTest, UntilTheDeadlineRefusalsStillFailAtOnce) {
  retry.max_attempts = kUntilDeadline;
  retry.deadline = clock.now() + std::chrono::minutes(5);
  const std::vector<std::pair<ScriptedReply, bool>> refusals = {
      {response(400, R"({"Error":"InvalidDataFormat"})"), false},
      {response(400, R"({"Error":"InvalidLogType"})"), true},
      {response(403, R"({"Error":"InvalidAuthorization"})"), true},
      {response(404, R"({"Error":"NotFound"})"), true},
      {response(413), false}};
  for (const auto& [refusal, fatal] : refusals) {
    SCOPED_TRACE(refusal.body);
    sleeps.clear();
    SendResult r = send({refusal, response(200)});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.fatal, fatal);
    EXPECT_FALSE(r.out_of_time);
    EXPECT_EQ(r.attempts, 1);
    EXPECT_EQ(requests.size(), 1u);
    EXPECT_TRUE(sleeps.empty());
  }
}

// A service that never answers is tried until the deadline: then the chunk
// is out of time, which is no verdict on the service, not fatal.
TEST_F(DataCollectorSenderTest, UntilTheDeadlineSilenceIsOutOfTimeNotFatal) {
  retry.max_attempts = kUntilDeadline;
  const TimePoint deadline = clock.now() + std::chrono::seconds(60);
  retry.deadline = deadline;
  std::deque<ScriptedReply> silence(1000, refused());
  SendResult r = send(silence);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.out_of_time);
  EXPECT_FALSE(r.fatal);
  EXPECT_GT(r.attempts, kAttemptsWithoutDeadline);
  EXPECT_LE(clock.now(), deadline);
  EXPECT_NE(r.error.find("no time left for another attempt"), std::string::npos) << r.error;
}

TEST_F(DataCollectorSenderTest, ErrorNeverQuotesTheKey) {
  SendResult r = send({response(403, std::string(500, 'z'))});
  EXPECT_EQ(r.error.find(target.shared_key), std::string::npos);
  EXPECT_LT(r.error.size(), 300u) << "long bodies are shortened";
}

} // namespace
} // namespace c42::la
