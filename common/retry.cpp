#include "common/retry.h"

#include "common/time_format.h"

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace c42 {

bool is_retryable_status(long status) {
  return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

bool is_retryable_error_code(const std::string& code) {
  // The transient and throttling codes of the AWS SDKs' standard retry mode
  // (boto3's "Standard retry mode" list), and SQS's KmsThrottled, which
  // SQS returns when the KMS key of an encrypted queue is throttled.
  static const char* const kCodes[] = {"RequestTimeout",
                                       "RequestTimeoutException",
                                       "PriorRequestNotComplete",
                                       "Throttling",
                                       "ThrottlingException",
                                       "ThrottledException",
                                       "RequestThrottledException",
                                       "TooManyRequestsException",
                                       "ProvisionedThroughputExceededException",
                                       "TransactionInProgressException",
                                       "RequestLimitExceeded",
                                       "BandwidthLimitExceeded",
                                       "LimitExceededException",
                                       "RequestThrottled",
                                       "SlowDown",
                                       "EC2ThrottledException",
                                       "KmsThrottled"};
  for (const char* known : kCodes)
    if (code == known) return true;
  return false;
}

Status fit_to_deadline(HttpRequest& request, const RetryPolicy& policy, TimePoint now) {
  if (!policy.deadline) return Status::success();
  auto left = std::chrono::duration_cast<Millis>(*policy.deadline - now).count();
  if (left <= 0) return make_error(kDeadlinePassed, ErrorKind::kOutOfTime);
  if (request.timeout_ms <= 0 || request.timeout_ms > left) request.timeout_ms = left;
  return Status::success();
}

std::optional<int> attempt_limit(const RetryPolicy& policy) {
  if (policy.max_attempts > 0) return policy.max_attempts;
  if (policy.deadline) return std::nullopt;
  return kAttemptsWithoutDeadline;
}

bool retry_fits(const RetryPolicy& policy, TimePoint now, Millis delay) {
  return !policy.deadline || now + delay < *policy.deadline;
}

std::optional<Millis> parse_retry_after(const std::string& value, TimePoint now) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!value.empty() && std::all_of(value.begin(), value.end(), digit)) {
    if (value.size() > 9) return Millis(std::chrono::hours(24));
    return Millis(std::stoll(value) * 1000);
  }
  auto date = parse_http_date(value);
  if (!date.ok()) return std::nullopt;
  auto delta = std::chrono::duration_cast<Millis>(*date - now);
  return std::max(delta, Millis(0));
}

std::optional<Millis> retry_after_of(const HttpResponse& response, TimePoint now) {
  auto header = response.header("Retry-After");
  if (!header) return std::nullopt;
  return parse_retry_after(*header, now);
}

std::string attempts_note(int attempts) {
  return "(after " + std::to_string(attempts) + (attempts == 1 ? " attempt)" : " attempts)");
}

Backoff::Backoff(RetryPolicy policy, std::optional<uint64_t> seed) : policy_(policy), seed_(seed) {}

Millis Backoff::delay(int retry, std::optional<Millis> retry_after,
                      std::optional<Millis> time_left) {
  long long ceiling = policy_.base_delay.count();
  for (int i = 1; i < retry && ceiling < policy_.max_delay.count(); ++i)
    ceiling *= 2;
  ceiling = std::min<long long>(ceiling, policy_.max_delay.count());
  if (time_left) ceiling = std::max<long long>(0, std::min<long long>(ceiling, time_left->count()));
  std::uniform_int_distribution<long long> pick(0, ceiling);
  if (!rng_) rng_.emplace(seed_ ? *seed_ : std::random_device{}());
  Millis jittered(pick(*rng_));
  // Honour Retry-After, but no server holds us longer than kMaxRetryAfter.
  if (retry_after && *retry_after > jittered) return std::min(*retry_after, kMaxRetryAfter);
  return jittered;
}

Sleeper real_sleeper() {
  return [](Millis d) { std::this_thread::sleep_for(d); };
}

