#include "common/retry.h"
#include "common/time_format.h"

#include <algorithm>
#include <gtest/gtest.h>
#include <optional>
#include <set>
#include <vector>

namespace c42 {
namespace {

using std::chrono::seconds;

TimePoint at(const char* iso) {
  auto t = parse_iso8601(iso);
  EXPECT_TRUE(t.ok()) << iso;
  return t.ok() ? *t : TimePoint();
}

// --- is_retryable_status ---

TEST(IsRetryableStatus, TimeoutsThrottlingAndServerFaultsOnly) {
  struct Case {
    long status;
    bool retryable;
  };
  const Case cases[] = {
      {0, false},   {100, false}, {200, false}, {204, false}, {206, false}, {301, false},
      {304, false}, {400, false}, {401, false}, {403, false}, {404, false}, {405, false},
      {408, true},  {409, false}, {412, false}, {413, false}, {429, true},  {499, false},
      {500, true},  {501, true},  {502, true},  {503, true},  {504, true},  {505, true},
      {511, true},  {599, true},  {600, false}, {999, false}, {-1, false},
  };
  for (const Case& c : cases)
    EXPECT_EQ(is_retryable_status(c.status), c.retryable) << c.status;
}

// --- parse_retry_after ---

TEST(ParseRetryAfter, DeltaSeconds) {
  const TimePoint now = at("2024-05-01T12:00:00Z");
  EXPECT_EQ(parse_retry_after("0", now), Millis(0));
  EXPECT_EQ(parse_retry_after("7", now), Millis(7000));
  EXPECT_EQ(parse_retry_after("120", now), Millis(120000));
  EXPECT_EQ(parse_retry_after("007", now), Millis(7000));
}

TEST(ParseRetryAfter, HugeDeltaIsCappedNotOverflowed) {
  const TimePoint now = at("2024-05-01T12:00:00Z");
  auto d = parse_retry_after("99999999999999999999999", now);
  ASSERT_TRUE(d.has_value());
  EXPECT_GT(d->count(), 0);
  EXPECT_LE(*d, Millis(std::chrono::hours(24)));
}

TEST(ParseRetryAfter, HttpDateIsRelativeToNow) {
  const TimePoint now = at("2015-08-30T12:36:00Z");
  EXPECT_EQ(parse_retry_after("Sun, 30 Aug 2015 12:36:30 GMT", now), Millis(30000));
  EXPECT_EQ(parse_retry_after("Sun, 30 Aug 2015 13:36:00 GMT", now), Millis(3600000));
  // A date in the past means "now".
  EXPECT_EQ(parse_retry_after("Sun, 30 Aug 2015 12:00:00 GMT", now), Millis(0));
}

TEST(ParseRetryAfter, GarbageIsNullopt) {
  const TimePoint now = at("2024-05-01T12:00:00Z");
  for (const char* bad :
       {"", " ", "-5", "1.5", "5s", " 5", "soon", "Sun, 30 Aug 2015", "2015-08-30T12:36:00Z"}) {
    EXPECT_FALSE(parse_retry_after(bad, now).has_value()) << "'" << bad << "'";
  }
}

// --- Backoff ---

TEST(Backoff, DelayStaysWithinTheExponentialCeiling) {
  RetryPolicy policy;
  policy.base_delay = Millis(100);
  policy.max_delay = Millis(1500);
  Backoff backoff(policy, 42);
  for (int retry = 1; retry <= 12; ++retry) {
    long long ceiling = std::min<long long>(1500, 100LL << (retry - 1));
    long long highest = 0;
    for (int i = 0; i < 300; ++i) {
      Millis d = backoff.delay(retry);
      ASSERT_GE(d.count(), 0) << "retry " << retry;
      ASSERT_LE(d.count(), ceiling) << "retry " << retry;
      highest = std::max(highest, static_cast<long long>(d.count()));
    }
    // Full jitter really uses the range (300 draws land in its upper half).
    EXPECT_GT(highest, ceiling / 2) << "retry " << retry;
  }
}

TEST(Backoff, JitterVaries) {
  Backoff backoff(RetryPolicy{}, 7);
  std::set<long long> seen;
  for (int i = 0; i < 50; ++i)
    seen.insert(backoff.delay(3).count());
  EXPECT_GT(seen.size(), 10u);
}

TEST(Backoff, VeryLateRetriesDoNotOverflow) {
  RetryPolicy policy;
  policy.base_delay = Millis(250);
  policy.max_delay = Millis(30000);
  Backoff backoff(policy, 1);
  for (int retry : {30, 63, 64, 100, 1000000}) {
    Millis d = backoff.delay(retry);
    EXPECT_GE(d.count(), 0);
    EXPECT_LE(d.count(), 30000);
  }
}

TEST(Backoff, SameSeedSameDelays) {
  Backoff a(RetryPolicy{}, 99), b(RetryPolicy{}, 99);
  for (int retry = 1; retry <= 6; ++retry)
    EXPECT_EQ(a.delay(retry), b.delay(retry));
}

TEST(Backoff, HonoursRetryAfter) {
  RetryPolicy policy;
  policy.base_delay = Millis(100);
  policy.max_delay = Millis(1000);
  Backoff backoff(policy, 3);
  // Longer than any jitter, even beyond max_delay: the server's word wins.
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(backoff.delay(1, Millis(5000)), Millis(5000));
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(backoff.delay(4, Millis(60000)), Millis(60000));
  // Never less than retry_after, but jitter may be longer.
  for (int i = 0; i < 200; ++i) {
    Millis d = backoff.delay(5, Millis(300));
    EXPECT_GE(d, Millis(300));
    EXPECT_LE(d, Millis(1000));
  }
  EXPECT_LE(backoff.delay(1, Millis(0)), Millis(100));
}

TEST(Backoff, RetryAfterIsCapped) {
  Backoff backoff(RetryPolicy{}, 5);
  EXPECT_EQ(backoff.delay(1, kMaxRetryAfter), kMaxRetryAfter);
  EXPECT_EQ(backoff.delay(1, kMaxRetryAfter + Millis(1)), kMaxRetryAfter);
  EXPECT_EQ(backoff.delay(2, Millis(std::chrono::hours(24))), kMaxRetryAfter);
  EXPECT_GE(kMaxRetryAfter, RetryPolicy{}.max_delay);
}

TEST(Backoff, PolicyIsKept) {
  RetryPolicy policy;
  policy.max_attempts = 9;
  Backoff backoff(policy);
  EXPECT_EQ(backoff.policy().max_attempts, 9);
}

TEST(IsRetryableErrorCode, ThrottlingAndTransientCodesOnly) {
  for (const char* code : {"RequestThrottled", "ThrottlingException", "KmsThrottled", "SlowDown",
                           "Throttling", "RequestTimeout", "TooManyRequestsException"})
    EXPECT_TRUE(is_retryable_error_code(code)) << code;
  for (const char* code : {"", "AccessDenied", "InvalidParameterValue", "QueueDoesNotExist",
                           "NoSuchKey", "throttlingexception", "HTTP 400"})
    EXPECT_FALSE(is_retryable_error_code(code)) << code;
}

TEST(FitToDeadline, ShortensTheAttemptAndRefusesOnceItPassed) {
  const TimePoint now = TimePoint(std::chrono::seconds(1700000000));
  RetryPolicy policy;
  HttpRequest request;
  request.timeout_ms = 60000;
  ASSERT_TRUE(fit_to_deadline(request, policy, now).ok());
  EXPECT_EQ(request.timeout_ms, 60000) << "no deadline, no change";

  policy.deadline = now + std::chrono::milliseconds(1500);
  ASSERT_TRUE(fit_to_deadline(request, policy, now).ok());
  EXPECT_EQ(request.timeout_ms, 1500);

  request.timeout_ms = 0; // unbounded uploads get the deadline as their total
  ASSERT_TRUE(fit_to_deadline(request, policy, now).ok());
  EXPECT_EQ(request.timeout_ms, 1500);

  auto late = fit_to_deadline(request, policy, *policy.deadline);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().message, kDeadlinePassed);
  EXPECT_EQ(late.error().kind, ErrorKind::kOutOfTime);
  EXPECT_TRUE(retry_fits(policy, now, Millis(1499)));
  EXPECT_FALSE(retry_fits(policy, now, Millis(1500)));
}

TEST(ParseRetryAfter, NonAsciiBytesAreNotDigits) {
  // isdigit() on a negative char is undefined; these must simply not parse.
  EXPECT_FALSE(parse_retry_after("\xB2", TimePoint()).has_value());
  EXPECT_FALSE(parse_retry_after("1\xB9", TimePoint()).has_value());
}

// --- run_with_retries ---

// Scripted attempts against a fixed clock that only sleeping moves.
class RunWithRetries : public testing::Test {
protected:
  RunWithRetries() : clock(TimePoint(seconds(1700000000))) {
    policy.max_attempts = 4;
    policy.base_delay = Millis(100);
    policy.max_delay = Millis(1000);
  }

