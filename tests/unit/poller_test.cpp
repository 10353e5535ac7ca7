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
#include <thread>
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

aws::SqsMessage sqs_message(const std::string& id, const std::string& body = "{}",
                            int receive_count = 1, const std::string& sent_at = "") {
  aws::SqsMessage m;
  m.message_id = id;
  m.receipt_handle = "rh-" + id;
  m.body = body;
  m.receive_count = receive_count;
  m.sent_at = sent_at;
  return m;
}

// Scripted receives; a long poll takes its wait on the fixed clock, plus a
// second of overhead.
class FakeMessageSource final : public MessageSource {
public:
  explicit FakeMessageSource(FixedClock& clock) : clock_(clock) {}
  const std::string& queue_url() const override { return kQueue; }
  Result<std::vector<aws::SqsMessage>> receive(int max_messages, int wait_seconds,
                                               std::optional<int> visibility_timeout) override {
    asked_max.push_back(max_messages);
    asked_wait.push_back(wait_seconds);
    asked_visibility.push_back(visibility_timeout);
    clock_.set(clock_.now() + std::chrono::seconds(wait_seconds + 1));
    if (!errors.empty()) {
      Error e = errors.front();
      errors.pop_front();
      return e;
    }
    if (script.empty()) return std::vector<aws::SqsMessage>();
    auto batch = script.front();
    script.pop_front();
    return batch;
  }

  std::deque<std::vector<aws::SqsMessage>> script; // one entry per receive; empty afterwards
  std::deque<Error> errors;                        // served before the script
  std::vector<int> asked_max, asked_wait;
  std::vector<std::optional<int>> asked_visibility;

private:
  FixedClock& clock_;
};

class PollerTest : public testing::Test {
protected:
  PollerTest() : clock(at("2024-05-01T12:00:00Z")), source(clock) {}

  Outcome poll(std::function<bool()> stop = nullptr) {
    LineWriter writer(out.fd());
    reports.clear();
    Outcome outcome = run_poll(
        config, source, clock, writer,
        [this](Severity, const std::string& m) { reports.push_back(m); }, stop, &stats);
    EXPECT_TRUE(writer.flush().ok());
    return outcome;
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
  FakeMessageSource source;
  PollConfig config;
  PollStats stats;
  std::vector<std::string> reports;
  TempFile out;
};

TEST_F(PollerTest, WritesOneMessageLinePerMessage) {
  config.until_empty = true;
  source.script = {
      {sqs_message("m1", R"({"Bucket Name":"b","Object Key":"k"})", 3, "2024-05-01T12:00:00.123Z"),
       sqs_message("m2", "second\nbody", 0)},
      {}};
  EXPECT_EQ(poll(), Outcome::kOk);
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
  EXPECT_EQ(source.asked_max, (std::vector<int>{10, 10}));
  EXPECT_EQ(source.asked_wait, (std::vector<int>{5, 5}));
  EXPECT_FALSE(source.asked_visibility[0].has_value());
}

TEST_F(PollerTest, PassesVisibilityTimeoutAndBatchSize) {
  config.until_empty = true;
  config.visibility_timeout = 300;
  config.max_messages = 4;
  config.wait_seconds = 0;
  EXPECT_EQ(poll(), Outcome::kOk);
  ASSERT_EQ(source.asked_max.size(), 1u);
  EXPECT_EQ(source.asked_visibility[0], 300);
  EXPECT_EQ(source.asked_max[0], 4);
  EXPECT_EQ(source.asked_wait[0], 0);
  EXPECT_TRUE(out_lines().empty());
}

TEST_F(PollerTest, DeadlineShortensTheLongPollAndStops) {
  config.wait_seconds = 20;
  config.deadline = clock.now() + std::chrono::milliseconds(30500);
  // Never empty-handed, so only the deadline can stop the loop.
  for (int i = 0; i < 10; ++i)
    source.script.push_back({sqs_message("m" + std::to_string(i))});
  EXPECT_EQ(poll(), Outcome::kOk);
  // 20 s poll (+1 s), then only 9.5 s are left: a 9 s poll, then past it.
  EXPECT_EQ(source.asked_wait, (std::vector<int>{20, 9}));
  EXPECT_EQ(stats.messages, 2u);
  EXPECT_GE(clock.now(), *config.deadline);
}

TEST_F(PollerTest, PastDeadlineReceivesNothing) {
  config.deadline = clock.now() - std::chrono::seconds(1);
  EXPECT_EQ(poll(), Outcome::kOk);
  EXPECT_TRUE(source.asked_max.empty());
  config.deadline = clock.now();
  EXPECT_EQ(poll(), Outcome::kOk);
  EXPECT_TRUE(source.asked_max.empty());
}

TEST_F(PollerTest, MaxMessagesTotalLimitsTheAsk) {
  config.max_messages_total = 3;
  source.script = {{sqs_message("a"), sqs_message("b")}, {sqs_message("c")}, {sqs_message("d")}};
  EXPECT_EQ(poll(), Outcome::kOk);
  EXPECT_EQ(source.asked_max, (std::vector<int>{3, 1}));
  EXPECT_EQ(stats.messages, 3u);
  EXPECT_EQ(messages().size(), 3u);
}

TEST_F(PollerTest, UntilEmptyStopsAtTheFirstEmptyReceive) {
  config.until_empty = true;
  source.script = {{sqs_message("a")}, {sqs_message("b")}, {}, {sqs_message("c")}};
  EXPECT_EQ(poll(), Outcome::kOk);
  EXPECT_EQ(stats.receives, 3u);
  EXPECT_EQ(stats.messages, 2u);
}

// A queue whose messages come straight back (visibility timeout 0) is never
// empty; --until-empty once polled it forever.
TEST_F(PollerTest, UntilEmptyStopsWhenOnlyMessagesAlreadyPassedOnComeBack) {
  config.until_empty = true;
  source.script = {{sqs_message("a"), sqs_message("b")},
                   {sqs_message("a"), sqs_message("c")},
                   {sqs_message("b"), sqs_message("a")},
                   {sqs_message("d")}};
  EXPECT_EQ(poll(), Outcome::kOk);
  EXPECT_EQ(stats.receives, 3u);
  EXPECT_EQ(stats.messages, 6u);
}

TEST_F(PollerTest, WithoutUntilEmptyAnEmptyReceiveDoesNotStop) {
  source.script = {{}, {}, {sqs_message("a")}};
  EXPECT_EQ(poll([&] { return stats.receives >= 4; }), Outcome::kInterrupted);
  EXPECT_EQ(stats.receives, 4u);
  EXPECT_EQ(stats.messages, 1u);
}

TEST_F(PollerTest, StopRequestedBeforeTheFirstReceive) {
  EXPECT_EQ(poll([] { return true; }), Outcome::kInterrupted);
  EXPECT_TRUE(source.asked_max.empty());
}

TEST_F(PollerTest, ReceiveErrorIsReportedOnce) {
  source.errors.push_back(
      make_error("SQS ReceiveMessage failed: QueueDoesNotExist: no such queue (HTTP 400)"));
  EXPECT_EQ(poll(), Outcome::kService);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].find("QueueDoesNotExist"), std::string::npos) << reports[0];
  EXPECT_TRUE(out_lines().empty());
}

