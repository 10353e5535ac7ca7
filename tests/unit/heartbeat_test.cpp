#include "common/stages/heartbeat.h"
#include "common/stream.h"
#include "common/time_format.h"

#include <chrono>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace c42 {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kQueueA = "https://sqs.us-east-1.amazonaws.com/111/queue-a";
const std::string kQueueB = "https://sqs.us-east-1.amazonaws.com/111/queue-b";

TimePoint at(const char* iso) {
  auto t = parse_iso8601(iso);
  EXPECT_TRUE(t.ok()) << iso;
  return t.ok() ? *t : TimePoint();
}

struct VisibilityCall {
  std::string queue;
  std::vector<aws::SqsBatchEntry> entries;
};

// ChangeMessageVisibilityBatch as the heartbeat sees it; deletes are not
// its business.
class FakeQueue final : public MessageDeleter {
public:
  Result<aws::SqsBatchResult> delete_batch(const std::string&,
                                           const std::vector<aws::SqsBatchEntry>&) override {
    ADD_FAILURE() << "the heartbeat deletes nothing";
    return make_error("not here");
  }
  Result<aws::SqsBatchResult>
  change_visibility_batch(const std::string& queue_url,
                          const std::vector<aws::SqsBatchEntry>& entries) override {
    std::lock_guard<std::mutex> lock(mutex);
    calls.push_back(VisibilityCall{queue_url, entries});
    if (call_error) return make_error("SQS ChangeMessageVisibilityBatch failed: unreachable");
    aws::SqsBatchResult result;
    for (const auto& e : entries) {
      auto f = sender_fault.find(e.receipt_handle);
      if (f != sender_fault.end()) {
        result.failed.push_back({e.id, f->second, "gone", true});
      } else if (server_fault.count(e.receipt_handle)) {
        result.failed.push_back({e.id, "InternalError", "try again", false});
      } else {
        result.succeeded.push_back(e.id);
      }
    }
    return result;
  }

  std::vector<VisibilityCall> snapshot() {
    std::lock_guard<std::mutex> lock(mutex);
    return calls;
  }
  // The receipt handles extended, in order, and to how many seconds.
  std::vector<std::pair<std::string, int>> extended() {
    std::vector<std::pair<std::string, int>> out;
    for (const auto& call : snapshot())
      for (const auto& e : call.entries)
        out.emplace_back(e.receipt_handle, e.visibility_timeout);
    return out;
  }

  std::mutex mutex;
  std::vector<VisibilityCall> calls;
  bool call_error = false;
  std::map<std::string, std::string> sender_fault; // receipt handle -> code
  std::set<std::string> server_fault;
};

LeaseLine lease(const std::string& id, TimePoint received, int visibility,
                const std::string& queue = kQueueA) {
  LeaseLine l;
  l.ref = MessageRef{queue, "id-" + id, "rh-" + id};
  l.received_at = format_iso8601(received, true);
  l.visibility_timeout = visibility;
  return l;
}

class HeartbeatTest : public testing::Test {
protected:
  HeartbeatTest()
      : clock(at("2024-05-02T12:00:00Z")),
        heartbeat(queue, clock, [this](Severity, auto& m) { warnings.push_back(m); }) {}

  void advance(milliseconds by) { clock.set(clock.now() + by); }

  FakeQueue queue;
  FixedClock clock;
  std::vector<std::string> warnings;
  Heartbeat heartbeat;
};

TEST_F(HeartbeatTest, ExtendsAtHalfTimeByTheReceivedTimeoutUntilResolved) {
  heartbeat.add(lease("1", clock.now(), 60));
  auto next = heartbeat.tick();
  EXPECT_TRUE(queue.snapshot().empty()) << "nothing is due at once";
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, clock.now() + seconds(30));

  advance(seconds(29));
  heartbeat.tick();
  EXPECT_TRUE(queue.snapshot().empty());
  advance(seconds(1));
  next = heartbeat.tick();
  ASSERT_EQ(queue.extended(), (std::vector<std::pair<std::string, int>>{{"rh-1", 60}}));
  EXPECT_EQ(queue.snapshot()[0].queue, kQueueA);
  // The new 60 s count from the call: the next one is due 30 s later.
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, clock.now() + seconds(30));

  advance(seconds(30));
  heartbeat.tick();
  EXPECT_EQ(queue.extended().size(), 2u);
  EXPECT_EQ(heartbeat.stats().extensions, 2u);

  heartbeat.resolve(MessageRef{kQueueA, "id-1", "rh-1"});
  advance(seconds(600));
  EXPECT_FALSE(heartbeat.tick().has_value());
  EXPECT_EQ(queue.extended().size(), 2u) << "a resolved message is not extended";
  EXPECT_EQ(heartbeat.held(), 0u);
  EXPECT_TRUE(warnings.empty());
}

