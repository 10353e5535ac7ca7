// The core of la-post: batches records into chunks, posts several chunks at
// once, and re-emits each message's `end` line only when every chunk that
// holds a record from the message's span has been resolved. A failed chunk
// fails every message whose span it touches: conservative, never lossy.
#pragma once

#include "common/clock.h"
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
                      const Clock& clock, RetryPolicy retry, Sleeper sleeper);
  SendResult send(const std::string& body, size_t records) override;

private:
  std::unique_ptr<HttpClient> http_;
  DataCollectorTarget target_;
  const Clock& clock_;
  Backoff backoff_;
  Sleeper sleeper_;
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

class Poster {
public:
  using Warn = std::function<void(const std::string&)>;
  Poster(PostConfig config, ChunkSenderFactory senders, LineWriter& out, Warn warn);
  ~Poster();
  PostOutcome run(LineReader& in);
  const PostStats& stats() const { return stats_; }

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  PostStats stats_;
};

} // namespace c42::la
