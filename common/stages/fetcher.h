// The core of s3-fetch: turns `message` lines and s3:// references into
// begin / record / end lines, reading objects in parallel and streaming
// each one through decompression and line splitting.
#pragma once

#include "common/aws/s3_client.h"
#include "common/clock.h"
#include "common/diagnostics.h"
#include "common/exit_codes.h"
#include "common/line_io.h"
#include "common/stages/announcement.h"
#include "common/stream.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace c42 {

// Where object bytes come from; S3 in production, a fake in unit tests.
class ObjectSource {
public:
  virtual ~ObjectSource() = default;
  virtual Result<aws::S3GetResult> get(const std::string& bucket, const std::string& key,
                                       const aws::S3GetOptions& options,
                                       const std::function<bool(const char*, size_t)>& on_data) = 0;
};
using ObjectSourceFactory = std::function<std::unique_ptr<ObjectSource>()>;

// Which announced objects are left out as too old. By default none: every
// object that is announced is shipped. An age rule is measured against
// when the message was sent (SQS SentTimestamp), never against the clock of
// the run, so a retry after midnight or a late run never drops what was
// announced fresh.
struct SkipRules {
  // Objects last modified before this time (--skip-before).
  std::optional<TimePoint> before;
  // Objects last modified more than this long before their message was
  // sent (--skip-older-than); messages without a sent time skip nothing.
  std::optional<std::chrono::seconds> older_than;
};
// "none" or an ISO 8601 date/time.
Result<std::optional<TimePoint>> parse_skip_before(const std::string& text);
// A duration: whole seconds, or a number with s, m, h or d ("90m", "2d").
Result<std::chrono::seconds> parse_duration(const std::string& text);

// The longest raw line read from an object by default. Its worst-case
// record (every byte a control character, escaped as \u00XX) still fits
// the stream limit, so every tool downstream takes it.
inline constexpr size_t kDefaultMaxLineBytes = 8u << 20;

struct FetchConfig {
  int parallel = 5;
  SkipRules skip;
  bool lenient = false; // a failed object does not fail its message
  size_t max_line_bytes = kDefaultMaxLineBytes;
  // The longest record line written; a line whose record would be longer
  // fails its object (and so its message) instead of stopping a later tool.
  size_t max_record_bytes = kMaxStreamLineBytes;
  // The run's deadline (--deadline): no object starts after it. A message
  // none of whose objects had started by then ends "unstarted", so that
  // sqs-ack releases it at once; one in progress ends "in-progress".
  std::optional<TimePoint> deadline;
};

struct FetchStats {
  std::atomic<uint64_t> messages{0};
  std::atomic<uint64_t> messages_failed{0}; // end lines written with ok false
  std::atomic<uint64_t> objects_fetched{0};
  std::atomic<uint64_t> objects_skipped{0};
  std::atomic<uint64_t> objects_failed{0};
  std::atomic<uint64_t> records{0};
};

class Fetcher {
public:
  // stop_requested (may be empty) is polled while objects stream: once true,
  // no new object starts, transfers in progress are abandoned, and every
  // message read gets an end line with ok false and "interrupted" (so do
  // the message lines still waiting in the input, read until it ends or
  // stays silent for a moment).
  Fetcher(FetchConfig config, ObjectSourceFactory sources, const Clock& clock, LineWriter& out,
          Report report, std::function<bool()> stop_requested = {});
  ~Fetcher();

  // Reads stream lines from `in` (may be null) after fetching `references`
  // (s3://bucket/key given as arguments). Returns once every started object
  // is finished, even after bad input, so no begun message is left without
  // its end line.
  // Outcome: kOk; kPartial when objects or messages failed or an input line
  // was skipped; kBadInput for a malformed control line or reference;
  // kInterrupted; kOutputFailed.
  Outcome run(LineReader* in, const std::vector<std::string>& references);
  const FetchStats& stats() const { return stats_; }

private:
  void drain(LineReader& in);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  FetchStats stats_;
};

// s3://bucket/key -> bucket, key (key taken literally, not URL-decoded).
Result<S3ObjectRef> parse_s3_reference(const std::string& text);

// ObjectSource over S3Client.
class S3ObjectSource final : public ObjectSource {
public:
  S3ObjectSource(std::unique_ptr<HttpClient> http, aws::ServiceContext context,
                 aws::S3Addressing addressing);
  Result<aws::S3GetResult> get(const std::string& bucket, const std::string& key,
                               const aws::S3GetOptions& options,
                               const std::function<bool(const char*, size_t)>& on_data) override;

private:
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<aws::S3Client> client_;
};

} // namespace c42
