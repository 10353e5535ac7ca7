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
  if (left <= 0) return make_error(kDeadlinePassed);
  if (request.timeout_ms <= 0 || request.timeout_ms > left) request.timeout_ms = left;
  return Status::success();
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

std::string attempts_note(int attempts) {
  return "(after " + std::to_string(attempts) + (attempts == 1 ? " attempt)" : " attempts)");
}

Backoff::Backoff(RetryPolicy policy, uint64_t seed) : policy_(policy), rng_(seed) {}

Millis Backoff::delay(int retry, std::optional<Millis> retry_after) {
  long long ceiling = policy_.base_delay.count();
  for (int i = 1; i < retry && ceiling < policy_.max_delay.count(); ++i)
    ceiling *= 2;
  ceiling = std::min<long long>(ceiling, policy_.max_delay.count());
  std::uniform_int_distribution<long long> pick(0, ceiling);
  Millis jittered(pick(rng_));
  // Honour Retry-After, but no server holds us longer than kMaxRetryAfter.
  if (retry_after && *retry_after > jittered) return std::min(*retry_after, kMaxRetryAfter);
  return jittered;
}

Sleeper real_sleeper() {
  return [](Millis d) { std::this_thread::sleep_for(d); };
}

} // namespace c42
