#include "common/aws/sqs_client.h"

#include "common/aws/endpoints.h"
#include "common/decimal.h"
#include "common/json_value.h"
#include "common/time_format.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace c42::aws {

namespace {

// The latest time a TimePoint holds (2262-04-11 with nanosecond clocks); a
// later SentTimestamp would overflow it and cannot be a real send time.
constexpr uint64_t kMaxSentTimestampMs = static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::milliseconds>(TimePoint::duration::max()).count());

std::string unreadable(const std::string& action, const std::string& detail) {
  return "SQS " + action + " returned an unreadable response: " + detail;
}

// jsoncpp's operator[] throws on a value that is not an object; replies come
// from the network, so every lookup goes through here instead.
const Json::Value* member(const Json::Value& object, const char* name) {
  if (!object.isObject()) return nullptr;
  return object.find(name, name + std::char_traits<char>::length(name));
}

// The array `name` of a reply; absent or null means none.
Result<const Json::Value*> list_member(const Json::Value& reply, const char* name,
                                       const std::string& action) {
  const Json::Value* list = member(reply, name);
  if (list == nullptr || list->isNull()) return static_cast<const Json::Value*>(nullptr);
  if (!list->isArray())
    return make_error(unreadable(action, std::string(name) + " is not an array"));
  return list;
}

} // namespace

size_t batch_entry_index(const std::string& id) {
  if (id.empty() || id.size() > 3 || id.find_first_not_of("0123456789") != std::string::npos)
    return SIZE_MAX;
  return std::stoul(id);
}

SqsClient::SqsClient(ServiceContext context, Url endpoint)
    : ctx_(std::move(context)), endpoint_(std::move(endpoint)) {}

Result<Json::Value> SqsClient::call(const std::string& action, const Json::Value& body,
                                    long wait_ms, size_t max_response_bytes) {
  HttpRequest request;
  request.method = "POST";
  request.url = endpoint_.origin() + endpoint_.path;
  // A long poll is silent for up to its wait; past that, a small JSON reply
  // has the stall limit to arrive.
  request.connect_timeout_ms = ctx_.timeouts.connect_ms;
  request.stall_timeout_ms = wait_ms + ctx_.timeouts.stall_ms;
  request.timeout_ms = wait_ms + ctx_.timeouts.stall_ms;
  request.max_response_bytes = max_response_bytes;
  request.cancelled = ctx_.cancelled;
  request.body = to_json_line(body);
  request.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                     {"X-Amz-Target", "AmazonSQS." + action}};
  auto outcome = call_with_retries(ctx_, request, Signing::kSigV4);
  if (!outcome.ok()) return make_error("SQS " + action + " failed: " + outcome.error().message);
  const HttpResponse& response = outcome->response;
  if (response.status != 200)
    return make_error("SQS " + action +
                      " failed: " + describe_service_error(response.status, response.body));
  auto json = parse_json_object(response.body.empty() ? "{}" : response.body);
  if (!json.ok()) return make_error(unreadable(action, json.error().message));
  return json;
}

Result<std::vector<SqsMessage>> SqsClient::receive(const std::string& queue_url, int max_messages,
                                                   int wait_seconds,
                                                   std::optional<int> visibility_timeout) {
  Json::Value body(Json::objectValue);
  body["QueueUrl"] = queue_url;
  body["MaxNumberOfMessages"] = max_messages;
  body["WaitTimeSeconds"] = wait_seconds;
  if (visibility_timeout) body["VisibilityTimeout"] = *visibility_timeout;
  Json::Value attributes(Json::arrayValue);
  attributes.append("ApproximateReceiveCount");
  attributes.append("SentTimestamp");
  body["MessageSystemAttributeNames"] = attributes;
  body["AttributeNames"] = attributes; // older endpoints know only this name
  const std::string action = "ReceiveMessage";
  // Ten messages of up to 1 MiB each, JSON-escaped.
  auto reply = call(action, body, wait_seconds * 1000L, kMaxReceiveResponseBytes);
  if (!reply.ok()) return reply.error();
  auto list = list_member(*reply, "Messages", action);
  if (!list.ok()) return list.error();
  std::vector<SqsMessage> messages;
  if (*list == nullptr) return messages;
  for (Json::ArrayIndex i = 0; i < (*list)->size(); ++i) {
    const Json::Value& m = (**list)[i];
    // Failing the whole receive leaves every message of it on the queue, to
    // come back after its visibility timeout; skipping one would be the same
    // for it but hide the fault.
    if (!m.isObject())
      return make_error(unreadable(action, "Messages[" + std::to_string(i) + "] is not an object"));
    SqsMessage message;
    message.message_id = string_member(m, "MessageId");
    message.receipt_handle = string_member(m, "ReceiptHandle");
    message.body = string_member(m, "Body");
    if (message.message_id.empty() || message.receipt_handle.empty())
      return make_error("SQS ReceiveMessage returned a message without id or receipt handle");
    // Both attributes are informational: a malformed one is treated as absent
    // rather than costing the message.
    static const Json::Value kNone;
    const Json::Value* attrs = member(m, "Attributes");
    if (attrs == nullptr) attrs = &kNone;
    auto count = parse_decimal(string_member(*attrs, "ApproximateReceiveCount"),
                               static_cast<uint64_t>(std::numeric_limits<int>::max()));
    if (count) message.receive_count = static_cast<int>(*count);
    auto sent = parse_decimal(string_member(*attrs, "SentTimestamp"), kMaxSentTimestampMs);
    if (sent)
      message.sent_at =
          format_iso8601(TimePoint(std::chrono::milliseconds(static_cast<int64_t>(*sent))), true);
    messages.push_back(std::move(message));
  }
  return messages;
}

