#include "common/la/data_collector_sender.h"

#include "common/la/service_error.h"

#include <optional>

namespace c42::la {

DataCollectorSender::DataCollectorSender(std::unique_ptr<HttpClient> http,
                                         DataCollectorTarget target, const Clock& clock,
                                         RetryPolicy retry, Sleeper sleeper, Timeouts timeouts)
    : http_(std::move(http)), target_(std::move(target)), clock_(clock), retry_(retry),
      sleeper_(std::move(sleeper)), timeouts_(timeouts) {}

namespace {

// 400 InvalidDataFormat and 413 concern this chunk's content; every other
// 4xx says the request itself (key, workspace, Log-Type) is wrong.
bool chunk_specific(const HttpResponse& response) {
  if (response.status == 413) return true;
  return response.status == 400 && service_error_code(response) == "InvalidDataFormat";
}

} // namespace

// The API takes up to 30 MB at once and refuses no part of a post alone, so
// a chunk is posted whole and succeeds or fails whole.
SendResult DataCollectorSender::send(const RecordBatch& batch) {
  const std::string& body = batch.body;
  bool answered = false; // some attempt got an HTTP response
  // Set when the request was refused: whether any other chunk would be too.
  std::optional<bool> refusal_fatal;
  auto run = run_with_retries(retry_, clock_, sleeper_, [&](Attempt& attempt) -> Status {
    auto request = build_data_collector_request(target_, body, clock_.now());
    if (!request.ok()) {
      refusal_fatal = true; // a key that does not decode signs no chunk
      return request.error();
    }
    // An upload's duration grows with its size on a slow link, so it is
    // bounded by the stall limit and the run's deadline, not a fixed total.
    request->timeout_ms = 0;
    request->connect_timeout_ms = timeouts_.connect_ms;
    request->stall_timeout_ms = timeouts_.stall_ms;
    Status in_time = fit_to_deadline(*request, retry_, clock_.now());
    if (!in_time.ok()) return in_time;
    auto response = http_->send(*request);
    if (!response.ok()) return response.error();
    answered = true;
    const long status = response->status;
    if (status >= 200 && status < 300) return Status::success();
    std::string error = http_error_text(*response);
    if (is_retryable_status(status)) {
      attempt.retry_after = retry_after_of(*response, clock_.now());
      return make_error(error, ErrorKind::kTransient);
    }
    refusal_fatal = !chunk_specific(*response);
    return make_error(error);
  });
  SendResult result;
  result.attempts = run.attempts;
  if (run.status.ok()) {
    result.ok = true;
    return result;
  }
  result.error = run.status.error().message;
  result.out_of_time = run.status.error().kind == ErrorKind::kOutOfTime;
  // Without a refusal, no answer at all after every try means the service
  // is unreachable, and every later chunk would fare the same.
  if (!result.out_of_time) result.fatal = refusal_fatal.value_or(!answered);
  result.transient = !result.out_of_time && !result.fatal && !refusal_fatal &&
                     run.status.error().kind == ErrorKind::kTransient;
  return result;
}

} // namespace c42::la
