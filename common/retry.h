// Retry timing shared by every client: exponential backoff with full jitter,
// stretched to honour a server's Retry-After.
#pragma once

#include "common/clock.h"

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
};

// Statuses a well-behaved client retries: timeouts, throttling and every
// server-side fault (5xx).
// 400/401/403/404 are the caller's fault and are never retried.
bool is_retryable_status(long status);

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
