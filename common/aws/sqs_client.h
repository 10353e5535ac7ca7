// Amazon SQS over its JSON protocol (AWS JSON 1.0, X-Amz-Target headers):
// the calls the pipeline needs.
#pragma once

#include "common/aws/aws_call.h"
#include "common/aws/session.h"
#include "common/environment.h"
#include "common/json_value.h"
#include "common/uri.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace c42::aws {

struct SqsMessage {
  std::string message_id;
  std::string receipt_handle;
  std::string body;
  int receive_count = 0; // 0 when absent or not a plain decimal
  std::string sent_at;   // ISO 8601 from SentTimestamp; empty when absent or unreadable
};

struct SqsBatchEntry {
  std::string id; // batch entry id, unique within the call
  std::string receipt_handle;
  int visibility_timeout = 0; // ChangeMessageVisibilityBatch only
};

struct SqsBatchFailure {
  std::string id;
  std::string code;
  std::string message;
  bool sender_fault = false;
};

// A reply entry that is not an object, or a Successful one without an Id,
// is in neither list: the caller must treat an entry id found in neither as
// not done.
struct SqsBatchResult {
  std::vector<std::string> succeeded; // entry ids
  std::vector<SqsBatchFailure> failed;
};

// The entry ids callers give their batch entries are their decimal indexes
// (0 to 9); this reads one back from a reply, SIZE_MAX for anything else,
// so that a reply naming an entry that was not sent names none.
size_t batch_entry_index(const std::string& id);

// Documented limits: 1..10 messages per receive and per batch, 0..20 s wait.
inline constexpr int kSqsMaxBatch = 10;
inline constexpr int kSqsMaxWaitSeconds = 20;
// Replies are read whole; these caps keep a misbehaving endpoint from
// making us buffer without end. A receive holds at most 10 messages of at
// most 1 MiB, whose JSON escaping can grow them.
inline constexpr size_t kMaxReceiveResponseBytes = 64u << 20;
inline constexpr size_t kMaxBatchResponseBytes = 1u << 20;

class SqsClient {
public:
  // `endpoint` is the service endpoint the request is sent to (not the
  // queue URL: the JSON protocol carries QueueUrl in the body).
  SqsClient(ServiceContext context, Url endpoint);

  Result<std::vector<SqsMessage>> receive(const std::string& queue_url, int max_messages,
                                          int wait_seconds, std::optional<int> visibility_timeout);
  Result<SqsBatchResult> delete_batch(const std::string& queue_url,
                                      const std::vector<SqsBatchEntry>& entries);
  Result<SqsBatchResult> change_visibility_batch(const std::string& queue_url,
                                                 const std::vector<SqsBatchEntry>& entries);
  // The named attributes the queue has (an attribute it lacks, such as a
  // RedrivePolicy that was never set, is absent from the map).
  Result<std::map<std::string, std::string>>
  get_queue_attributes(const std::string& queue_url, const std::vector<std::string>& names);

private:
  Result<Json::Value> call(const std::string& action, const Json::Value& body, long wait_ms,
                           size_t max_response_bytes);
  Result<SqsBatchResult> batch(const std::string& action, const std::string& queue_url,
                               const std::vector<SqsBatchEntry>& entries, bool with_visibility);

  ServiceContext ctx_;
  Url endpoint_;
};

// The endpoint SQS calls go to: AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL, or
// https://sqs.<region>.amazonaws.com.
Result<Url> resolve_sqs_endpoint(const Environment& env, const std::string& region);

// An SqsClient for `session` sending through `http`, to the endpoint the
// environment configures, with the tool's per-attempt limits, the run's
// deadline and attempts (`retry`), and its stop request (`cancelled`).
Result<std::unique_ptr<SqsClient>> open_sqs_client(const Session& session, const Environment& env,
                                                   HttpClient* http, Timeouts timeouts = {},
                                                   RetryPolicy retry = {},
                                                   std::function<bool()> cancelled = {});

} // namespace c42::aws