  // Attempt n fails with script[n-1], or succeeds past the script's end.
  RetryOutcome run(std::vector<Error> script, std::vector<std::optional<Millis>> retry_after = {}) {
    return run_with_retries(
        policy, clock,
        [this](Millis d) {
          sleeps.push_back(d);
          clock.set(clock.now() + d + overshoot);
        },
        [&](Attempt& attempt) -> Status {
          numbers.push_back(attempt.number);
          size_t i = static_cast<size_t>(attempt.number - 1);
          if (i < retry_after.size()) attempt.retry_after = retry_after[i];
          if (i < script.size()) return script[i];
          return Status::success();
        });
  }

  static Error transient(const std::string& message = "connection reset by peer") {
    return make_error(message, ErrorKind::kTransient);
  }

  RetryPolicy policy;
  FixedClock clock;
  Millis overshoot{0}; // how much longer than asked each sleep takes
  std::vector<Millis> sleeps;
  std::vector<int> numbers;
};

TEST_F(RunWithRetries, SuccessNeedsOneAttempt) {
  RetryOutcome r = run({});
  EXPECT_TRUE(r.status.ok());
  EXPECT_EQ(r.attempts, 1);
  EXPECT_TRUE(sleeps.empty());
}

TEST_F(RunWithRetries, RetriesTransientFailuresUntilOneSucceeds) {
  RetryOutcome r = run({transient(), transient()});
  EXPECT_TRUE(r.status.ok());
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(numbers, (std::vector<int>{1, 2, 3}));
  ASSERT_EQ(sleeps.size(), 2u);
  // Full jitter under the exponential ceiling.
  EXPECT_LE(sleeps[0], Millis(100));
  EXPECT_LE(sleeps[1], Millis(200));
}

TEST_F(RunWithRetries, OtherKindsAreNeverRetriedAndKeepTheirText) {
  for (ErrorKind kind :
       {ErrorKind::kFailed, ErrorKind::kAborted, ErrorKind::kUsage, ErrorKind::kConfig}) {
    numbers.clear();
    RetryOutcome r = run({transient(), make_error("AccessDenied (HTTP 403)", kind)});
    ASSERT_FALSE(r.status.ok());
    EXPECT_EQ(r.status.error().kind, kind);
    EXPECT_EQ(r.status.error().message, "AccessDenied (HTTP 403)") << "no suffix: not retried";
    EXPECT_EQ(r.attempts, 2);
    EXPECT_EQ(numbers.size(), 2u);
  }
}

TEST_F(RunWithRetries, GivesUpAfterMaxAttemptsNamingThemOnce) {
  RetryOutcome r = run({transient("a"), transient("b"), transient("c"), transient("HTTP 503")});
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.error().message, "HTTP 503 (after 4 attempts)");
  EXPECT_EQ(r.status.error().kind, ErrorKind::kTransient);
  EXPECT_EQ(r.attempts, 4);
  EXPECT_EQ(sleeps.size(), 3u) << "no sleep after the last attempt";
}