namespace {

bool deadline_passed(const RetryPolicy& policy, TimePoint now) {
  return policy.deadline && now >= *policy.deadline;
}

bool stopping(const StopRequested& stop_requested) {
  return stop_requested && stop_requested();
}

// The deadline stopped the loop after `attempts` attempts, the last of which
// failed with `last`.
Error out_of_time(const std::optional<Error>& last, int attempts) {
  if (!last || attempts == 0) return make_error(kDeadlinePassed, ErrorKind::kOutOfTime);
  return make_error(last->message +
                        "; no time left for another attempt before the run's deadline " +
                        attempts_note(attempts),
                    ErrorKind::kOutOfTime);
}

// A stop request ended the loop after `attempts` attempts.
Error stopped(const std::optional<Error>& last, int attempts) {
  if (!last || attempts == 0) return make_error(kStopRequested, ErrorKind::kAborted);
  return make_error(last->message + "; not retried: " + kStopRequested + " " +
                        attempts_note(attempts),
                    ErrorKind::kAborted);
}

// Sleeps `delay` in slices, so a stop request cuts the wait short; whether
// the whole delay was slept.
bool wait_unless_stopped(const Sleeper& sleeper, Millis delay,
                         const StopRequested& stop_requested) {
  if (!stop_requested) {
    sleeper(delay);
    return true;
  }
  while (delay > Millis(0)) {
    if (stop_requested()) return false;
    const Millis slice = std::min(delay, kStopCheckInterval);
    sleeper(slice);
    delay -= slice;
  }
  return !stop_requested();
}

} // namespace

RetryOutcome run_with_retries(const RetryPolicy& policy, const Clock& clock, const Sleeper& sleeper,
                              const std::function<Status(Attempt& attempt)>& attempt,
                              const StopRequested& stop_requested) {
  Backoff backoff(policy);
  const std::optional<int> max_attempts = attempt_limit(policy);
  RetryOutcome outcome;
  std::optional<Error> last; // the latest failure worth another try
  for (int number = 1;; ++number) {
    if (deadline_passed(policy, clock.now())) {
      outcome.status = out_of_time(last, outcome.attempts);
      return outcome;
    }
    if (stopping(stop_requested)) {
      outcome.status = stopped(last, outcome.attempts);
      return outcome;
    }
    Attempt current;
    current.number = number;
    const TimePoint started = clock.now();
    Status status = attempt(current);
    if (!status.ok() && status.error().kind == ErrorKind::kOutOfTime) {
      // It found the deadline passed before it could send: only the
      // attempts before it count, and the last of them says what went wrong.
      outcome.status = last ? out_of_time(last, outcome.attempts) : status;
      return outcome;
    }
    outcome.attempts = number;
    if (status.ok() || status.error().kind != ErrorKind::kTransient) {
      outcome.status = std::move(status);
      return outcome;
    }
    last = status.error();
    if (max_attempts && number >= *max_attempts) {
      outcome.status =
          make_error(last->message + " " + attempts_note(number), ErrorKind::kTransient);
      return outcome;
    }
    // A retry must leave the next attempt as long as this one took, and
    // kMinAttemptTime at least: an attempt squeezed in just before the
    // deadline would be cut off there, its answer lost and a post perhaps
    // stored all the same (a duplicate), and its timeout would hide the
    // service's real answer in the error.
    const TimePoint now = clock.now();
    const Millis reserve =
        std::max(kMinAttemptTime, std::chrono::duration_cast<Millis>(now - started));
    std::optional<Millis> time_left;
    if (policy.deadline)
      time_left = std::chrono::duration_cast<Millis>(*policy.deadline - now) - reserve;
    Millis delay = backoff.delay(number, current.retry_after, time_left);
    if (!retry_fits(policy, now, delay + reserve)) {
      outcome.status = out_of_time(last, outcome.attempts);
      return outcome;
    }
    if (!wait_unless_stopped(sleeper, delay, stop_requested)) {
      outcome.status = stopped(last, outcome.attempts);
      return outcome;
    }
  }
}

} // namespace c42
