// sqs-ack's heartbeat: keeps every message received and not yet resolved
// hidden on its queue, however long the pipeline holds it, by extending its
// visibility (ChangeMessageVisibilityBatch) before it runs out.
//
// Why here and fed by sqs-poll's lease lines (c42-stream(7), "Visibility"):
// sqs-ack is the stage that resolves messages, so it knows when to stop; but
// it sees a message's begin line only after s3-fetch started the message and
// la-post passed the line on, which may be long after the receive (message
// lines wait in pipes until a fetch worker is free, and la-post holds lines
// behind end lines whose chunks are in flight). sqs-poll therefore writes a
// lease line for every message it receives, before the message line, on a
// side channel read here; from that moment until the message's end line
// arrives, the message is covered.
#pragma once

#include "common/clock.h"
#include "common/diagnostics.h"
#include "common/stages/acker.h"
#include "common/stream.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

namespace c42 {

// SQS keeps a message hidden for at most 12 hours after a receive, however
// often its visibility is extended.
inline constexpr std::chrono::seconds kSqsMaxHidden{43200};

struct HeartbeatStats {
  uint64_t leases = 0;     // messages taken on
  uint64_t extensions = 0; // visibility extensions SQS confirmed
  uint64_t failures = 0;   // extensions that failed (a warning each)
};

// Tries of one extension call: a failed extension is tried again by the
// heartbeat itself, sooner than its message would show, so one message's
// trouble must not hold up the others' extensions until the deadline.
inline constexpr int kHeartbeatAttempts = 3;

class Heartbeat {
public:
  Heartbeat(MessageDeleter& sqs, const Clock& clock, Report report);

  // A received message, to keep hidden until resolve(). A lease for a
  // message already resolved (its end line overtook the lease) is ignored.
  void add(const LeaseLine& lease);
  // The message's end line came: it is deleted, kept or released, and its
  // visibility is no longer extended.
  void resolve(const MessageRef& ref);

  // Extends the visibility of every message that has used half of it, by
  // its receive's visibility timeout from now (less, so as not to pass
  // SQS's 12 hours; a message that cannot be extended any more is
  // reported). A failed extension is a warning and is tried again while
  // the message is still hidden. Returns when the next message falls due,
  // or nothing when none is held.
  std::optional<TimePoint> tick();

  size_t held() const;
  HeartbeatStats stats() const;

private:
  struct Lease {
    MessageRef ref;
    std::chrono::seconds visibility{0};
    TimePoint received;  // the 12 hours run from here
    TimePoint hidden_to; // when the message becomes visible unless extended
    TimePoint due;       // when to extend next
    bool warned = false; // one warning per message for failed extensions
  };

  void failed(Lease& lease, TimePoint now, const std::string& reason);

  MessageDeleter& sqs_;
  const Clock& clock_;
  Report report_;
  mutable std::mutex mutex_;
  std::map<std::string, Lease> leases_; // by span key
  // Resolved before their lease arrived; erased when it does.
  std::set<std::string> resolved_early_;
  HeartbeatStats stats_;
};

// Runs a Heartbeat on a thread of its own: reads lease lines from
// `lease_fd` (until its end) and ticks whenever a message falls due, until
// stop(). A malformed lease line is reported and passed over: the message
// is then only as safe as its visibility timeout.
class HeartbeatThread {
public:
  HeartbeatThread(Heartbeat& heartbeat, int lease_fd, Report report);
  ~HeartbeatThread();
  HeartbeatThread(const HeartbeatThread&) = delete;
  HeartbeatThread& operator=(const HeartbeatThread&) = delete;

  void stop();

private:
  void run();

  Heartbeat& heartbeat_;
  int lease_fd_;
  Report report_;
  std::atomic<bool> stopping_{false};
  int wake_[2] = {-1, -1}; // a pipe that stop() writes to, ending a wait at once
  std::thread thread_;
};

} // namespace c42
