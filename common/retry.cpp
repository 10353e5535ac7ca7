#include "common/retry.h"

#include "common/time_format.h"

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace c42 {

bool is_retryable_status(long status) {
  return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

std::optional<Millis> parse_retry_after(const std::string& value, TimePoint now) {
  if (!value.empty() && std::all_of(value.begin(), value.end(), ::isdigit)) {
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
