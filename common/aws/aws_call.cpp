#include "common/aws/aws_call.h"

#include "common/aws/xml_text.h"
#include "common/diagnostics.h"
#include "common/json_value.h"

#include <algorithm>

namespace c42::aws {

namespace {

// A code this caller's operation retries beyond the standard list.
bool retried_by_caller(const ServiceContext& ctx, const HttpResponse& response) {
  if (ctx.retry_codes.empty()) return false;
  const std::string code = parse_service_error(response.status, response.body).code;
  return std::find(ctx.retry_codes.begin(), ctx.retry_codes.end(), code) != ctx.retry_codes.end();
}

} // namespace

bool has_retryable_code(const HttpResponse& response) {
  if (is_retryable_error_code(parse_service_error(response.status, response.body).code))
    return true;
  // SQS's JSON protocol also names the error as its query API did, in a
  // header: "AWS.SimpleQueueService.NonExistentQueue;Sender".
  std::string query = response.header("x-amzn-query-error").value_or("");
  query = query.substr(0, query.find(';'));
  return is_retryable_error_code(query.substr(query.rfind('.') + 1));
}

ServiceError parse_service_error(long status, const std::string& body) {
  ServiceError error;
  auto json = parse_json_object(body);
  if (json.ok()) {
    error.code = string_member(*json, "__type");
    // "com.amazonaws.sqs#QueueDoesNotExist" -> "QueueDoesNotExist"
    size_t hash = error.code.rfind('#');
    if (hash != std::string::npos) error.code = error.code.substr(hash + 1);
    error.message = string_member(*json, "message");
    if (error.message.empty()) error.message = string_member(*json, "Message");
  } else {
    error.code = xml_text(body, "Code").value_or("");
    error.message = xml_text(body, "Message").value_or("");
  }
  if (error.code.empty()) error.code = "HTTP " + std::to_string(status);
  error.code = one_line(error.code, 100);
  error.message = one_line(error.message);
  return error;
}

std::string describe_service_error(long status, const std::string& body) {
  ServiceError e = parse_service_error(status, body);
  const std::string http = "HTTP " + std::to_string(status);
  if (e.code == http) return e.message.empty() ? http : http + ": " + e.message;
  std::string text = e.code;
  if (!e.message.empty()) text += ": " + e.message;
  return text + " (" + http + ")";
}

Result<HttpRequest> prepare_attempt(ServiceContext& ctx, const HttpRequest& request,
                                    Signing signing) {
  HttpRequest prepared = request;
  Status in_time = fit_to_deadline(prepared, ctx.retry, ctx.clock->now());
  if (!in_time.ok()) return in_time.error();
  if (signing == Signing::kUnsigned) return prepared;
  if (ctx.credentials == nullptr)
    return make_error("no AWS credentials to sign the request with", ErrorKind::kConfig);
  auto credentials = ctx.credentials->get_credentials();
  if (!credentials.ok()) return credentials.error();
  SigningConfig config;
  config.region = ctx.region;
  config.service = ctx.service;
  config.time = ctx.clock->now();
  config.s3_mode = signing == Signing::kSigV4S3;
  Status signed_ok = sign_request(prepared, *credentials, config);
  if (!signed_ok.ok()) return signed_ok.error();
  return prepared;
}

Result<CallOutcome> call_with_retries(ServiceContext& ctx, const HttpRequest& request,
                                      Signing signing, const BodySink* sink) {
  bool delivered = false;
  BodySink tracking;
  if (sink != nullptr) {
    tracking.on_headers = sink->on_headers;
    tracking.on_data = [&](const char* data, size_t size) {
      delivered = true;
      return sink->on_data(data, size);
    };
  }
  CallOutcome outcome;
  auto send_once = [&](Attempt& attempt) -> Status {
    auto prepared = prepare_attempt(ctx, request, signing);
    if (!prepared.ok()) return prepared.error();
    auto response = ctx.http->send(*prepared, sink ? &tracking : nullptr);
    if (!response.ok()) {
      // Sending again would hand the consumer the same bytes twice; only a
      // caller that can resume (S3, by Range) may go on.
      if (delivered && response.error().kind == ErrorKind::kTransient)
        return make_error(response.error().message +
                          "; not retried: part of the body was already delivered");
      return response.error();
    }
    outcome.response = std::move(response.value());
    const long status = outcome.response.status;
    // A refusal is the caller's to read (its code may mean something there).
    // Throttling arrives as HTTP 400 with a code (SQS RequestThrottled), so
    // the code decides as well as the status.
    if (status >= 200 && status < 300) return Status::success();
    if (!is_retryable_status(status) && !has_retryable_code(outcome.response) &&
        !retried_by_caller(ctx, outcome.response))
      return Status::success();
    attempt.retry_after = retry_after_of(outcome.response, ctx.clock->now());
    return make_error(describe_service_error(status, outcome.response.body), ErrorKind::kTransient);
  };
  auto run = run_with_retries(ctx.retry, *ctx.clock, ctx.sleeper, send_once, ctx.cancelled);
  if (!run.status.ok()) return run.status.error();
  outcome.attempts = run.attempts;
  return outcome;
}

} // namespace c42::aws
