#include "common/aws/sqs_client.h"

#include "common/aws/endpoints.h"
#include "common/json_value.h"
#include "common/time_format.h"

namespace c42::aws {

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
  auto outcome = call_with_retries(ctx_, request, /*s3_mode=*/false);
  if (!outcome.ok()) return make_error("SQS " + action + " failed: " + outcome.error().message);
  const HttpResponse& response = outcome->response;
  if (response.status != 200)
    return make_error("SQS " + action +
                      " failed: " + describe_service_error(response.status, response.body));
  auto json = parse_json_object(response.body.empty() ? "{}" : response.body);
  if (!json.ok())
    return make_error("SQS " + action +
                      " returned an unreadable response: " + json.error().message);
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
  // Ten messages of up to 1 MiB each, JSON-escaped.
  auto reply = call("ReceiveMessage", body, wait_seconds * 1000L, kMaxReceiveResponseBytes);
  if (!reply.ok()) return reply.error();
  std::vector<SqsMessage> messages;
  for (const Json::Value& m : (*reply)["Messages"]) {
    SqsMessage message;
    message.message_id = string_member(m, "MessageId");
    message.receipt_handle = string_member(m, "ReceiptHandle");
    message.body = string_member(m, "Body");
    if (message.message_id.empty() || message.receipt_handle.empty())
      return make_error("SQS ReceiveMessage returned a message without id or receipt handle");
    const Json::Value& attrs = m["Attributes"];
    std::string count = string_member(attrs, "ApproximateReceiveCount");
    if (!count.empty()) message.receive_count = std::atoi(count.c_str());
    std::string sent = string_member(attrs, "SentTimestamp");
    if (!sent.empty())
      message.sent_at =
          format_iso8601(TimePoint(std::chrono::milliseconds(std::atoll(sent.c_str()))), true);
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
  SqsBatchResult result;
  for (const Json::Value& s : (*reply)["Successful"])
    result.succeeded.push_back(string_member(s, "Id"));
  for (const Json::Value& f : (*reply)["Failed"]) {
    SqsBatchFailure failure;
    failure.id = string_member(f, "Id");
    failure.code = string_member(f, "Code");
    failure.message = string_member(f, "Message");
    failure.sender_fault = f["SenderFault"].isBool() && f["SenderFault"].asBool();
    result.failed.push_back(std::move(failure));
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

Result<Url> resolve_sqs_endpoint(const Environment& env, const std::string& region) {
  std::string configured = configured_endpoint(env, "SQS");
  auto url =
      parse_url(configured.empty() ? "https://sqs." + region + ".amazonaws.com" : configured);
  if (!url.ok()) return make_error("bad SQS endpoint: " + url.error().message);
  return url;
}

Result<std::unique_ptr<SqsClient>> open_sqs_client(const Session& session, const Environment& env,
                                                   HttpClient* http, Timeouts timeouts,
                                                   std::optional<TimePoint> deadline,
                                                   std::function<bool()> cancelled) {
  auto endpoint = resolve_sqs_endpoint(env, session.region());
  if (!endpoint.ok()) return endpoint.error();
  ServiceContext context = session.context(http, "sqs");
  context.timeouts = timeouts;
  context.retry.deadline = deadline;
  context.cancelled = std::move(cancelled);
  return std::make_unique<SqsClient>(std::move(context), std::move(endpoint.value()));
}

} // namespace c42::aws