TEST_F(PollerTest, OutputFailureStopsPolling) {
  test_support::IgnoreSigpipe ignore_sigpipe;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  source.script = {{sqs_message("a")}, {sqs_message("b")}};
  Outcome outcome;
  {
    LineWriter writer(fds[1]);
    outcome = run_poll(config, source, clock, writer, nullptr, nullptr, &stats);
  }
  ::close(fds[1]);
  EXPECT_EQ(outcome, Outcome::kOutputFailed);
  EXPECT_EQ(source.asked_max.size(), 1u);
}

// --- leases ---

TEST_F(PollerTest, LeaseLinesGoOutBeforeTheirMessagesWithTheReceiveTime) {
  config.until_empty = true;
  config.visibility_timeout = 120;
  config.wait_seconds = 0;
  const TimePoint first_receive = clock.now();
  source.script = {{sqs_message("a"), sqs_message("b")}, {sqs_message("c")}, {}};
  TempFile lease_file;
  Outcome outcome;
  {
    LineWriter writer(out.fd());
    LineWriter leases(lease_file.fd());
    outcome = run_poll(config, source, clock, writer, nullptr, nullptr, &stats, &leases);
  }
  EXPECT_EQ(outcome, Outcome::kOk);
  auto lines = split_lines(lease_file.contents());
  ASSERT_EQ(lines.size(), 3u);
  std::vector<LeaseLine> leases;
  for (const auto& line : lines) {
    auto v = parse_json_object(line);
    ASSERT_TRUE(v.ok()) << line;
    EXPECT_EQ(control_kind(*v), "lease");
    auto lease = lease_from_json(*v);
    ASSERT_TRUE(lease.ok()) << lease.error().message;
    leases.push_back(*lease);
  }
  EXPECT_EQ(leases[0].ref.message_id, "a");
  EXPECT_EQ(leases[0].ref.receipt_handle, "rh-a");
  EXPECT_EQ(leases[0].ref.queue_url, kQueue);
  EXPECT_EQ(leases[0].visibility_timeout, 120);
  EXPECT_EQ(leases[0].received_at, format_iso8601(first_receive, true))
      << "counted from when the receive started";
  EXPECT_EQ(leases[2].ref.message_id, "c");
  EXPECT_EQ(leases[2].received_at, format_iso8601(first_receive + std::chrono::seconds(1), true));
  EXPECT_EQ(messages().size(), 3u);
}