TEST_F(RunWithRetries, OneAttemptIsSingular) {
  policy.max_attempts = 1;
  RetryOutcome r = run({transient()});
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.error().message, "connection reset by peer (after 1 attempt)");
  EXPECT_TRUE(sleeps.empty());
}

// --- how long the loop goes on ---

TEST(AttemptLimit, ACountCapsTheDeadlineBoundsTheDefault) {
  RetryPolicy policy;
  EXPECT_EQ(policy.max_attempts, kUntilDeadline) << "the default";
  EXPECT_EQ(attempt_limit(policy), kAttemptsWithoutDeadline) << "no deadline: a small count";
  policy.deadline = TimePoint(seconds(1700000000));
  EXPECT_EQ(attempt_limit(policy), std::nullopt) << "only the deadline bounds it";
  policy.max_attempts = 3;
  EXPECT_EQ(attempt_limit(policy), 3) << "an explicit count caps it, deadline or not";
  policy.deadline.reset();
  EXPECT_EQ(attempt_limit(policy), 3);
  policy.max_attempts = -4;
  EXPECT_EQ(attempt_limit(policy), kAttemptsWithoutDeadline) << "less than 0 is the default";
}

TEST_F(RunWithRetries, UntilTheDeadlineRetriesFarMoreThanSixTimes) {
  policy.max_attempts = kUntilDeadline;
  policy.deadline = clock.now() + std::chrono::minutes(10);
  std::vector<Error> storm(40, transient("HTTP 503"));
  RetryOutcome r = run(storm);
  EXPECT_TRUE(r.status.ok()) << r.status.error().message;
  EXPECT_EQ(r.attempts, 41);
  EXPECT_EQ(sleeps.size(), 40u);
  EXPECT_LT(clock.now(), *policy.deadline);
  for (Millis d : sleeps)
    EXPECT_LE(d, policy.max_delay) << "each sleep is capped";
}

