#include "common/stages/poller.h"

#include "common/stream.h"

#include <algorithm>
#include <set>

namespace c42 {

Outcome run_poll(const PollConfig& config, MessageSource& source, const Clock& clock,
                 LineWriter& out, const Report& report, const std::function<bool()>& stop_requested,
                 PollStats* stats) {
  // With --until-empty, a receive that brings only messages this run has
  // already passed on means the rest are in flight: a queue whose messages
  // come straight back (visibility timeout 0) is never empty.
  std::set<std::string> seen;
  for (;;) {
    if (stop_requested && stop_requested()) return Outcome::kInterrupted;
    int wait = config.wait_seconds;
    if (config.deadline) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(*config.deadline - clock.now());
      if (left.count() <= 0) return Outcome::kOk;
      // A long poll must not carry us past the deadline.
      wait = static_cast<int>(std::min<long long>(wait, left.count() / 1000));
    }
    int want = config.max_messages;
    if (config.max_messages_total > 0) {
      uint64_t left = config.max_messages_total - stats->messages;
      if (left == 0) return Outcome::kOk;
      want = static_cast<int>(std::min<uint64_t>(want, left));
    }
    auto messages = source.receive(want, wait, config.visibility_timeout);
    if (!messages.ok()) {
      if (stop_requested && stop_requested()) return Outcome::kInterrupted;
      if (report) report(Severity::kError, messages.error().message);
      return Outcome::kService;
    }
    ++stats->receives;
    bool fresh = false;
    for (const aws::SqsMessage& m : *messages) {
      if (config.until_empty) fresh = seen.insert(m.message_id).second || fresh;
      MessageLine line;
      line.ref = MessageRef{source.queue_url(), m.message_id, m.receipt_handle};
      line.receive_count = m.receive_count;
      line.sent_at = m.sent_at;
      line.body = m.body;
      if (!out.write_line(to_line(line)).ok()) return Outcome::kOutputFailed;
      ++stats->messages;
    }
    // Downstream starts on this batch while we wait for the next one.
    if (!out.flush().ok()) return Outcome::kOutputFailed;
    if (config.until_empty && !fresh) return Outcome::kOk;
  }
}

} // namespace c42
