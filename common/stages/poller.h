// The core of sqs-poll: receive messages and write one `message` line each,
// until told to stop by a deadline, a message count, an empty receive or a
// signal.
#pragma once

#include "common/aws/sqs_client.h"
#include "common/clock.h"
#include "common/diagnostics.h"
#include "common/exit_codes.h"
#include "common/line_io.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace c42 {

// Where messages come from: one SQS queue in production, a fake in tests.
class MessageSource {
public:
  virtual ~MessageSource() = default;
  // The queue the messages' references name.
  virtual const std::string& queue_url() const = 0;
  virtual Result<std::vector<aws::SqsMessage>> receive(int max_messages, int wait_seconds,
                                                       std::optional<int> visibility_timeout) = 0;
};

class SqsMessageSource final : public MessageSource {
public:
  SqsMessageSource(aws::SqsClient& sqs, std::string queue_url)
      : sqs_(sqs), queue_url_(std::move(queue_url)) {}
  const std::string& queue_url() const override { return queue_url_; }
  Result<std::vector<aws::SqsMessage>> receive(int max_messages, int wait_seconds,
                                               std::optional<int> visibility_timeout) override {
    return sqs_.receive(queue_url_, max_messages, wait_seconds, visibility_timeout);
  }

private:
  aws::SqsClient& sqs_;
  std::string queue_url_;
};

struct PollConfig {
  int max_messages = 10;
  int wait_seconds = 5;
  std::optional<int> visibility_timeout;
  // Stop after a receive that brings no message not already passed on.
  bool until_empty = false;
  std::optional<TimePoint> deadline; // no receive starts after this
  uint64_t max_messages_total = 0;   // 0: no limit
};

struct PollStats {
  uint64_t receives = 0;
  uint64_t messages = 0;
};

// Outcome: kOk when a stop condition was met; kService when a receive
// failed (reported); kOutputFailed (also when `leases` cannot be written);
// kInterrupted when stop_requested said so.
// With `leases` (which needs config.visibility_timeout), a lease line goes
// there for each message, and is flushed, before its message line is
// written to `out`: whoever reads the leases (sqs-ack --leases) knows of the
// message before any other stage has it.
Outcome run_poll(const PollConfig& config, MessageSource& source, const Clock& clock,
                 LineWriter& out, const Report& report, const std::function<bool()>& stop_requested,
                 PollStats* stats, LineWriter* leases = nullptr);

// What a queue's own settings say (GetQueueAttributes), as far as known.
struct QueueSettings {
  std::optional<int> visibility_timeout; // seconds
  std::optional<int> max_receive_count;  // of its redrive policy, when it has one
};
// Reads the attributes GetQueueAttributes returned; unreadable ones are
// left unknown.
QueueSettings queue_settings(const std::map<std::string, std::string>& attributes);

// The warnings a run deserves about queue settings that defeat what it
// counts on, one line each, none when all is well:
// - without --visibility-timeout the queue's own timeout applies, and when
//   it is shorter than the time left to receive, a message received early
//   shows again while the run may still be working on it;
// - a redrive policy with maxReceiveCount 1 moves a message to the
//   dead-letter queue at its second receive, so a message that was not
//   deleted at its first one for a reason not its own (a failure of the
//   run, a neighbour's failure, a release at the deadline before it was
//   started) goes there untried.
std::vector<std::string> queue_setting_warnings(const QueueSettings& settings,
                                                const PollConfig& config, TimePoint now);

} // namespace c42