TEST_F(RunWithRetries, UntilTheDeadlineEndsWhenNoTimeIsLeft) {
  policy.max_attempts = kUntilDeadline;
  const TimePoint deadline = clock.now() + seconds(30);
  policy.deadline = deadline;
  std::vector<Error> forever(100000, transient("HTTP 500"));
  RetryOutcome r = run(forever);
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.error().kind, ErrorKind::kOutOfTime);
  EXPECT_EQ(r.status.error().message,
            "HTTP 500; no time left for another attempt before the run's deadline " +
                attempts_note(r.attempts));
  EXPECT_GT(r.attempts, kAttemptsWithoutDeadline);
  EXPECT_LE(clock.now(), deadline - kMinAttemptTime) << "every retry had time to run";
  // The jitter is capped by the time left, so retries go on until the
  // deadline leaves no room, rather than giving up when a long draw would
  // miss it.
  EXPECT_GT(clock.now(), deadline - kMinAttemptTime - seconds(1));
}

// An attempt that took long (a stalled transfer cut off by its stall
// limit) is retried only while as long a one still fits before the deadline.
TEST_F(RunWithRetries, ARetryLeavesTimeForAnAttemptAsLongAsTheLast) {
  policy.max_attempts = kUntilDeadline;
  const TimePoint deadline = clock.now() + seconds(25);
  policy.deadline = deadline;
  std::vector<Millis> left_at_start;
  RetryOutcome r = run_with_retries(
      policy, clock, [this](Millis d) { clock.set(clock.now() + d); },
      [&](Attempt&) -> Status {
        left_at_start.push_back(std::chrono::duration_cast<Millis>(deadline - clock.now()));
        clock.set(clock.now() + seconds(10)); // stalled until the stall limit
        return transient("Operation timed out after 10000 milliseconds");
      });
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.error().kind, ErrorKind::kOutOfTime);
  ASSERT_EQ(left_at_start.size(), 2u) << "a third would not fit";
  EXPECT_GE(left_at_start[1], seconds(10));
}

TEST_F(RunWithRetries, UntilTheDeadlineWithoutOneIsSixAttempts) {
  policy.max_attempts = kUntilDeadline;
  RetryOutcome r = run(std::vector<Error>(10, transient()));
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.attempts, kAttemptsWithoutDeadline);
  EXPECT_EQ(r.status.error().kind, ErrorKind::kTransient);
  EXPECT_EQ(r.status.error().message, "connection reset by peer (after 6 attempts)");
}

