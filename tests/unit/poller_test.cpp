#include "common/aws/static_credentials_provider.h"
#include "common/json_value.h"
#include "common/stages/poller.h"
#include "common/stream.h"
#include "common/time_format.h"
#include "tests/unit/test_support.h"

#include <csignal>
#include <cstdio>
#include <deque>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace c42 {
namespace {

using test_support::split_lines;
using test_support::TempFile;

const std::string kQueue = "https://sqs.eu-west-1.amazonaws.com/123456789012/c42-events";

TimePoint at(const char* iso) {
  auto t = parse_iso8601(iso);
  EXPECT_TRUE(t.ok()) << iso;
  return t.ok() ? *t : TimePoint();
}

struct Sqs {
  Sqs(std::string i, std::string b, std::string count = "", std::string sent = "")
      : id(std::move(i)), body(std::move(b)), receive_count(std::move(count)),
        sent_ms(std::move(sent)) {}

  std::string id;
  std::string body;
  std::string receive_count; // attribute text, may be empty
  std::string sent_ms;       // attribute text, may be empty
  bool receipt = true;
};

// ReceiveMessage over the JSON protocol: scripted replies; a long poll
// takes its WaitTimeSeconds on the fixed clock, plus a second of overhead.
class FakeSqsHttp final : public HttpClient {
public:
  explicit FakeSqsHttp(FixedClock& clock) : clock_(clock) {}

  Result<HttpResponse> send(const HttpRequest& request, const BodySink*) override {
    auto body = parse_json_object(request.body);
    EXPECT_TRUE(body.ok()) << request.body;
    if (!body.ok()) return make_error("bad request body");
    targets.push_back(find_header(request.headers, "X-Amz-Target").value_or(""));
    urls.push_back(request.url);
    bodies.push_back(*body);
    int wait = (*body)["WaitTimeSeconds"].asInt();
    clock_.set(clock_.now() + std::chrono::seconds(wait + 1));
    HttpResponse response;
    if (!errors.empty()) {
      response = errors.front();
      errors.pop_front();
      return response;
    }
    response.status = 200;
    Json::Value reply(Json::objectValue);
    if (!script.empty()) {
      Json::Value messages(Json::arrayValue);
      for (const Sqs& m : script.front()) {
        Json::Value v(Json::objectValue);
        v["MessageId"] = m.id;
        if (m.receipt) v["ReceiptHandle"] = "rh-" + m.id;
        v["Body"] = m.body;
        v["MD5OfBody"] = "ignored";
        if (!m.receive_count.empty()) v["Attributes"]["ApproximateReceiveCount"] = m.receive_count;
        if (!m.sent_ms.empty()) v["Attributes"]["SentTimestamp"] = m.sent_ms;
        messages.append(v);
      }
      script.pop_front();
      if (!messages.empty()) reply["Messages"] = messages;
    }
    response.body = to_json_line(reply);
    return response;
  }

  std::deque<std::vector<Sqs>> script; // one entry per receive; empty afterwards
  std::deque<HttpResponse> errors;     // served before the script
  std::vector<Json::Value> bodies;
  std::vector<std::string> targets;
  std::vector<std::string> urls;

private:
  FixedClock& clock_;
};

class PollerTest : public testing::Test {
protected:
  PollerTest() : clock(at("2024-05-01T12:00:00Z")), http(clock) {
    aws::ServiceContext ctx;
    ctx.http = &http;
    ctx.credentials = &credentials;
    ctx.clock = &clock;
    ctx.region = "eu-west-1";
    ctx.service = "sqs";
    ctx.retry.max_attempts = 2;
    ctx.sleeper = [](Millis) {};
    auto endpoint = parse_url("https://sqs.eu-west-1.amazonaws.com");
    EXPECT_TRUE(endpoint.ok());
    sqs = std::make_unique<aws::SqsClient>(ctx, *endpoint);
    config.queue_url = kQueue;
  }

  PollOutcome poll(std::function<bool()> stop = nullptr) {
    LineWriter writer(out.fd());
    error.clear();
    PollOutcome outcome = run_poll(config, *sqs, clock, writer, stop, &stats, &error);
    EXPECT_TRUE(writer.flush().ok());
    return outcome;
  }

  std::vector<int> asked(const char* field) const {
    std::vector<int> out;
    for (const auto& b : http.bodies)
      out.push_back(b[field].asInt());
    return out;
  }

