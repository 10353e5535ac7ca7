// The core of s3-fetch: turns `message` lines and s3:// references into
// begin / record / end lines, reading objects in parallel and streaming
// each one through decompression and line splitting.
#pragma once

#include "common/aws/s3_client.h"
#include "common/clock.h"
#include "common/line_io.h"
#include "common/s3_event.h"

#include <atomic>
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

struct SkipBefore {
  enum class Mode { kToday, kDate, kNone };
  Mode mode = Mode::kToday;
  TimePoint date; // kDate only
};
// "today", "none", or an ISO 8601 date/time.
Result<SkipBefore> parse_skip_before(const std::string& text);

struct FetchConfig {
  int parallel = 5;
  SkipBefore skip_before;
  bool lenient = false; // a failed object does not fail its message
  // Apply skip_before to s3:// references too. Off by default: naming an
  // object is asking for it, whatever its age.
  bool skip_references = false;
  size_t max_line_bytes = 16u << 20;
};

struct FetchStats {
  std::atomic<uint64_t> messages{0};
  std::atomic<uint64_t> messages_failed{0}; // end lines written with ok false
  std::atomic<uint64_t> objects_fetched{0};
  std::atomic<uint64_t> objects_skipped{0};
  std::atomic<uint64_t> objects_failed{0};
  std::atomic<uint64_t> records{0};
};

enum class FetchOutcome { kOk, kPartial, kBadInput, kOutputFailed };

class Fetcher {
public:
  using Warn = std::function<void(const std::string&)>;
  Fetcher(FetchConfig config, ObjectSourceFactory sources, const Clock& clock, LineWriter& out,
          Warn warn);
  ~Fetcher();

  // Reads stream lines from `in` (may be null) after fetching `references`
  // (s3://bucket/key given as arguments). Returns once every started object
  // is finished, even after bad input, so no begun message is left without
  // its end line.
  FetchOutcome run(LineReader* in, const std::vector<std::string>& references);
  const FetchStats& stats() const { return stats_; }

private:
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
