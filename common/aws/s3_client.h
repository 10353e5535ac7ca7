// Streaming S3 GetObject: bytes go to a callback as they arrive, so an
// object of any size needs only a transfer buffer.
#pragma once

#include "common/aws/aws_call.h"
#include "common/aws/endpoints.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace c42::aws {

// What the response to a GET says about the object, before its body.
struct S3ObjectInfo {
  std::optional<TimePoint> last_modified;
  std::string etag; // as sent, quotes included; empty when the server sent none
};

struct S3GetOptions {
  // Objects last modified before this are not transferred (reported as
  // skipped). Sent as If-Modified-Since and checked again on the reply.
  std::optional<TimePoint> modified_since;
  // Called once the object is known to be transferred, before any data.
  std::function<void(const S3ObjectInfo& info)> on_start;
};

struct S3GetResult {
  bool skipped = false; // older than modified_since
  std::optional<TimePoint> last_modified;
  uint64_t bytes = 0;
  int resumes = 0; // interrupted transfers continued with a Range request
};

// One ListObjectsV2 request: the page after `start_after` (first page) or
// after `continuation_token` (later pages), at most `max_keys` keys.
struct ListObjectsRequest {
  std::string prefix;
  std::string start_after;
  std::string continuation_token;
  int max_keys = 1000;
};

struct S3ListedObject {
  std::string key; // decoded: ready for a GetObject request
  std::optional<TimePoint> last_modified;
  std::string etag;
  uint64_t size = 0;
};

// One page of a listing, keys in S3's order (UTF-8 binary). When truncated,
// next_continuation_token asks for the next page.
struct ListObjectsPage {
  std::vector<S3ListedObject> objects;
  bool truncated = false;
  std::string next_continuation_token;
};

// The ListBucketResult of a ListObjectsV2 reply. Keys are URL-decoded when
// the reply says EncodingType url ('+' is a space, as S3 encodes them); a
// truncated page without a NextContinuationToken is an error, since no
// next page could be asked for.
Result<ListObjectsPage> parse_list_objects_v2(std::string_view xml);

class S3Client {
public:
  S3Client(ServiceContext context, S3Addressing addressing);

  // Streams the object to on_data (false aborts). A transfer cut off midway
  // is resumed from the byte where it stopped, pinned to the same ETag, so
  // on_data sees every byte exactly once. A resume is used only when it is a
  // 206 whose Content-Range starts at that byte; anything else (a server
  // ignoring Range answers 200 with the whole object) fails the object before
  // a byte of it reaches on_data. Without an ETag there is no resume, only
  // failure; a 416 once every byte is in means the object is complete.
  Result<S3GetResult> get_object(const std::string& bucket, const std::string& key,
                                 const S3GetOptions& options,
                                 const std::function<bool(const char*, size_t)>& on_data);

  // One page of ListObjectsV2 (list-type=2, encoding-type=url), retried as
  // every call is. Needs s3:ListBucket on the bucket.
  Result<ListObjectsPage> list_objects_v2(const std::string& bucket,
                                          const ListObjectsRequest& request);

  // Stores `body` as the object (PutObject), replacing any object of that
  // key; retried as every call is. Success only on a 2xx.
  Status put_object(const std::string& bucket, const std::string& key, const std::string& body,
                    const std::string& content_type);

private:
  ServiceContext ctx_;
  S3Addressing addressing_;
};

} // namespace c42::aws