TEST_F(HeartbeatTest, CountsFromTheReceiveNotFromWhenTheLeaseArrived) {
  // The lease reached sqs-ack 25 s after the receive began: half of 40 s
  // is already gone.
  heartbeat.add(lease("1", clock.now() - seconds(25), 40));
  heartbeat.tick();
  EXPECT_EQ(queue.extended().size(), 1u);
}

TEST_F(HeartbeatTest, LeaseOfAMessageAlreadyResolvedIsIgnored) {
  heartbeat.resolve(MessageRef{kQueueA, "id-1", "rh-1"});
  heartbeat.add(lease("1", clock.now(), 10));
  EXPECT_EQ(heartbeat.held(), 0u);
  advance(seconds(100));
  heartbeat.tick();
  EXPECT_TRUE(queue.snapshot().empty());
  // Only that lease: the same message received again (a new receipt
  // handle) is a new lease.
  LeaseLine again = lease("1", clock.now(), 10);
  again.ref.receipt_handle = "rh-1-second-receive";
  heartbeat.add(again);
  heartbeat.add(lease("1", clock.now(), 10));
  EXPECT_EQ(heartbeat.held(), 2u);
}

TEST_F(HeartbeatTest, BatchesHoldAtMostTenEntriesOfOneQueue) {
  for (int i = 0; i < 12; ++i)
    heartbeat.add(lease("a" + std::to_string(i), clock.now(), 10, kQueueA));
  heartbeat.add(lease("b", clock.now(), 10, kQueueB));
  advance(seconds(5));
  heartbeat.tick();
  auto calls = queue.snapshot();
  ASSERT_EQ(calls.size(), 3u);
  size_t a = 0, b = 0;
  for (const auto& call : calls) {
    EXPECT_LE(call.entries.size(), 10u);
    std::set<std::string> ids;
    for (const auto& e : call.entries) {
      EXPECT_TRUE(ids.insert(e.id).second) << "entry ids are unique in a call";
      EXPECT_EQ(e.visibility_timeout, 10);
    }
    (call.queue == kQueueA ? a : b) += call.entries.size();
  }
  EXPECT_EQ(a, 12u);
  EXPECT_EQ(b, 1u);
}

TEST_F(HeartbeatTest, NeverAsksForMoreThanTwelveHoursAfterTheReceive) {
  // Received 11 h 59 min 50 s ago: 9 s may still be asked for, not 300.
  heartbeat.add(lease("1", clock.now() - seconds(43190), 300));
  heartbeat.tick();
  ASSERT_EQ(queue.extended(), (std::vector<std::pair<std::string, int>>{{"rh-1", 9}}));
  EXPECT_TRUE(warnings.empty());
  advance(seconds(9));
  heartbeat.tick();
  EXPECT_EQ(queue.extended().size(), 1u) << "nothing left to ask for";
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("12 hours"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("id-1"), std::string::npos) << warnings[0];
  EXPECT_EQ(heartbeat.held(), 0u);
}

TEST_F(HeartbeatTest, FailedCallIsAWarningAndIsTriedAgainWhileTheMessageIsHidden) {
  heartbeat.add(lease("1", clock.now(), 30));
  queue.call_error = true;
  advance(seconds(15));
  auto next = heartbeat.tick();
  ASSERT_EQ(queue.snapshot().size(), 1u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("cannot extend the visibility of message id-1"), std::string::npos)
      << warnings[0];
  EXPECT_EQ(heartbeat.held(), 1u) << "a failed extension is not a lost message";
  ASSERT_TRUE(next.has_value());
  EXPECT_GT(*next, clock.now());
  EXPECT_LE(*next, clock.now() + seconds(5));
  // Failing again says nothing more; success then resets the warning.
  clock.set(*next);
  heartbeat.tick();
  EXPECT_EQ(queue.snapshot().size(), 2u);
  EXPECT_EQ(warnings.size(), 1u);
  queue.call_error = false;
  clock.set(*heartbeat.tick());
  heartbeat.tick();
  EXPECT_EQ(heartbeat.stats().extensions, 1u);
  EXPECT_EQ(heartbeat.stats().failures, 2u);
}