TEST_F(RunWithRetries, AnExplicitCountCapsRetriesEvenWithADeadline) {
  policy.max_attempts = 3;
  policy.deadline = clock.now() + std::chrono::hours(1);
  RetryOutcome r = run(std::vector<Error>(10, transient("HTTP 429")));
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(r.status.error().kind, ErrorKind::kTransient);
  EXPECT_EQ(r.status.error().message, "HTTP 429 (after 3 attempts)");
}

TEST_F(RunWithRetries, PermanentErrorsFailAtOnceUnderEveryPolicy) {
  struct Case {
    int max_attempts;
    bool deadline;
  };
  for (Case c : {Case{kUntilDeadline, true}, Case{kUntilDeadline, false}, Case{20, true}}) {
    policy.max_attempts = c.max_attempts;
    policy.deadline.reset();
    if (c.deadline) policy.deadline = clock.now() + std::chrono::hours(1);
    numbers.clear();
    sleeps.clear();
    RetryOutcome r = run({make_error("InvalidDataFormat (HTTP 400)", ErrorKind::kFailed)});
    ASSERT_FALSE(r.status.ok());
    EXPECT_EQ(r.attempts, 1);
    EXPECT_EQ(numbers.size(), 1u);
    EXPECT_TRUE(sleeps.empty());
    EXPECT_EQ(r.status.error().message, "InvalidDataFormat (HTTP 400)");
  }
}

TEST(Backoff, JitterIsCappedByTheTimeLeftButRetryAfterIsNot) {
  RetryPolicy policy;
  policy.base_delay = Millis(1000);
  policy.max_delay = Millis(30000);
  Backoff backoff(policy, 11);
  for (int i = 0; i < 200; ++i)
    ASSERT_LE(backoff.delay(8, std::nullopt, Millis(50)), Millis(50));
  EXPECT_EQ(backoff.delay(8, std::nullopt, Millis(0)), Millis(0));
  EXPECT_EQ(backoff.delay(8, std::nullopt, Millis(-5)), Millis(0));
  // The server's minimum stands: the loop then finds it does not fit.
  EXPECT_EQ(backoff.delay(1, Millis(5000), Millis(50)), Millis(5000));
}

// --- stop requests ---

TEST_F(RunWithRetries, AStopRequestCutsARetryAfterWaitShort) {
  policy.deadline = clock.now() + std::chrono::hours(1);
  int looks = 0;
  RetryOutcome r = run_with_retries(
      policy, clock,
      [this](Millis d) {
        sleeps.push_back(d);
        clock.set(clock.now() + d);
      },
      [&](Attempt& attempt) -> Status {
        numbers.push_back(attempt.number);
        attempt.retry_after = kMaxRetryAfter;
        return transient("HTTP 429");
      },
      [&] { return ++looks > 4; });
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.error().kind, ErrorKind::kAborted);
  EXPECT_EQ(r.status.error().message,
            "HTTP 429; not retried: a stop was requested (after 1 attempt)");
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(numbers.size(), 1u);
  // Two minutes asked for; the wait looked at the request every
  // kStopCheckInterval and ended within one of them.
  ASSERT_FALSE(sleeps.empty());
  Millis slept{0};
  for (Millis d : sleeps) {
    EXPECT_LE(d, kStopCheckInterval);
    slept += d;
  }
  EXPECT_LE(slept, 4 * kStopCheckInterval);
}

TEST_F(RunWithRetries, NoAttemptOnceAStopWasRequested) {
  RetryOutcome r = run_with_retries(
      policy, clock, [this](Millis d) { sleeps.push_back(d); },
      [&](Attempt& attempt) -> Status {
        numbers.push_back(attempt.number);
        return Status::success();
      },
      [] { return true; });
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.error().kind, ErrorKind::kAborted);
  EXPECT_EQ(r.status.error().message, kStopRequested);
  EXPECT_EQ(r.attempts, 0);
  EXPECT_TRUE(numbers.empty());
}