  std::vector<MessageLine> messages() const {
    std::vector<MessageLine> out;
    for (const auto& line : out_lines()) {
      auto v = parse_json_object(line);
      EXPECT_TRUE(v.ok()) << line;
      if (!v.ok()) continue;
      EXPECT_EQ(control_kind(*v), "message");
      auto m = message_from_json(*v);
      EXPECT_TRUE(m.ok());
      if (m.ok()) out.push_back(*m);
    }
    return out;
  }
  std::vector<std::string> out_lines() const { return split_lines(out.contents()); }

  FixedClock clock;
  FakeSqsHttp http;
  aws::StaticCredentialsProvider credentials{test_support::example_credentials()};
  std::unique_ptr<aws::SqsClient> sqs;
  PollConfig config;
  PollStats stats;
  std::string error;
  TempFile out;
};

TEST_F(PollerTest, WritesOneMessageLinePerMessage) {
  config.until_empty = true;
  http.script = {{{"m1", R"({"Bucket Name":"b","Object Key":"k"})", "3", "1714564800123"},
                  {"m2", "second\nbody", "", ""}},
                 {}};
  EXPECT_EQ(poll(), PollOutcome::kOk) << error;
  auto ms = messages();
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[0].ref.queue_url, kQueue);
  EXPECT_EQ(ms[0].ref.message_id, "m1");
  EXPECT_EQ(ms[0].ref.receipt_handle, "rh-m1");
  EXPECT_EQ(ms[0].body, R"({"Bucket Name":"b","Object Key":"k"})");
  EXPECT_EQ(ms[0].receive_count, 3);
  EXPECT_EQ(ms[0].sent_at, "2024-05-01T12:00:00.123Z");
  EXPECT_EQ(ms[1].body, "second\nbody");
  EXPECT_EQ(ms[1].receive_count, 0);
  EXPECT_EQ(ms[1].sent_at, "");
  EXPECT_EQ(stats.receives, 2u);
  EXPECT_EQ(stats.messages, 2u);
  ASSERT_EQ(http.bodies.size(), 2u);
  EXPECT_EQ(http.targets[0], "AmazonSQS.ReceiveMessage");
  EXPECT_EQ(http.urls[0], "https://sqs.eu-west-1.amazonaws.com/");
  EXPECT_EQ(http.bodies[0]["QueueUrl"].asString(), kQueue);
  EXPECT_EQ(http.bodies[0]["MaxNumberOfMessages"].asInt(), 10);
  EXPECT_EQ(http.bodies[0]["WaitTimeSeconds"].asInt(), 5);
  EXPECT_FALSE(http.bodies[0].isMember("VisibilityTimeout"));
}

TEST_F(PollerTest, PassesVisibilityTimeoutAndBatchSize) {
  config.until_empty = true;
  config.visibility_timeout = 300;
  config.max_messages = 4;
  config.wait_seconds = 0;
  EXPECT_EQ(poll(), PollOutcome::kOk);
  ASSERT_EQ(http.bodies.size(), 1u);
  EXPECT_EQ(http.bodies[0]["VisibilityTimeout"].asInt(), 300);
  EXPECT_EQ(http.bodies[0]["MaxNumberOfMessages"].asInt(), 4);
  EXPECT_EQ(http.bodies[0]["WaitTimeSeconds"].asInt(), 0);
  EXPECT_TRUE(out_lines().empty());
}

TEST_F(PollerTest, DeadlineShortensTheLongPollAndStops) {
  config.wait_seconds = 20;
  config.deadline = clock.now() + std::chrono::milliseconds(30500);
  // Never empty-handed, so only the deadline can stop the loop.
  for (int i = 0; i < 10; ++i)
    http.script.push_back({{"m" + std::to_string(i), "{}", "1", ""}});
  EXPECT_EQ(poll(), PollOutcome::kOk);
  // 20 s poll (+1 s), then only 9.5 s are left: a 9 s poll, then past it.
  EXPECT_EQ(asked("WaitTimeSeconds"), (std::vector<int>{20, 9}));
  EXPECT_EQ(stats.messages, 2u);
  EXPECT_GE(clock.now(), *config.deadline);
}