TEST_F(HeartbeatTest, ReceiptHandleSqsRefusesIsGivenUp) {
  heartbeat.add(lease("1", clock.now(), 10));
  heartbeat.add(lease("2", clock.now(), 10));
  heartbeat.add(lease("3", clock.now(), 10));
  queue.sender_fault["rh-1"] = "ReceiptHandleIsInvalid";
  queue.server_fault.insert("rh-3");
  advance(seconds(5));
  heartbeat.tick();
  EXPECT_EQ(heartbeat.held(), 2u) << "message 1 is given up, 3 is tried again";
  ASSERT_EQ(warnings.size(), 2u);
  std::string all = warnings[0] + "\n" + warnings[1];
  EXPECT_NE(all.find("id-1: ReceiptHandleIsInvalid: gone; no longer trying"), std::string::npos)
      << all;
  EXPECT_NE(all.find("id-3: InternalError"), std::string::npos) << all;
}

TEST_F(HeartbeatTest, MessageResolvedDuringTheCallIsNotKeptAlive) {
  struct Resolving final : public MessageDeleter {
    Heartbeat* heartbeat = nullptr;
    int calls = 0;
    Result<aws::SqsBatchResult> delete_batch(const std::string&,
                                             const std::vector<aws::SqsBatchEntry>&) override {
      return make_error("no");
    }
    Result<aws::SqsBatchResult>
    change_visibility_batch(const std::string&,
                            const std::vector<aws::SqsBatchEntry>& entries) override {
      ++calls;
      heartbeat->resolve(MessageRef{kQueueA, "id-1", "rh-1"});
      aws::SqsBatchResult r;
      for (const auto& e : entries)
        r.succeeded.push_back(e.id);
      return r;
    }
  } sqs;
  Heartbeat beat(sqs, clock, {});
  sqs.heartbeat = &beat;
  beat.add(lease("1", clock.now(), 10));
  advance(seconds(5));
  EXPECT_FALSE(beat.tick().has_value());
  EXPECT_EQ(beat.held(), 0u);
  advance(seconds(50));
  beat.tick();
  EXPECT_EQ(sqs.calls, 1);
}

// The thread reads lease lines from a pipe, as sqs-ack does from sqs-poll,
// and extends on the real clock: a 2 s timeout is extended about a second
// after the receive, and never again once the message is resolved.
TEST(HeartbeatThreadTest, ReadsLeasesFromAPipeAndExtendsUntilStopped) {
  FakeQueue queue;
  SystemClock clock;
  std::vector<std::string> reports;
  std::mutex reports_mutex;
  Report report = [&](Severity, const std::string& m) {
    std::lock_guard<std::mutex> lock(reports_mutex);
    reports.push_back(m);
  };
  Heartbeat heartbeat(queue, clock, report);
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  {
    HeartbeatThread thread(heartbeat, fds[0], report);
    std::string lines = to_line(lease("1", clock.now(), 2)) + "\n" + "{\"@c42\":\"lease\"}\n" +
                        to_line(lease("2", clock.now(), 2)) + "\n";
    ASSERT_EQ(::write(fds[1], lines.data(), lines.size()), ssize_t(lines.size()));
    ::close(fds[1]); // sqs-poll is done: the leases held go on
    auto deadline = std::chrono::steady_clock::now() + seconds(5);
    while (queue.extended().size() < 2 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(milliseconds(20));
    ASSERT_EQ(queue.extended().size(), 2u);
    heartbeat.resolve(MessageRef{kQueueA, "id-1", "rh-1"});
    heartbeat.resolve(MessageRef{kQueueA, "id-2", "rh-2"});
    std::this_thread::sleep_for(milliseconds(1300));
    EXPECT_EQ(queue.extended().size(), 2u);
    thread.stop();
  }
  ::close(fds[0]);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].find("lease line 2"), std::string::npos) << reports[0];
}

} // namespace
} // namespace c42
