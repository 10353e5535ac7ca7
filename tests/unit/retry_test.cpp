#include "common/retry.h"
#include "common/time_format.h"

#include <algorithm>
#include <gtest/gtest.h>
#include <set>

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
  EXPECT_TRUE(retry_fits(policy, now, Millis(1499)));
  EXPECT_FALSE(retry_fits(policy, now, Millis(1500)));
}

TEST(ParseRetryAfter, NonAsciiBytesAreNotDigits) {
  // isdigit() on a negative char is undefined; these must simply not parse.
  EXPECT_FALSE(parse_retry_after("\xB2", TimePoint()).has_value());
  EXPECT_FALSE(parse_retry_after("1\xB9", TimePoint()).has_value());
}

} // namespace
} // namespace c42