TEST_F(PollerTest, PastDeadlineReceivesNothing) {
  config.deadline = clock.now() - std::chrono::seconds(1);
  EXPECT_EQ(poll(), PollOutcome::kOk);
  EXPECT_TRUE(http.bodies.empty());
  config.deadline = clock.now();
  EXPECT_EQ(poll(), PollOutcome::kOk);
  EXPECT_TRUE(http.bodies.empty());
}

TEST_F(PollerTest, MaxMessagesTotalLimitsTheAsk) {
  config.max_messages_total = 3;
  http.script = {{{"a", "{}"}, {"b", "{}"}}, {{"c", "{}"}}, {{"d", "{}"}}};
  EXPECT_EQ(poll(), PollOutcome::kOk);
  EXPECT_EQ(asked("MaxNumberOfMessages"), (std::vector<int>{3, 1}));
  EXPECT_EQ(stats.messages, 3u);
  EXPECT_EQ(messages().size(), 3u);
}

TEST_F(PollerTest, UntilEmptyStopsAtTheFirstEmptyReceive) {
  config.until_empty = true;
  http.script = {{{"a", "{}"}}, {{"b", "{}"}}, {}, {{"c", "{}"}}};
  EXPECT_EQ(poll(), PollOutcome::kOk);
  EXPECT_EQ(stats.receives, 3u);
  EXPECT_EQ(stats.messages, 2u);
}

// A queue whose messages come straight back (visibility timeout 0) is never
// empty; --until-empty once polled it forever.
TEST_F(PollerTest, UntilEmptyStopsWhenOnlyMessagesAlreadyPassedOnComeBack) {
  config.until_empty = true;
  http.script = {{{"a", "{}"}, {"b", "{}"}},
                 {{"a", "{}"}, {"c", "{}"}},
                 {{"b", "{}"}, {"a", "{}"}},
                 {{"d", "{}"}}};
  EXPECT_EQ(poll(), PollOutcome::kOk);
  EXPECT_EQ(stats.receives, 3u);
  EXPECT_EQ(stats.messages, 6u);
}

TEST_F(PollerTest, WithoutUntilEmptyAnEmptyReceiveDoesNotStop) {
  http.script = {{}, {}, {{"a", "{}"}}};
  EXPECT_EQ(poll([&] { return stats.receives >= 4; }), PollOutcome::kInterrupted);
  EXPECT_EQ(stats.receives, 4u);
  EXPECT_EQ(stats.messages, 1u);
}

TEST_F(PollerTest, StopRequestedBeforeTheFirstReceive) {
  EXPECT_EQ(poll([] { return true; }), PollOutcome::kInterrupted);
  EXPECT_TRUE(http.bodies.empty());
}

TEST_F(PollerTest, ServiceErrorIsReported) {
  HttpResponse refused;
  refused.status = 400;
  refused.body = R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"no such queue"})";
  http.errors.push_back(refused);
  EXPECT_EQ(poll(), PollOutcome::kServiceError);
  EXPECT_NE(error.find("ReceiveMessage"), std::string::npos) << error;
  EXPECT_NE(error.find("QueueDoesNotExist"), std::string::npos) << error;
  EXPECT_EQ(http.bodies.size(), 1u) << "a 400 is not retried";
}

TEST_F(PollerTest, MessageWithoutReceiptHandleIsAServiceError) {
  Sqs broken{"a", "{}"};
  broken.receipt = false;
  http.script = {{broken}};
  EXPECT_EQ(poll(), PollOutcome::kServiceError);
  EXPECT_NE(error.find("receipt handle"), std::string::npos) << error;
  EXPECT_TRUE(out_lines().empty());
}

TEST_F(PollerTest, OutputFailureStopsPolling) {
  struct sigaction ignore {
  }, previous{};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ASSERT_EQ(sigaction(SIGPIPE, &ignore, &previous), 0);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  http.script = {{{"a", "{}"}}, {{"b", "{}"}}};
  PollOutcome outcome;
  {
    LineWriter writer(fds[1]);
    outcome = run_poll(config, *sqs, clock, writer, nullptr, &stats, &error);
  }
  ::close(fds[1]);
  sigaction(SIGPIPE, &previous, nullptr);
  EXPECT_EQ(outcome, PollOutcome::kOutputFailed);
  EXPECT_EQ(http.bodies.size(), 1u);
  EXPECT_FALSE(error.empty());
}

} // namespace
} // namespace c42