TEST_F(RunWithRetries, WithoutAStopRequestTheSleepIsWhole) {
  RetryOutcome r = run_with_retries(
      policy, clock, [this](Millis d) { sleeps.push_back(d); },
      [&](Attempt& attempt) -> Status {
        if (attempt.number > 1) return Status::success();
        attempt.retry_after = Millis(7000);
        return transient();
      },
      [] { return false; });
  EXPECT_TRUE(r.status.ok());
  Millis slept{0};
  for (Millis d : sleeps)
    slept += d;
  EXPECT_EQ(slept, Millis(7000));
}

TEST_F(RunWithRetries, SleepsAtLeastTheRetryAfterAnAttemptReports) {
  RetryOutcome r = run({transient(), transient(), transient()},
                       {Millis(7000), std::nullopt, kMaxRetryAfter + Millis(60000)});
  EXPECT_TRUE(r.status.ok());
  ASSERT_EQ(sleeps.size(), 3u);
  EXPECT_EQ(sleeps[0], Millis(7000)) << "beyond max_delay: the server's word wins";
  EXPECT_LE(sleeps[1], Millis(200)) << "each attempt's Retry-After is its own";
  EXPECT_EQ(sleeps[2], kMaxRetryAfter) << "capped";
}

TEST_F(RunWithRetries, NoAttemptOnceTheDeadlineHasPassed) {
  policy.deadline = clock.now();
  RetryOutcome r = run({});
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.error().message, kDeadlinePassed);
  EXPECT_EQ(r.status.error().kind, ErrorKind::kOutOfTime);
  EXPECT_EQ(r.attempts, 0);
  EXPECT_TRUE(numbers.empty());
}

TEST_F(RunWithRetries, NoSleepThatWouldEndAfterTheDeadline) {
  // A retry needs kMinAttemptTime (1 s) left when it starts.
  policy.deadline = clock.now() + seconds(2);
  RetryOutcome r = run({transient("HTTP 429")}, {Millis(1000)});
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.error().message,
            "HTTP 429; no time left for another attempt before the run's deadline "
            "(after 1 attempt)");
  EXPECT_EQ(r.status.error().kind, ErrorKind::kOutOfTime);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_TRUE(sleeps.empty());

  sleeps.clear();
  numbers.clear();
  RetryOutcome fits = run({transient("HTTP 429")}, {Millis(999)});
  EXPECT_TRUE(fits.status.ok());
  EXPECT_EQ(fits.attempts, 2);
}

TEST_F(RunWithRetries, NoAttemptStartsAfterASleepThatOverran) {
  policy.deadline = clock.now() + seconds(2);
  overshoot = seconds(5);
  RetryOutcome r = run({transient("HTTP 503"), transient()});
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.error().kind, ErrorKind::kOutOfTime);
  EXPECT_EQ(r.status.error().message,
            "HTTP 503; no time left for another attempt before the run's deadline "
            "(after 1 attempt)");
  EXPECT_EQ(numbers, (std::vector<int>{1}));
}

// fit_to_deadline inside an attempt can find the deadline passed a moment
// after the loop found it still ahead; that attempt sent nothing.
TEST_F(RunWithRetries, AnAttemptOutOfTimeIsNotCounted) {
  RetryOutcome later =
      run({transient("HTTP 500"), make_error(kDeadlinePassed, ErrorKind::kOutOfTime)});
  ASSERT_FALSE(later.status.ok());
  EXPECT_EQ(later.attempts, 1);
  EXPECT_EQ(later.status.error().kind, ErrorKind::kOutOfTime);
  EXPECT_EQ(later.status.error().message,
            "HTTP 500; no time left for another attempt before the run's deadline "
            "(after 1 attempt)");

  RetryOutcome first = run({make_error(kDeadlinePassed, ErrorKind::kOutOfTime)});
  EXPECT_EQ(first.attempts, 0);
  EXPECT_EQ(first.status.error().message, kDeadlinePassed);
}

} // namespace
} // namespace c42
