// The core of sqs-ack: deletes the messages whose `end` line says they were
// delivered, keeps (or releases) the rest, and writes one `result` line per
// message.
#pragma once

#include "common/aws/sqs_client.h"
#include "common/clock.h"
#include "common/diagnostics.h"
#include "common/exit_codes.h"
#include "common/line_io.h"
#include "common/stream.h"

#include <cstdint>
#include <functional>
#include <string>

namespace c42 {

struct AckConfig {
  bool release = false; // not-ok messages: visibility 0, so they return at once
  // A message that failed for a reason of its own (its end line not ok and
  // not "interrupted") once SQS has handed it out this often is put in the
  // quarantine and deleted. 0: never.
  int quarantine_after = 0;
};

struct AckStats {
  uint64_t deleted = 0;
  uint64_t kept = 0;
  uint64_t released = 0;
  uint64_t quarantined = 0; // stored in the quarantine, then deleted
  uint64_t failed = 0;      // delete (or release) calls that failed
};

// The batching seam: SqsClient in production.
class MessageDeleter {
public:
  virtual ~MessageDeleter() = default;
  virtual Result<aws::SqsBatchResult> delete_batch(const std::string& queue_url,
                                                   const std::vector<aws::SqsBatchEntry>& e) = 0;
  // Each entry's visibility_timeout counts from now: 0 releases the
  // message, more extends the time it stays hidden.
  virtual Result<aws::SqsBatchResult>
  change_visibility_batch(const std::string& queue_url,
                          const std::vector<aws::SqsBatchEntry>& e) = 0;
};

class SqsMessageDeleter final : public MessageDeleter {
public:
  explicit SqsMessageDeleter(aws::SqsClient& sqs) : sqs_(sqs) {}
  Result<aws::SqsBatchResult> delete_batch(const std::string& queue_url,
                                           const std::vector<aws::SqsBatchEntry>& e) override {
    return sqs_.delete_batch(queue_url, e);
  }
  Result<aws::SqsBatchResult>
  change_visibility_batch(const std::string& queue_url,
                          const std::vector<aws::SqsBatchEntry>& e) override {
    return sqs_.change_visibility_batch(queue_url, e);
  }

private:
  aws::SqsClient& sqs_;
};

class Heartbeat;
class Quarantine;

// What run_ack may use beyond the queue; each may be null.
struct AckServices {
  Heartbeat* heartbeat = nullptr; // told when a message is resolved
  // Where messages go before deletion under quarantine_after; without it
  // none is quarantined.
  Quarantine* quarantine = nullptr;
  const Clock* clock = nullptr; // dates quarantine entries; system time when null
};

// One result line per message (by receipt handle), whatever its end line
// said and however often it came.
// Outcome: kOk when every message was deleted; kPartial when some were
// kept, released, quarantined or not deleted; kService when a batch call
// failed as a whole; kBadInput for a malformed control line; kOutputFailed.
Outcome run_ack(const AckConfig& config, MessageDeleter& deleter, LineReader& in, LineWriter& out,
                const Report& report, AckStats* stats, const AckServices& services = {});

} // namespace c42
