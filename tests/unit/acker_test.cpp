#include "common/json_value.h"
#include "common/stages/acker.h"
#include "common/stages/heartbeat.h"
#include "common/stages/quarantine.h"
#include "common/stream.h"
#include "common/time_format.h"
#include "tests/unit/test_support.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <gtest/gtest.h>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace c42 {
namespace {

using test_support::TempFile;

const std::string kQueueA = "https://sqs.us-east-1.amazonaws.com/111/queue-a";
const std::string kQueueB = "https://sqs.us-east-1.amazonaws.com/111/queue-b";

struct Call {
  std::string queue;
  std::vector<aws::SqsBatchEntry> entries;
  bool release = false; // a visibility change; its entries say to what
};

class FakeDeleter final : public MessageDeleter {
public:
  Result<aws::SqsBatchResult> delete_batch(const std::string& queue_url,
                                           const std::vector<aws::SqsBatchEntry>& e) override {
    return respond(queue_url, e, false);
  }
  Result<aws::SqsBatchResult>
  change_visibility_batch(const std::string& queue_url,
                          const std::vector<aws::SqsBatchEntry>& e) override {
    return respond(queue_url, e, true);
  }

  std::vector<Call> snapshot() {
    std::lock_guard<std::mutex> lock(mutex);
    return calls;
  }

  std::mutex mutex;
  std::vector<Call> calls;
  // receipt handle -> (code, message) of a per-entry failure
  std::map<std::string, std::pair<std::string, std::string>> fail;
  std::set<std::string> forget; // receipt handles the reply leaves out
  bool call_error = false;
  std::vector<std::string> extra_ids; // bogus ids added to the reply's successes

private:
  Result<aws::SqsBatchResult> respond(const std::string& queue_url,
                                      const std::vector<aws::SqsBatchEntry>& entries,
                                      bool release) {
    std::lock_guard<std::mutex> lock(mutex);
    calls.push_back(Call{queue_url, entries, release});
    if (call_error)
      return make_error("SQS DeleteMessageBatch failed: AccessDenied: not allowed (HTTP 403)");
    aws::SqsBatchResult result;
    // Failures first, successes after: the reply's order is not the request's.
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
      if (forget.count(it->receipt_handle)) continue;
      auto f = fail.find(it->receipt_handle);
      if (f != fail.end()) {
        result.failed.push_back({it->id, f->second.first, f->second.second, true});
      } else {
        result.succeeded.push_back(it->id);
      }
    }
    for (const auto& id : extra_ids)
      result.succeeded.push_back(id);
    return result;
  }
};

MessageRef ref(const std::string& id, const std::string& queue = kQueueA) {
  return MessageRef{queue, "id-" + id, "rh-" + id};
}

std::string begin_line(const std::string& id, const std::string& queue = kQueueA) {
  return to_line(BeginLine{ref(id, queue)}) + "\n";
}

std::string end_line(const std::string& id, bool ok, int64_t delivered,
                     const std::string& error = "", const std::string& queue = kQueueA) {
  EndLine e;
  e.ref = ref(id, queue);
  e.ok = ok;
  e.records = 3;
  e.fetched = 1;
  e.error = error;
  e.delivered = delivered;
  return to_line(e) + "\n";
}

std::string span(const std::string& id, bool ok, int64_t delivered, const std::string& error = "",
                 const std::string& queue = kQueueA) {
  return begin_line(id, queue) +
         R"({"bucket":"b","key":"k","index":1,"line":"x"})"
         "\n" +
         end_line(id, ok, delivered, error, queue);
}

struct AckRun {
  Outcome outcome = Outcome::kOk;
  AckStats stats;
  std::vector<std::string> raw;
  std::map<std::string, ResultLine> results; // by message id
  std::vector<std::string> result_order;     // message ids
  std::vector<std::string> warnings;
};