Result<SqsBatchResult> SqsClient::batch(const std::string& action, const std::string& queue_url,
                                        const std::vector<SqsBatchEntry>& entries,
                                        bool with_visibility) {
  if (entries.empty() || entries.size() > static_cast<size_t>(kSqsMaxBatch))
    return make_error("SQS " + action + " takes 1 to 10 entries");
  Json::Value body(Json::objectValue);
  body["QueueUrl"] = queue_url;
  Json::Value list(Json::arrayValue);
  for (const SqsBatchEntry& e : entries) {
    Json::Value entry(Json::objectValue);
    entry["Id"] = e.id;
    entry["ReceiptHandle"] = e.receipt_handle;
    if (with_visibility) entry["VisibilityTimeout"] = e.visibility_timeout;
    list.append(entry);
  }
  body["Entries"] = list;
  auto reply = call(action, body, 0, kMaxBatchResponseBytes);
  if (!reply.ok()) return reply.error();
  auto successful = list_member(*reply, "Successful", action);
  if (!successful.ok()) return successful.error();
  auto failed = list_member(*reply, "Failed", action);
  if (!failed.ok()) return failed.error();
  // An entry that cannot be read is left out: the caller then has no result
  // for it and must not count it as done.
  SqsBatchResult result;
  if (*successful != nullptr) {
    for (const Json::Value& s : **successful) {
      std::string id = string_member(s, "Id");
      if (!id.empty()) result.succeeded.push_back(std::move(id));
    }
  }
  if (*failed != nullptr) {
    for (const Json::Value& f : **failed) {
      if (!f.isObject()) continue;
      SqsBatchFailure failure;
      failure.id = string_member(f, "Id");
      failure.code = string_member(f, "Code");
      failure.message = string_member(f, "Message");
      const Json::Value* fault = member(f, "SenderFault");
      failure.sender_fault = fault != nullptr && fault->isBool() && fault->asBool();
      result.failed.push_back(std::move(failure));
    }
  }
  return result;
}

Result<SqsBatchResult> SqsClient::delete_batch(const std::string& queue_url,
                                               const std::vector<SqsBatchEntry>& entries) {
  return batch("DeleteMessageBatch", queue_url, entries, false);
}

Result<SqsBatchResult>
SqsClient::change_visibility_batch(const std::string& queue_url,
                                   const std::vector<SqsBatchEntry>& entries) {
  return batch("ChangeMessageVisibilityBatch", queue_url, entries, true);
}

Result<std::map<std::string, std::string>>
SqsClient::get_queue_attributes(const std::string& queue_url,
                                const std::vector<std::string>& names) {
  Json::Value body(Json::objectValue);
  body["QueueUrl"] = queue_url;
  Json::Value list(Json::arrayValue);
  for (const std::string& name : names)
    list.append(name);
  body["AttributeNames"] = list;
  const std::string action = "GetQueueAttributes";
  auto reply = call(action, body, 0, kMaxBatchResponseBytes);
  if (!reply.ok()) return reply.error();
  std::map<std::string, std::string> attributes;
  const Json::Value* found = member(*reply, "Attributes");
  if (found == nullptr || found->isNull()) return attributes;
  if (!found->isObject()) return make_error(unreadable(action, "Attributes is not an object"));
  for (const std::string& name : found->getMemberNames()) {
    const Json::Value& value = (*found)[name];
    if (value.isString()) attributes[name] = value.asString();
  }
  return attributes;
}

Result<Url> resolve_sqs_endpoint(const Environment& env, const std::string& region) {
  std::string configured = configured_endpoint(env, "SQS");
  auto url =
      parse_url(configured.empty() ? "https://sqs." + region + ".amazonaws.com" : configured);
  if (!url.ok()) return make_error("bad SQS endpoint: " + url.error().message);
  return url;
}

Result<std::unique_ptr<SqsClient>> open_sqs_client(const Session& session, const Environment& env,
                                                   HttpClient* http, Timeouts timeouts,
                                                   RetryPolicy retry,
                                                   std::function<bool()> cancelled) {
  auto endpoint = resolve_sqs_endpoint(env, session.region());
  if (!endpoint.ok()) return endpoint.error();
  ServiceContext context = session.context(http, "sqs");
  context.timeouts = timeouts;
  context.retry = retry;
  context.cancelled = std::move(cancelled);
  return std::make_unique<SqsClient>(std::move(context), std::move(endpoint.value()));
}

} // namespace c42::aws
