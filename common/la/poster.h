// The core of la-post: batches records into chunks, posts several chunks at
// once, and re-emits each message's `end` line only when every chunk that
// holds a record from the message's span has been resolved. A failed chunk
// fails every message whose span it touches: conservative, never lossy.
#pragma once

#include "common/clock.h"
#include "common/diagnostics.h"
#include "common/http.h"
#include "common/la/shared_key.h"
#include "common/line_io.h"
#include "common/retry.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace c42::la {

struct SendResult {
  bool ok = false;
  // The failure cannot be cured by other data (bad key, unknown workspace,
  // invalid Log-Type): posting more is pointless.
  bool fatal = false;
  // The run's deadline came before the chunk was accepted; later chunks
  // would fare the same, but the service is not at fault.
  bool out_of_time = false;
  std::string error;
  int attempts = 0;
};

class ChunkSender {
public:
  virtual ~ChunkSender() = default;
  // body is a JSON array of `records` objects.
  virtual SendResult send(const std::string& body, size_t records) = 0;
};
using ChunkSenderFactory = std::function<std::unique_ptr<ChunkSender>()>;

// Data Collector API sender: SharedKey-signed POSTs, retrying 429, 5xx and
// network errors with backoff (honouring Retry-After), never 400 or 403.
class DataCollectorSender final : public ChunkSender {
public:
  DataCollectorSender(std::unique_ptr<HttpClient> http, DataCollectorTarget target,
                      const Clock& clock, RetryPolicy retry, Sleeper sleeper,
                      Timeouts timeouts = {});
  SendResult send(const std::string& body, size_t records) override;

private:
  std::unique_ptr<HttpClient> http_;
  DataCollectorTarget target_;
  const Clock& clock_;
  Backoff backoff_;
  Sleeper sleeper_;
  Timeouts timeouts_;
};

struct PostConfig {
  size_t chunk_records = 500;
  size_t chunk_bytes = kDataCollectorMaxBodyBytes;
  int in_flight = 4;
};

struct PostStats {
  std::atomic<uint64_t> records_read{0};
  std::atomic<uint64_t> records_posted{0};
  std::atomic<uint64_t> records_failed{0};
  std::atomic<uint64_t> chunks_posted{0};
  std::atomic<uint64_t> chunks_failed{0};
  std::atomic<uint64_t> messages_ok{0};
  std::atomic<uint64_t> messages_failed{0};
};

enum class PostOutcome { kOk, kPartial, kBadInput, kFatal, kOutputFailed };

// Reads records and control lines until end of input. A record that cannot
// be posted (not JSON, larger than a chunk, longer than the stream limit)
// is reported and fails every message span open at that point; the run
// goes on. Problems that repeat per record or chunk are reported a few
// times each, then summarised.
class Poster {
public:
  Poster(PostConfig config, ChunkSenderFactory senders, LineWriter& out, Report report);
  ~Poster();
  PostOutcome run(LineReader& in);
  const PostStats& stats() const { return stats_; }
  // Records rejected while no message span was open.
  uint64_t unattributed() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  PostStats stats_;
};

} // namespace c42::la
