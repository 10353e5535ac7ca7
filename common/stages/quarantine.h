// Where sqs-ack puts a message that keeps failing for a reason of its own
// before deleting it: an NDJSON file, an S3 prefix, or both. Deleting is
// safe only once every destination holds the message.
#pragma once

#include "common/aws/s3_client.h"
#include "common/clock.h"
#include "common/result.h"
#include "common/stream.h"

#include <memory>
#include <string>
#include <vector>

namespace c42 {

struct QuarantineEntry {
  MessageRef ref;
  int receive_count = 0;
  std::string reason; // the end line's error
  std::string body;   // the message as SQS delivered it
  TimePoint quarantined_at;
};

// One JSON object, no line break: quarantined_at, queue_url, message_id,
// receive_count, reason, body. The receipt handle is left out: it is of no
// use once the message is deleted.
std::string to_quarantine_line(const QuarantineEntry& entry);

class Quarantine {
public:
  virtual ~Quarantine() = default;
  // Success only once the entry is durably stored.
  virtual Status put(const QuarantineEntry& entry) = 0;
};

// Appends one line per message, written whole and fsync'd before put
// returns.
class FileQuarantine final : public Quarantine {
public:
  // Opens (creating it if need be) for appending: a file that cannot be
  // written is found before any message depends on it.
  static Result<std::unique_ptr<FileQuarantine>> open(const std::string& path);
  ~FileQuarantine() override;
  Status put(const QuarantineEntry& entry) override;

private:
  FileQuarantine(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
};

// "s3://bucket/prefix": where S3Quarantine puts its objects.
struct S3Prefix {
  std::string bucket;
  std::string prefix; // ends with '/'
};
Result<S3Prefix> parse_s3_prefix(const std::string& text);

// One object per message, <prefix><message id>.json, holding the entry's
// line: a message quarantined twice (its delete failed) is one object.
class S3Quarantine final : public Quarantine {
public:
  S3Quarantine(std::unique_ptr<HttpClient> http, aws::ServiceContext context,
               aws::S3Addressing addressing, S3Prefix where);
  Status put(const QuarantineEntry& entry) override;
  static std::string key_for(const S3Prefix& where, const std::string& message_id);

private:
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<aws::S3Client> client_;
  S3Prefix where_;
};

// Every destination, in order; fails at the first that fails.
class QuarantineSet final : public Quarantine {
public:
  void add(std::unique_ptr<Quarantine> destination) {
    destinations_.push_back(std::move(destination));
  }
  bool empty() const { return destinations_.empty(); }
  Status put(const QuarantineEntry& entry) override;

private:
  std::vector<std::unique_ptr<Quarantine>> destinations_;
};

} // namespace c42