AckRun run(const std::string& input, FakeDeleter& deleter, AckConfig config = {},
           AckServices services = {}) {
  TempFile in_file(input);
  TempFile out_file;
  AckRun o;
  {
    LineReader reader(in_file.fd());
    LineWriter writer(out_file.fd());
    o.outcome = run_ack(
        config, deleter, reader, writer,
        [&](Severity, const std::string& w) { o.warnings.push_back(w); }, &o.stats, services);
  }
  std::string text = out_file.contents();
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    o.raw.push_back(text.substr(start, end - start));
    start = end + 1;
    auto v = parse_json_object(o.raw.back());
    EXPECT_TRUE(v.ok()) << o.raw.back();
    if (v.ok() && control_kind(*v) == "result") {
      auto r = result_from_json(*v);
      EXPECT_TRUE(r.ok());
      o.results[r->ref.message_id] = *r;
      o.result_order.push_back(r->ref.message_id);
    }
  }
  return o;
}

std::vector<std::string> receipts(const Call& call) {
  std::vector<std::string> out;
  for (const auto& e : call.entries)
    out.push_back(e.receipt_handle);
  return out;
}

TEST(Acker, DeletesOnlyOkEndsWithDelivered) {
  FakeDeleter deleter;
  std::string input = span("1", true, 3) +                    // delivered: delete
                      span("2", true, 0) +                    // delivered nothing, still ok
                      span("3", true, -1) +                   // no sink confirmed
                      span("4", false, 2, "s3://b/k: boom") + // failed upstream
                      span("5", false, -1);                   // failed, no reason
  AckRun o = run(input, deleter);
  EXPECT_EQ(o.outcome, Outcome::kPartial);
  ASSERT_EQ(deleter.calls.size(), 1u);
  EXPECT_FALSE(deleter.calls[0].release);
  EXPECT_EQ(deleter.calls[0].queue, kQueueA);
  EXPECT_EQ(receipts(deleter.calls[0]), (std::vector<std::string>{"rh-1", "rh-2"}));
  ASSERT_EQ(o.results.size(), 5u);
  EXPECT_EQ(o.result_order.size(), 5u) << "one result per message";
  EXPECT_EQ(o.results["id-1"].action, "deleted");
  EXPECT_EQ(o.results["id-1"].reason, "");
  EXPECT_EQ(o.results["id-1"].ref.receipt_handle, "rh-1");
  EXPECT_EQ(o.results["id-1"].ref.queue_url, kQueueA);
  EXPECT_EQ(o.results["id-2"].action, "deleted");
  EXPECT_EQ(o.results["id-3"].action, "kept");
  EXPECT_NE(o.results["id-3"].reason.find("no sink confirmed delivery"), std::string::npos);
  EXPECT_EQ(o.results["id-4"].action, "kept");
  EXPECT_EQ(o.results["id-4"].reason, "s3://b/k: boom");
  EXPECT_EQ(o.results["id-5"].action, "kept");
  EXPECT_EQ(o.results["id-5"].reason, "not ok");
  EXPECT_EQ(o.stats.deleted, 2u);
  EXPECT_EQ(o.stats.kept, 3u);
  EXPECT_EQ(o.stats.failed, 0u);
  EXPECT_EQ(o.stats.released, 0u);
}

TEST(Acker, AllDeletedIsOk) {
  FakeDeleter deleter;
  AckRun o = run(span("1", true, 1) + span("2", true, 5), deleter);
  EXPECT_EQ(o.outcome, Outcome::kOk);
  EXPECT_EQ(o.stats.deleted, 2u);
  EXPECT_EQ(o.results.size(), 2u);
}

TEST(Acker, EmptyInputIsOk) {
  FakeDeleter deleter;
  AckRun o = run("", deleter);
  EXPECT_EQ(o.outcome, Outcome::kOk);
  EXPECT_TRUE(deleter.calls.empty());
  EXPECT_TRUE(o.raw.empty());
}

TEST(Acker, OtherLinesPassThroughResultsAndRecordsDoNot) {
  FakeDeleter deleter;
  const std::string stats = R"({"@c42":"stats","tool":"la-post","records_posted":1})";
  const std::string message =
      R"({"@c42":"message","queue_url":"q","message_id":"m","receipt_handle":"r","body":"{}"})";
  const std::string old_result = to_line(ResultLine{ref("9"), "deleted", ""});
  std::string input = message + "\n" + span("1", true, 1) + old_result + "\n" +
                      R"({"plain":"record"})"
                      "\n" +
                      stats + "\n";
  AckRun o = run(input, deleter);
  EXPECT_EQ(o.outcome, Outcome::kOk);
  std::vector<std::string> non_results;
  for (const auto& l : o.raw)
    if (l.find("\"@c42\":\"result\"") == std::string::npos) non_results.push_back(l);
  EXPECT_EQ(non_results, (std::vector<std::string>{message, stats}));
  EXPECT_EQ(o.results.size(), 1u);
  EXPECT_EQ(o.results.count("id-9"), 0u) << "input result lines are dropped";
}

