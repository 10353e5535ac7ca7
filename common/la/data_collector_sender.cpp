#include "common/la/data_collector_sender.h"

namespace c42::la {

DataCollectorSender::DataCollectorSender(std::unique_ptr<HttpClient> http,
                                         DataCollectorTarget target, const Clock& clock,
                                         RetryPolicy retry, Sleeper sleeper, Timeouts timeouts)
    : http_(std::move(http)), target_(std::move(target)), clock_(clock), backoff_(retry),
      sleeper_(std::move(sleeper)), timeouts_(timeouts) {}

namespace {

// 400 InvalidDataFormat and 413 concern this chunk's content; every other
// 4xx says the request itself (key, workspace, Log-Type) is wrong.
bool chunk_specific(long status, const std::string& body) {
  if (status == 413) return true;
  return status == 400 && body.find("InvalidDataFormat") != std::string::npos;
}

std::string short_body(const std::string& body) {
  std::string text = body.substr(0, 200);
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

} // namespace

SendResult DataCollectorSender::send(const std::string& body, size_t /*records*/) {
  SendResult result;
  bool answered = false; // some attempt got an HTTP response
  const RetryPolicy& policy = backoff_.policy();
  for (int attempt = 1;; ++attempt) {
    auto request = build_data_collector_request(target_, body, clock_.now());
    if (!request.ok()) {
      result.fatal = true;
      result.error = request.error().message;
      return result;
    }
    // An upload's duration grows with its size on a slow link, so it is
    // bounded by the stall limit and the run's deadline, not a fixed total.
    request->timeout_ms = 0;
    request->connect_timeout_ms = timeouts_.connect_ms;
    request->stall_timeout_ms = timeouts_.stall_ms;
    Status in_time = fit_to_deadline(*request, policy, clock_.now());
    if (!in_time.ok()) {
      if (attempt == 1) result.error = in_time.error().message;
      result.out_of_time = true;
      break;
    }
    result.attempts = attempt;
    auto response = http_->send(*request);
    std::optional<Millis> retry_after;
    if (response.ok()) {
      answered = true;
      long status = response->status;
      if (status >= 200 && status < 300) {
        result.ok = true;
        return result;
      }
      result.error = "HTTP " + std::to_string(status);
      if (!response->body.empty()) result.error += ": " + short_body(response->body);
      if (!is_retryable_status(status)) {
        result.fatal = !chunk_specific(status, response->body);
        return result;
      }
      if (auto header = response->header("Retry-After"))
        retry_after = parse_retry_after(*header, clock_.now());
    } else {
      result.error = response.error().message;
    }
    if (attempt >= policy.max_attempts) break;
    Millis delay = backoff_.delay(attempt, retry_after);
    if (!retry_fits(policy, clock_.now(), delay)) {
      result.error += "; no time left for another attempt before the run's deadline";
      result.out_of_time = true;
      break;
    }
    sleeper_(delay);
  }
  if (result.attempts > 0) result.error += " " + attempts_note(result.attempts);
  // No answer at all after every retry: the service is unreachable, and
  // every later chunk would fare the same.
  result.fatal = !answered && !result.out_of_time;
  return result;
}

} // namespace c42::la
