// The core of s3-list: lists a bucket prefix with ListObjectsV2, page by
// page, and writes one line per object for s3-fetch: an s3:// reference, or,
// when progress is to be checkpointed, a `message` line whose end line comes
// back through the pipeline (see listing_checkpoint.h).
#pragma once

#include "common/aws/s3_client.h"
#include "common/diagnostics.h"
#include "common/exit_codes.h"
#include "common/line_io.h"
#include "common/stream.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace c42 {

// Where listing pages come from; S3 in production, a fake in unit tests.
class ObjectLister {
public:
  virtual ~ObjectLister() = default;
  virtual Result<aws::ListObjectsPage> list(const std::string& bucket,
                                            const aws::ListObjectsRequest& request) = 0;
};

// What is listed: s3://bucket/prefix, the prefix possibly empty.
struct S3Listing {
  std::string bucket;
  std::string prefix;
  std::string reference() const { return "s3://" + bucket + "/" + prefix; }
};
// "s3://bucket", "s3://bucket/" or "s3://bucket/prefix" (taken literally).
Result<S3Listing> parse_s3_listing(const std::string& text);

// Which listed objects are written. Every rule given must hold.
struct ListFilters {
  std::optional<TimePoint> since;    // LastModified at or after
  std::optional<TimePoint> until;    // LastModified before
  std::vector<std::string> match;    // the key matches one of these globs (fnmatch(3), no flags)
  std::vector<std::string> suffixes; // the key ends with one of these
  bool accepts(const aws::S3ListedObject& object) const;
};

// How the objects are written.
enum class ListOutput {
  kReferences, // s3://bucket/key, one per line
  kMessages,   // `message` lines announcing one object each (see message_for)
};

struct ListConfig {
  S3Listing listing;
  std::string start_after; // list keys after this one; empty: from the start
  ListFilters filters;
  int page_size = 1000; // max-keys, 1 to 1000
  ListOutput output = ListOutput::kReferences;
};

struct ListStats {
  uint64_t pages = 0;
  uint64_t listed = 0;  // objects S3 returned
  uint64_t written = 0; // lines written
  uint64_t refused = 0; // keys no line can carry (see Lister::run)
  std::string last_key; // the last key listed
};

// The receipt handles of s3-list's message lines start with this; the rest
// is the object's place in the listing, from 1.
inline constexpr const char* kListReceiptPrefix = "s3-list:";

// The message line that announces `key` as the `sequence`-th object of the
// listing: a Code42 body naming bucket and key (no Event Time, so records
// carry the object's Last-Modified as an s3:// reference's do), queue_url
// the listing, message_id the object's s3:// reference.
MessageLine message_for(const S3Listing& listing, const std::string& key, uint64_t sequence);
// The sequence number in an s3-list receipt handle; nullopt for any other.
std::optional<uint64_t> list_sequence(const std::string& receipt_handle);

class Lister {
public:
  // stop_requested (may be empty) is asked between pages.
  Lister(ListConfig config, ObjectLister& source, LineWriter& out, Report report,
         std::function<bool()> stop_requested = {});

  // Lists page by page, writing each page's lines before asking for the
  // next, so memory holds one page whatever the listing's size. A key that
  // is not valid UTF-8, or, as an s3:// reference, holds a line feed or ends
  // in a carriage return, cannot be written so that s3-fetch reads it back
  // exactly: it is reported and counted as refused, and the outcome is
  // kPartial. Outcome: kOk; kPartial; kService when a page cannot be had
  // (refused, or failing through every retry); kInterrupted; kOutputFailed.
  Outcome run();
  const ListStats& stats() const { return stats_; }

private:
  Status write(const aws::S3ListedObject& object);

  ListConfig config_;
  ObjectLister& source_;
  LineWriter& out_;
  Report report_;
  std::function<bool()> stop_requested_;
  ListStats stats_;
};

// ObjectLister over S3Client.
class S3ObjectLister final : public ObjectLister {
public:
  S3ObjectLister(std::unique_ptr<HttpClient> http, aws::ServiceContext context,
                 aws::S3Addressing addressing);
  Result<aws::ListObjectsPage> list(const std::string& bucket,
                                    const aws::ListObjectsRequest& request) override;

private:
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<aws::S3Client> client_;
};

} // namespace c42