TEST(Acker, BatchesHoldAtMostTenEntriesOfOneQueue) {
  FakeDeleter deleter;
  std::string input;
  std::map<std::string, std::string> queue_of; // receipt -> queue
  for (int i = 0; i < 27; ++i) {
    bool b = i % 6 == 5; // 4 on queue B, 23 on queue A, interleaved
    std::string id = (b ? "b" : "a") + std::to_string(i);
    const std::string& queue = b ? kQueueB : kQueueA;
    queue_of["rh-" + id] = queue;
    input += span(id, true, 1, "", queue);
  }
  AckRun o = run(input, deleter);
  EXPECT_EQ(o.outcome, Outcome::kOk);
  std::map<std::string, int> seen;
  std::map<std::string, std::vector<size_t>> sizes_by_queue;
  for (const Call& call : deleter.calls) {
    EXPECT_FALSE(call.release);
    ASSERT_GE(call.entries.size(), 1u);
    EXPECT_LE(call.entries.size(), 10u);
    sizes_by_queue[call.queue].push_back(call.entries.size());
    std::set<std::string> ids;
    for (const auto& e : call.entries) {
      EXPECT_EQ(queue_of[e.receipt_handle], call.queue) << e.receipt_handle;
      EXPECT_TRUE(ids.insert(e.id).second) << "entry ids must be unique within a call";
      ++seen[e.receipt_handle];
    }
  }
  EXPECT_EQ(seen.size(), 27u);
  for (const auto& [receipt, n] : seen)
    EXPECT_EQ(n, 1) << receipt;
  EXPECT_EQ(sizes_by_queue[kQueueA], (std::vector<size_t>{10, 10, 3}));
  EXPECT_EQ(sizes_by_queue[kQueueB], (std::vector<size_t>{4}));
  EXPECT_EQ(o.stats.deleted, 27u);
  ASSERT_EQ(o.results.size(), 27u);
  EXPECT_EQ(o.result_order.size(), 27u) << "one result per message";
  for (const auto& [id, r] : o.results) {
    EXPECT_EQ(r.action, "deleted") << id;
    EXPECT_EQ(r.ref.queue_url, queue_of[r.ref.receipt_handle]);
  }
}

