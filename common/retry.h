// Retry timing shared by every client: exponential backoff with full jitter,
// stretched to honour a server's Retry-After.
#pragma once

#include "common/clock.h"
#include "common/http.h"
#include "common/result.h"

#include <chrono>
#include <functional>
#include <optional>
#include <random>
#include <string>

namespace c42 {

using Millis = std::chrono::milliseconds;

struct RetryPolicy {
  int max_attempts = 6; // including the first
  Millis base_delay{250};
  Millis max_delay{30000};
  // The run's deadline: no attempt starts after it and none runs past it,
  // so a tool never outlives the budget of the run that started it.
  std::optional<TimePoint> deadline;
};

inline constexpr const char* kDeadlinePassed = "the run's deadline has passed";

// Shortens request.timeout_ms so the attempt ends by policy.deadline; the
// error kDeadlinePassed once it has passed (nothing is sent then).
Status fit_to_deadline(HttpRequest& request, const RetryPolicy& policy, TimePoint now);

// Whether a retry after `delay` still starts before the deadline.
bool retry_fits(const RetryPolicy& policy, TimePoint now, Millis delay);

// Statuses a well-behaved client retries: timeouts, throttling and every
// server-side fault (5xx).
// 400/401/403/404 are the caller's fault and are never retried.
bool is_retryable_status(long status);

// AWS services answer throttling with HTTP 400 and an error code (SQS:
// RequestThrottled, ThrottlingException, KmsThrottled), so the SDKs decide
// on the code as well as the status. True for the throttling and transient
// codes the AWS SDKs' standard retry mode lists.
bool is_retryable_error_code(const std::string& code);

// Retry-After as delta-seconds or an HTTP-date; nullopt when unparseable.
std::optional<Millis> parse_retry_after(const std::string& value, TimePoint now);

// The longest Retry-After honoured; a longer one is cut to this.
inline constexpr Millis kMaxRetryAfter{120000};

class Backoff {
public:
  explicit Backoff(RetryPolicy policy, uint64_t seed = std::random_device{}());
  // Delay before retry number `retry` (1-based): uniform in
  // [0, min(max, base * 2^(retry-1))], but never less than retry_after.
  Millis delay(int retry, std::optional<Millis> retry_after = std::nullopt);
  const RetryPolicy& policy() const { return policy_; }

private:
  RetryPolicy policy_;
  std::mt19937_64 rng_;
};

// "(after 1 attempt)", "(after 6 attempts)": the suffix of an error that
// retries did not cure.
std::string attempts_note(int attempts);

// Sleeping is injected so retry loops can be tested without waiting.
using Sleeper = std::function<void(Millis)>;
Sleeper real_sleeper();

} // namespace c42
