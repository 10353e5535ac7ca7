// The core of sqs-poll: receive messages and write one `message` line each,
// until told to stop by a deadline, a message count, an empty receive or a
// signal.
#pragma once

#include "common/aws/sqs_client.h"
#include "common/line_io.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace c42 {

struct PollConfig {
  std::string queue_url;
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

enum class PollOutcome { kOk, kServiceError, kOutputFailed, kInterrupted };

PollOutcome run_poll(const PollConfig& config, aws::SqsClient& sqs, const Clock& clock,
                     LineWriter& out, const std::function<bool()>& stop_requested, PollStats* stats,
                     std::string* error);

} // namespace c42
