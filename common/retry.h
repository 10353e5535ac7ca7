// The one retry loop every client and sender uses (run_with_retries), and
// its timing: exponential backoff with full jitter, stretched to honour a
// server's Retry-After, inside the run's deadline.
//
// How long a loop goes on: in a run with a deadline, until the deadline
// leaves no room for another attempt, however many that takes (a storm that
// clears within the run delivers everything in the run); without one, a
// small count (kAttemptsWithoutDeadline). An explicit count caps it either
// way. Errors no retry cures end it at once, whatever the policy.
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

// RetryPolicy::max_attempts meaning "as many attempts as fit before the
// deadline"; without a deadline it means kAttemptsWithoutDeadline.
inline constexpr int kUntilDeadline = 0;
// Attempts in all, the first included, of a kUntilDeadline policy without a
// deadline: nothing else would end the loop of a service that stays down.
inline constexpr int kAttemptsWithoutDeadline = 6;

struct RetryPolicy {
  // Attempts in all, the first included: a positive count caps them (with
  // or without a deadline); kUntilDeadline (0, the default, or less) goes
  // on until the deadline, or kAttemptsWithoutDeadline without one.
  int max_attempts = kUntilDeadline;
  Millis base_delay{250};
  // The longest backoff between two attempts; a Retry-After may ask for
  // more, up to kMaxRetryAfter.
  Millis max_delay{30000};
  // The run's deadline: no attempt starts after it and none runs past it,
  // so a tool never outlives the budget of the run that started it.
  std::optional<TimePoint> deadline;
};

inline constexpr const char* kDeadlinePassed = "the run's deadline has passed";
inline constexpr const char* kStopRequested = "a stop was requested";

// The most attempts `policy` allows, or nullopt when only its deadline
// bounds them.
std::optional<int> attempt_limit(const RetryPolicy& policy);

// Shortens request.timeout_ms so the attempt ends by policy.deadline; the
// error kDeadlinePassed (kind kOutOfTime) once it has passed: nothing is
// sent then.
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
// The response's Retry-After header, parsed; nullopt when absent or unparseable.
std::optional<Millis> retry_after_of(const HttpResponse& response, TimePoint now);

// The longest Retry-After honoured; a longer one is cut to this.
inline constexpr Millis kMaxRetryAfter{120000};

class Backoff {
public:
  // Without a seed, the generator is seeded from std::random_device when
  // the first delay is asked for: most requests never retry, and seeding
  // per request showed in the profile of la-post.
  explicit Backoff(RetryPolicy policy, std::optional<uint64_t> seed = std::nullopt);
  // Delay before retry number `retry` (1-based): uniform in
  // [0, min(max, base * 2^(retry-1), time_left)], but never less than
  // retry_after (itself capped at kMaxRetryAfter). Capping the jitter at
  // the time left lets a retry start before the deadline while one can;
  // only the server's Retry-After may push it past.
  Millis delay(int retry, std::optional<Millis> retry_after = std::nullopt,
               std::optional<Millis> time_left = std::nullopt);
  const RetryPolicy& policy() const { return policy_; }

private:
  RetryPolicy policy_;
  std::optional<uint64_t> seed_;
  std::optional<std::mt19937_64> rng_;
};

// "(after 1 attempt)", "(after 6 attempts)": the suffix of an error that
// retries did not cure.
std::string attempts_note(int attempts);

// Sleeping is injected so retry loops can be tested without waiting.
using Sleeper = std::function<void(Millis)>;
Sleeper real_sleeper();

// The least time left before the deadline in which a retry starts (more
// when the attempt before it took longer).
inline constexpr Millis kMinAttemptTime{1000};

// A stop request (the tools' SIGTERM/SIGINT flag); empty: none can come.
using StopRequested = std::function<bool()>;
// How often a loop waiting to retry looks at its StopRequested: a stage told
// to stop must not sit out a backoff or a Retry-After of up to two minutes.
inline constexpr Millis kStopCheckInterval{100};

// What the loop tells an attempt, and what the attempt tells it back.
struct Attempt {
  int number = 1; // 1 for the first
  // Set by an attempt whose failure came with the server's Retry-After: the
  // next attempt starts no sooner (up to kMaxRetryAfter).
  std::optional<Millis> retry_after;
};

struct RetryOutcome {
  Status status;
  int attempts = 0; // attempts made; 0 when the deadline had passed before the first
};

// Runs `attempt` until it succeeds, fails with a kind other than kTransient,
// the attempts attempt_limit(policy) allows have failed, the deadline leaves
// no room for another, or a stop is requested. The kind of the attempt's
// error decides, so every caller states its retry rules once, in its
// attempt: kTransient for what another try may cure, kFailed for what it
// will not (it ends the loop at once, whatever the policy), kAborted for a
// transfer stopped on purpose.
//
// Between attempts it sleeps as Backoff says (full jitter capped by the
// time left, never shorter than the attempt's retry_after, capped). It
// starts no attempt after policy.deadline, and a retry only while the time
// left holds the longer of kMinAttemptTime and what the last attempt took:
// no sleep ends later than that. An attempt that fails with kOutOfTime
// found no time left to start (fit_to_deadline) and is not counted. With `stop_requested`, no
// attempt starts once it is true, and a sleep looks at it every kStopCheckInterval.
//
// The final error is composed here, once:
// - success, or a failure that is not kTransient: the attempt's status as is;
// - attempts used up: "<last error> (after N attempts)", still kTransient;
// - out of time: "<last error>; no time left for another attempt before the
//   run's deadline (after N attempts)", or kDeadlinePassed when no attempt
//   ran, both kOutOfTime;
// - stopped: "<last error>; not retried: a stop was requested (after N
//   attempts)", or kStopRequested when no attempt ran, both kAborted.
RetryOutcome run_with_retries(const RetryPolicy& policy, const Clock& clock, const Sleeper& sleeper,
                              const std::function<Status(Attempt& attempt)>& attempt,
                              const StopRequested& stop_requested = {});

} // namespace c42