TEST(Acker, PartialFailureReportsEachFailedEntry) {
  FakeDeleter deleter;
  deleter.fail["rh-2"] = {"ReceiptHandleIsInvalid", "The receipt handle has expired."};
  deleter.fail["rh-3"] = {"InternalError", ""};
  AckRun o = run(span("1", true, 1) + span("2", true, 1) + span("3", true, 1) + span("4", true, 1),
                 deleter);
  EXPECT_EQ(o.outcome, Outcome::kPartial);
  ASSERT_EQ(o.results.size(), 4u);
  EXPECT_EQ(o.results["id-1"].action, "deleted");
  EXPECT_EQ(o.results["id-4"].action, "deleted");
  EXPECT_EQ(o.results["id-2"].action, "delete-failed");
  EXPECT_EQ(o.results["id-2"].reason, "ReceiptHandleIsInvalid: The receipt handle has expired.");
  EXPECT_EQ(o.results["id-3"].action, "delete-failed");
  EXPECT_EQ(o.results["id-3"].reason, "InternalError");
  EXPECT_EQ(o.stats.deleted, 2u);
  EXPECT_EQ(o.stats.failed, 2u);
  bool warned = false;
  for (const auto& w : o.warnings)
    warned |= w.find("id-2") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST(Acker, EntryMissingFromTheReplyIsNotDeleted) {
  FakeDeleter deleter;
  deleter.forget.insert("rh-2");
  AckRun o = run(span("1", true, 1) + span("2", true, 1), deleter);
  EXPECT_EQ(o.outcome, Outcome::kPartial);
  EXPECT_EQ(o.results["id-1"].action, "deleted");
  EXPECT_EQ(o.results["id-2"].action, "delete-failed");
  EXPECT_NE(o.results["id-2"].reason.find("no result"), std::string::npos);
  EXPECT_EQ(o.stats.failed, 1u);
}

TEST(Acker, OutOfRangeIdsInTheReplyAreIgnored) {
  FakeDeleter deleter;
  deleter.forget.insert("rh-2");
  deleter.extra_ids = {"7", "1"}; // 7 was never sent; 1 is rh-2's id, not reported as done
  AckRun o = run(span("1", true, 1) + span("2", true, 1), deleter);
  EXPECT_EQ(o.results["id-1"].action, "deleted");
  // "1" names rh-2's entry, which the fake left out of its own answers but
  // then listed as a success: the reply's word counts.
  EXPECT_EQ(o.results["id-2"].action, "deleted");
  EXPECT_EQ(o.result_order.size(), 2u);
}

// Regression: reply ids were mapped back with an unchecked std::stoul, so an
// id that is not a number (a misbehaving endpoint or proxy) threw out of
// run_ack and killed sqs-ack. The bogus id is ignored and the entry it does
// not name is reported delete-failed ("no result").
TEST(Acker, NonNumericIdInTheReplyIsIgnored) {
  FakeDeleter deleter;
  deleter.forget.insert("rh-1");
  deleter.extra_ids = {"not-a-number"};
  AckRun o;
  EXPECT_NO_THROW(o = run(span("1", true, 1), deleter));
  EXPECT_EQ(o.results["id-1"].action, "delete-failed");
}

TEST(Acker, CallErrorFailsTheWholeBatch) {
  FakeDeleter deleter;
  deleter.call_error = true;
  AckRun o = run(span("1", true, 1) + span("2", true, 1) + span("3", false, 0), deleter);
  EXPECT_EQ(o.outcome, Outcome::kService);
  EXPECT_EQ(o.results["id-1"].action, "delete-failed");
  EXPECT_EQ(o.results["id-2"].action, "delete-failed");
  EXPECT_NE(o.results["id-1"].reason.find("AccessDenied"), std::string::npos)
      << o.results["id-1"].reason;
  EXPECT_EQ(o.results["id-3"].action, "kept");
  EXPECT_EQ(o.stats.failed, 2u);
  EXPECT_EQ(o.stats.deleted, 0u);
  EXPECT_FALSE(o.warnings.empty());
}

TEST(Acker, ReleaseMakesUndeliveredMessagesVisible) {
  FakeDeleter deleter;
  AckConfig config;
  config.release = true;
  std::string input = span("1", true, 1) + span("2", false, 0, "posting failed") +
                      span("3", true, -1) + begin_line("4");
  AckRun o = run(input, deleter, config);
  EXPECT_EQ(o.outcome, Outcome::kPartial);
  std::vector<Call> deletes, releases;
  for (const Call& c : deleter.calls)
    (c.release ? releases : deletes).push_back(c);
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_EQ(receipts(deletes[0]), (std::vector<std::string>{"rh-1"}));
  ASSERT_EQ(releases.size(), 1u);
  EXPECT_EQ(receipts(releases[0]), (std::vector<std::string>{"rh-2", "rh-3"}));
  for (const auto& e : releases[0].entries)
    EXPECT_EQ(e.visibility_timeout, 0);
  EXPECT_EQ(o.results["id-1"].action, "deleted");
  EXPECT_EQ(o.results["id-2"].action, "released");
  EXPECT_EQ(o.results["id-3"].action, "released");
  // Without an end line a message is only kept, never released.
  EXPECT_EQ(o.results["id-4"].action, "kept");
  EXPECT_EQ(o.stats.released, 2u);
  EXPECT_EQ(o.stats.deleted, 1u);
  EXPECT_EQ(o.stats.kept, 1u);
  // A planned release is no error: the result line says why, stderr nothing.
  EXPECT_EQ(o.results["id-2"].reason, "posting failed");
  EXPECT_TRUE(o.warnings.empty()) << o.warnings[0];
}

// A repeated end line once gave one message both a 'kept' and a 'deleted'
// result, and its receipt handle twice in one DeleteMessageBatch, which SQS
// answers by failing the whole batch.
TEST(Acker, RepeatedEndLineGivesOneResultAndOneBatchEntry) {
  FakeDeleter deleter;
  std::string input = span("1", true, 1) + end_line("1", false, 0, "late duplicate") +
                      end_line("1", true, 1) + span("2", true, 1);
  AckRun o = run(input, deleter);
  EXPECT_EQ(o.outcome, Outcome::kOk);
  ASSERT_EQ(deleter.calls.size(), 1u);
  EXPECT_EQ(receipts(deleter.calls[0]), (std::vector<std::string>{"rh-1", "rh-2"}));
  EXPECT_EQ(o.result_order.size(), 2u) << "one result per message";
  EXPECT_EQ(o.results["id-1"].action, "deleted");
  EXPECT_EQ(o.stats.kept, 0u);
  ASSERT_EQ(o.warnings.size(), 2u);
  EXPECT_NE(o.warnings[0].find("repeated end line"), std::string::npos) << o.warnings[0];
}

TEST(Acker, OverlongLinesAreSkipped) {
  FakeDeleter deleter;
  TempFile in_file(span("1", true, 1) + std::string(300000, 'x') + "\n" + span("2", true, 1));
  TempFile out_file;
  AckStats stats;
  LineReader reader(in_file.fd(), 1024);
  LineWriter writer(out_file.fd());
  EXPECT_EQ(run_ack({}, deleter, reader, writer, {}, &stats), Outcome::kOk);
  EXPECT_EQ(stats.deleted, 2u);
}

TEST(Acker, ReleaseFailureIsReported) {
  FakeDeleter deleter;
  deleter.fail["rh-2"] = {"MessageNotInflight", "gone"};
  AckConfig config;
  config.release = true;
  AckRun o = run(span("2", false, 0), deleter, config);
  EXPECT_EQ(o.outcome, Outcome::kPartial);
  EXPECT_EQ(o.results["id-2"].action, "release-failed");
  EXPECT_EQ(o.results["id-2"].reason, "MessageNotInflight: gone");
  EXPECT_EQ(o.stats.failed, 1u);
}

TEST(Acker, BeginWithoutEndIsKeptAsIncomplete) {
  FakeDeleter deleter;
  std::string input = begin_line("1") + begin_line("2") + end_line("2", true, 1) +
                      // Same receipt handle, other queue: a different message.
                      begin_line("3", kQueueB) + end_line("3", true, 1, "", kQueueA);
  AckRun o = run(input, deleter);
  EXPECT_EQ(o.outcome, Outcome::kPartial);
  EXPECT_EQ(o.results["id-1"].action, "kept");
  EXPECT_NE(o.results["id-1"].reason.find("incomplete"), std::string::npos);
  EXPECT_EQ(o.results["id-2"].action, "deleted");
  // The end line named queue A, so queue B's begun message is incomplete.
  EXPECT_EQ(o.result_order.size(), 4u);
  int incomplete_b = 0;
  for (const auto& line : o.raw) {
    auto v = parse_json_object(line);
    ASSERT_TRUE(v.ok());
    auto r = result_from_json(*v);
    if (r.ok() && r->ref.queue_url == kQueueB) {
      EXPECT_EQ(r->action, "kept");
      ++incomplete_b;
    }
  }
  EXPECT_EQ(incomplete_b, 1);
  EXPECT_EQ(o.stats.kept, 2u);
}

TEST(Acker, MalformedControlLineIsBadInput) {
  FakeDeleter deleter;
  AckRun o = run(span("1", true, 1) +
                     R"({"@c42":"end","queue_url":)"
                     "\n" +
                     span("2", true, 1),
                 deleter);
  EXPECT_EQ(o.outcome, Outcome::kBadInput);
  // What was read before is still settled.
  EXPECT_EQ(o.results["id-1"].action, "deleted");
  EXPECT_EQ(o.results.count("id-2"), 0u);
}

TEST(Acker, EndLineLackingOkIsBadInput) {
  FakeDeleter deleter;
  AckRun o = run(begin_line("1") +
                     R"({"@c42":"end","queue_url":"q","message_id":"m","receipt_handle":"r"})"
                     "\n",
                 deleter);
  EXPECT_EQ(o.outcome, Outcome::kBadInput);
  EXPECT_TRUE(deleter.calls.empty());
  // Its begin had no usable end: reported incomplete.
  EXPECT_EQ(o.results["id-1"].action, "kept");
}

TEST(Acker, OutputFailureIsReported) {
  test_support::IgnoreSigpipe ignore_sigpipe;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  FakeDeleter deleter;
  TempFile in_file(span("1", true, 1) + span("2", false, 0));
  AckStats stats;
  Outcome outcome = Outcome::kOk;
  {
    LineReader reader(in_file.fd());
    LineWriter writer(fds[1]);
    outcome = run_ack(AckConfig{}, deleter, reader, writer, nullptr, &stats);
  }
  ::close(fds[1]);
  EXPECT_EQ(outcome, Outcome::kOutputFailed);
}

TEST(Acker, PartialBatchIsSentWhenInputGoesQuiet) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  FakeDeleter deleter;
  TempFile out_file;
  AckStats stats;
  std::atomic<bool> finished{false};
  Outcome outcome = Outcome::kBadInput;
  std::thread runner([&] {
    LineReader reader(fds[0]);
    LineWriter writer(out_file.fd());
    outcome = run_ack(AckConfig{}, deleter, reader, writer, nullptr, &stats);
    finished = true;
  });
  std::string input = span("1", true, 1) + span("2", true, 1);
  ASSERT_EQ(::write(fds[1], input.data(), input.size()), ssize_t(input.size()));
  // Input stays open; the two deletions must not wait for more.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (deleter.snapshot().empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto calls = deleter.snapshot();
  EXPECT_FALSE(finished);
  ASSERT_EQ(calls.size(), 1u) << "no delete while input was open and idle";
  EXPECT_EQ(receipts(calls[0]), (std::vector<std::string>{"rh-1", "rh-2"}));
  ::close(fds[1]);
  runner.join();
  ::close(fds[0]);
  EXPECT_EQ(outcome, Outcome::kOk);
  EXPECT_EQ(stats.deleted, 2u);
}

} // namespace
} // namespace c42

