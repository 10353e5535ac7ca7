#include "common/stages/poller.h"

#include "common/decimal.h"
#include "common/json_value.h"
#include "common/stream.h"
#include "common/time_format.h"

#include <algorithm>
#include <limits>
#include <set>

namespace c42 {

Outcome run_poll(const PollConfig& config, MessageSource& source, const Clock& clock,
                 LineWriter& out, const Report& report, const std::function<bool()>& stop_requested,
                 PollStats* stats, LineWriter* leases) {
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
    // The messages' visibility runs from some moment during the call: from
    // its start is on the safe side.
    const std::string received_at = format_iso8601(clock.now(), true);
    auto messages = source.receive(want, wait, config.visibility_timeout);
    if (!messages.ok()) {
      if (stop_requested && stop_requested()) return Outcome::kInterrupted;
      if (report) report(Severity::kError, messages.error().message);
      return Outcome::kService;
    }
    ++stats->receives;
    if (leases != nullptr && !messages->empty()) {
      for (const aws::SqsMessage& m : *messages) {
        LeaseLine lease;
        lease.ref = MessageRef{source.queue_url(), m.message_id, m.receipt_handle};
        lease.received_at = received_at;
        lease.visibility_timeout = config.visibility_timeout.value_or(0);
        if (!leases->write_line(to_line(lease)).ok()) return Outcome::kOutputFailed;
      }
      if (!leases->flush().ok()) return Outcome::kOutputFailed;
    }
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

namespace {

std::optional<int> seconds_attribute(const std::map<std::string, std::string>& attributes,
                                     const std::string& name) {
  auto it = attributes.find(name);
  if (it == attributes.end()) return std::nullopt;
  auto value = parse_decimal(it->second, static_cast<uint64_t>(std::numeric_limits<int>::max()));
  if (!value) return std::nullopt;
  return static_cast<int>(*value);
}

} // namespace

QueueSettings queue_settings(const std::map<std::string, std::string>& attributes) {
  QueueSettings settings;
  settings.visibility_timeout = seconds_attribute(attributes, "VisibilityTimeout");
  // RedrivePolicy is a JSON document inside the attribute; SQS has written
  // maxReceiveCount both as a number and as a string.
  auto redrive = attributes.find("RedrivePolicy");
  if (redrive != attributes.end()) {
    auto policy = parse_json_object(redrive->second);
    if (policy.ok()) {
      const Json::Value& count = (*policy)["maxReceiveCount"];
      if (count.isInt() && count.asInt() > 0) {
        settings.max_receive_count = count.asInt();
      } else if (count.isString()) {
        auto parsed = parse_decimal(count.asString(), 1000000);
        if (parsed && *parsed > 0) settings.max_receive_count = static_cast<int>(*parsed);
      }
    }
  }
  return settings;
}

std::vector<std::string> queue_setting_warnings(const QueueSettings& settings,
                                                const PollConfig& config, TimePoint now) {
  std::vector<std::string> warnings;
  if (!config.visibility_timeout && settings.visibility_timeout && config.deadline) {
    auto left = std::chrono::duration_cast<std::chrono::seconds>(*config.deadline - now).count();
    if (*settings.visibility_timeout < left)
      warnings.push_back("the queue's visibility timeout of " +
                         std::to_string(*settings.visibility_timeout) + " s is shorter than the " +
                         std::to_string(left) +
                         " s left to receive: a message received early shows again, and is "
                         "received twice, while it may still be in work (give "
                         "--visibility-timeout)");
  }
  if (settings.max_receive_count && *settings.max_receive_count == 1)
    warnings.push_back(
        "the queue's redrive policy has maxReceiveCount 1: a message not deleted at its first "
        "receive (kept by a failure of the run or of a neighbour, or released at the deadline "
        "before it was started) goes to the dead-letter queue at its next receive, untried");
  return warnings;
}

} // namespace c42