TEST_F(PollerTest, LeaseLinesAreFlushedBeforeTheMessageLine) {
  // The message line is written to a pipe nobody reads until the lease
  // writer's file already holds the lease: a full pipe would block us, so
  // read it from another thread and look at the lease file then.
  config.visibility_timeout = 30;
  config.max_messages_total = 1;
  source.script = {{sqs_message("a")}};
  TempFile lease_file;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string leases_when_message_arrived;
  std::thread reader([&] {
    char c;
    if (::read(fds[0], &c, 1) == 1) leases_when_message_arrived = lease_file.contents();
    char buf[4096];
    while (::read(fds[0], buf, sizeof buf) > 0) {
    }
  });
  {
    LineWriter writer(fds[1]);
    LineWriter leases(lease_file.fd(), 1u << 20); // a big buffer: only a flush writes it
    EXPECT_EQ(run_poll(config, source, clock, writer, nullptr, nullptr, &stats, &leases),
              Outcome::kOk);
  }
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
  EXPECT_NE(leases_when_message_arrived.find("\"lease\""), std::string::npos)
      << leases_when_message_arrived;
}

TEST_F(PollerTest, LeaseOutputFailureStopsPolling) {
  test_support::IgnoreSigpipe ignore_sigpipe;
  config.visibility_timeout = 30;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  source.script = {{sqs_message("a")}, {sqs_message("b")}};
  Outcome outcome;
  {
    LineWriter writer(out.fd());
    LineWriter leases(fds[1]);
    outcome = run_poll(config, source, clock, writer, nullptr, nullptr, &stats, &leases);
  }
  ::close(fds[1]);
  EXPECT_EQ(outcome, Outcome::kOutputFailed);
  EXPECT_TRUE(out_lines().empty()) << "no message goes out whose lease did not";
}

// --- queue settings ---

TEST(QueueSettings, ReadsTimeoutAndRedrivePolicyEitherWay) {
  auto s = queue_settings({{"VisibilityTimeout", "30"},
                           {"RedrivePolicy", R"({"deadLetterTargetArn":"arn:aws:sqs:x",)"
                                             R"("maxReceiveCount":5})"}});
  EXPECT_EQ(s.visibility_timeout, 30);
  EXPECT_EQ(s.max_receive_count, 5);
  s = queue_settings({{"RedrivePolicy", R"({"maxReceiveCount":"1"})"}});
  EXPECT_FALSE(s.visibility_timeout.has_value());
  EXPECT_EQ(s.max_receive_count, 1);
  s = queue_settings({{"VisibilityTimeout", "soon"}, {"RedrivePolicy", "not json"}});
  EXPECT_FALSE(s.visibility_timeout.has_value());
  EXPECT_FALSE(s.max_receive_count.has_value());
}

TEST(QueueSettings, WarnsOnlyAboutWhatDefeatsTheRun) {
  const TimePoint now = at("2024-05-01T12:00:00Z");
  PollConfig config;
  config.deadline = now + std::chrono::seconds(270);
  QueueSettings settings;
  settings.visibility_timeout = 30;
  settings.max_receive_count = 5;
  // Without --visibility-timeout the queue's 30 s apply to a 270 s run.
  auto warnings = queue_setting_warnings(settings, config, now);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("visibility timeout of 30 s is shorter than the 270 s"),
            std::string::npos)
      << warnings[0];
  // The receive's own timeout wins over the queue's: nothing to say.
  config.visibility_timeout = 600;
  EXPECT_TRUE(queue_setting_warnings(settings, config, now).empty());
  // So does a queue timeout longer than the run, or a run without an end.
  config.visibility_timeout.reset();
  settings.visibility_timeout = 900;
  EXPECT_TRUE(queue_setting_warnings(settings, config, now).empty());
  // maxReceiveCount 1 sends a message to the dead-letter queue untried.
  settings.max_receive_count = 1;
  warnings = queue_setting_warnings(settings, config, now);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("maxReceiveCount 1"), std::string::npos) << warnings[0];
  settings.max_receive_count = 2;
  EXPECT_TRUE(queue_setting_warnings(settings, config, now).empty());
}

} // namespace
} // namespace c42