namespace c42 {
namespace {

// A span whose end line failed, as the run or the message made it fail,
// with the message's receive count and body as s3-fetch copies them.
std::string failed_span(const std::string& id, const std::string& error,
                        const std::string& interrupted = "", int receive_count = 1,
                        const std::string& body = "{}") {
  EndLine e;
  e.ref = ref(id);
  e.ok = false;
  e.error = error;
  e.delivered = 0;
  e.interrupted = interrupted;
  e.receive_count = receive_count;
  e.body = body;
  return begin_line(id) + to_line(e) + "\n";
}

TEST(AckerRelease, UnstartedMessagesAreReleasedWithoutTheFlag) {
  FakeDeleter deleter;
  std::string input = failed_span("1", "not started: the run's deadline had passed", kUnstarted) +
                      failed_span("2", "interrupted: stopped", kInProgress) +
                      failed_span("3", "s3://b/k: boom");
  AckRun o = run(input, deleter);
  EXPECT_EQ(o.outcome, Outcome::kPartial);
  ASSERT_EQ(deleter.calls.size(), 1u);
  EXPECT_TRUE(deleter.calls[0].release);
  EXPECT_EQ(receipts(deleter.calls[0]), (std::vector<std::string>{"rh-1"}));
  EXPECT_EQ(deleter.calls[0].entries[0].visibility_timeout, 0);
  EXPECT_EQ(o.results["id-1"].action, "released");
  EXPECT_EQ(o.results["id-1"].reason, "not started: the run's deadline had passed");
  EXPECT_EQ(o.results["id-2"].action, "kept") << "in progress: not released early";
  EXPECT_EQ(o.results["id-3"].action, "kept");
  EXPECT_EQ(o.stats.released, 1u);
  EXPECT_EQ(o.stats.kept, 2u);
  EXPECT_TRUE(o.warnings.empty());
}

TEST(AckerRelease, DryRunMessagesAreReleasedWhenTheInputEnds) {
  FakeDeleter deleter;
  // As la-post --output writes them: not ok, nothing delivered; released
  // only once the input ends, so that the run's own receiving, still going
  // on, does not take them again.
  std::string input =
      failed_span("1", "dry run: records written to out.ndjson, not posted", kDryRun) +
      failed_span("2", "s3://b/k: NoSuchKey", kDryRun) + span("3", true, 1);
  AckRun o = run(input, deleter);
  ASSERT_EQ(deleter.calls.size(), 2u);
  EXPECT_FALSE(deleter.calls[0].release);
  EXPECT_EQ(receipts(deleter.calls[0]), (std::vector<std::string>{"rh-3"}));
  EXPECT_TRUE(deleter.calls[1].release) << "a dry run deletes nothing";
  EXPECT_EQ(receipts(deleter.calls[1]), (std::vector<std::string>{"rh-1", "rh-2"}));
  EXPECT_EQ(deleter.calls[1].entries[0].visibility_timeout, 0);
  EXPECT_EQ(o.results["id-1"].action, "released");
  EXPECT_EQ(o.results["id-2"].action, "released");
  EXPECT_EQ(o.results["id-2"].reason, "s3://b/k: NoSuchKey");
  EXPECT_EQ(o.stats.released, 2u);
}

// --- quarantine ---

class FakeQuarantine final : public Quarantine {
public:
  Status put(const QuarantineEntry& entry) override {
    if (!refuse.empty()) return make_error(refuse);
    entries.push_back(entry);
    return Status::success();
  }
  std::vector<QuarantineEntry> entries;
  std::string refuse; // when set, every put fails with it
};

// A failed span received `receive_count` times.
std::string poison_span(const std::string& id, int receive_count, const std::string& error,
                        const std::string& interrupted = "", const std::string& body = "{}") {
  return failed_span(id, error, interrupted, receive_count, body);
}

struct QuarantineRun {
  FakeDeleter deleter;
  FakeQuarantine quarantine;
  FixedClock clock{TimePoint(std::chrono::seconds(1764489600))};
  AckConfig config;
  AckServices services;
  QuarantineRun() {
    config.quarantine_after = 3;
    services.quarantine = &quarantine;
    services.clock = &clock;
  }
  AckRun operator()(const std::string& input) { return run(input, deleter, config, services); }
};

TEST(AckerQuarantine, MessageFailingOftenEnoughIsStoredThenDeleted) {
  QuarantineRun q;
  AckRun o = q(poison_span("1", 3, "s3://b/k: NoSuchKey", "", "{\"Object Key\":\"k\"}") +
               poison_span("2", 2, "s3://b/k2: NoSuchKey"));
  EXPECT_EQ(o.outcome, Outcome::kPartial);
  ASSERT_EQ(q.quarantine.entries.size(), 1u) << "count 2 is below the threshold";
  const QuarantineEntry& entry = q.quarantine.entries[0];
  EXPECT_EQ(entry.ref.message_id, "id-1");
  EXPECT_EQ(entry.receive_count, 3);
  EXPECT_EQ(entry.reason, "s3://b/k: NoSuchKey");
  EXPECT_EQ(entry.body, "{\"Object Key\":\"k\"}");
  EXPECT_EQ(entry.quarantined_at, q.clock.now());
  ASSERT_EQ(q.deleter.calls.size(), 1u);
  EXPECT_FALSE(q.deleter.calls[0].release);
  EXPECT_EQ(receipts(q.deleter.calls[0]), (std::vector<std::string>{"rh-1"}));
  EXPECT_EQ(o.results["id-1"].action, "quarantined");
  EXPECT_EQ(o.results["id-1"].reason, "s3://b/k: NoSuchKey");
  EXPECT_EQ(o.results["id-2"].action, "kept");
  EXPECT_EQ(o.stats.quarantined, 1u);
  EXPECT_EQ(o.stats.deleted, 0u);
}

TEST(AckerQuarantine, FailuresOfTheRunNeverCount) {
  QuarantineRun q;
  AckRun o = q(poison_span("1", 9, "not started: stopped", kUnstarted) +
               poison_span("2", 9, "posting failed: the deadline passed", kInProgress) +
               poison_span("3", 9, "s3://b/k: NoSuchKey", kDryRun));
  EXPECT_TRUE(q.quarantine.entries.empty());
  EXPECT_EQ(o.results["id-1"].action, "released");
  EXPECT_EQ(o.results["id-2"].action, "kept");
  EXPECT_EQ(o.results["id-3"].action, "released") << "a dry run quarantines nothing";
  EXPECT_EQ(o.stats.quarantined, 0u);
}

TEST(AckerQuarantine, DeliveredOrUnconfirmedMessagesAreNeverQuarantined) {
  QuarantineRun q;
  EndLine unconfirmed;
  unconfirmed.ref = ref("2");
  unconfirmed.ok = true;
  unconfirmed.receive_count = 9;
  unconfirmed.body = "{}";
  AckRun o = q(span("1", true, 3) + begin_line("2") + to_line(unconfirmed) + "\n");
  EXPECT_TRUE(q.quarantine.entries.empty());
  EXPECT_EQ(o.results["id-1"].action, "deleted");
  EXPECT_EQ(o.results["id-2"].action, "kept") << "no sink is the run's problem";
}

TEST(AckerQuarantine, WithoutAThresholdOrADestinationNothingIsQuarantined) {
  QuarantineRun q;
  q.config.quarantine_after = 0;
  AckRun o = q(poison_span("1", 50, "unreadable body"));
  EXPECT_EQ(o.results["id-1"].action, "kept");
  QuarantineRun r;
  r.services.quarantine = nullptr;
  o = r(poison_span("1", 50, "unreadable body"));
  EXPECT_EQ(o.results["id-1"].action, "kept");
  EXPECT_TRUE(q.quarantine.entries.empty());
  EXPECT_TRUE(q.deleter.calls.empty());
  EXPECT_TRUE(r.deleter.calls.empty());
}

TEST(AckerQuarantine, MessageIsKeptWhenTheQuarantineFails) {
  QuarantineRun q;
  q.quarantine.refuse = "cannot write quarantine file q.ndjson: No space left on device";
  AckRun o = q(poison_span("1", 3, "corrupt gzip"));
  EXPECT_TRUE(q.deleter.calls.empty()) << "never deleted unless stored";
  EXPECT_EQ(o.results["id-1"].action, "kept");
  EXPECT_NE(o.results["id-1"].reason.find("No space left"), std::string::npos);
  EXPECT_NE(o.results["id-1"].reason.find("corrupt gzip"), std::string::npos);
  ASSERT_EQ(o.warnings.size(), 1u);
  EXPECT_NE(o.warnings[0].find("id-1"), std::string::npos);
  EXPECT_EQ(o.outcome, Outcome::kPartial);
}

TEST(AckerQuarantine, EndLineWithoutABodyIsKept) {
  QuarantineRun q;
  AckRun o = q(poison_span("1", 3, "corrupt gzip", "", ""));
  EXPECT_TRUE(q.quarantine.entries.empty());
  EXPECT_TRUE(q.deleter.calls.empty());
  EXPECT_EQ(o.results["id-1"].action, "kept");
  EXPECT_NE(o.results["id-1"].reason.find("lacks the message's body"), std::string::npos);
}

TEST(AckerQuarantine, FailedDeleteAfterQuarantineIsReported) {
  QuarantineRun q;
  q.deleter.fail["rh-1"] = {"ReceiptHandleIsInvalid", "expired"};
  AckRun o = q(poison_span("1", 3, "corrupt gzip"));
  EXPECT_EQ(q.quarantine.entries.size(), 1u);
  EXPECT_EQ(o.results["id-1"].action, "delete-failed");
  EXPECT_EQ(o.stats.quarantined, 0u);
  EXPECT_EQ(o.stats.failed, 1u);
}

TEST(AckerHeartbeat, EveryEndLineEndsItsMessagesHeartbeat) {
  FakeDeleter deleter;
  FixedClock clock(TimePoint(std::chrono::seconds(1764489600)));
  Heartbeat heartbeat(deleter, clock, {});
  for (const char* id : {"1", "2", "3", "4"}) {
    LeaseLine lease;
    lease.ref = ref(id);
    lease.received_at = format_iso8601(clock.now(), true);
    lease.visibility_timeout = 30;
    heartbeat.add(lease);
  }
  AckServices services;
  services.heartbeat = &heartbeat;
  // Deleted, kept, released, and one whose end never comes.
  AckRun o = run(span("1", true, 1) + span("2", false, 0) +
                     failed_span("3", "not started", kUnstarted) + begin_line("4"),
                 deleter, {}, services);
  EXPECT_EQ(o.results.size(), 4u);
  EXPECT_EQ(heartbeat.held(), 1u) << "only the message without an end line is still held";
}

} // namespace
} // namespace c42
