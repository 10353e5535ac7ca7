#include "common/time_format.h"

#include <gtest/gtest.h>

namespace c42 {
namespace {

TimePoint at(long long seconds) {
  return TimePoint(std::chrono::seconds(seconds));
}

TEST(TimeFormat, FormatsAwsAndHttpDates) {
  TimePoint t = at(1440938160); // 2015-08-30T12:36:00Z, the SigV4 suite's date
  EXPECT_EQ(format_amz_date(t), "20150830T123600Z");
  EXPECT_EQ(format_date_stamp(t), "20150830");
  EXPECT_EQ(format_http_date(t), "Sun, 30 Aug 2015 12:36:00 GMT");
  EXPECT_EQ(format_iso8601(t), "2015-08-30T12:36:00Z");
  EXPECT_EQ(format_iso8601(t + std::chrono::milliseconds(7), true), "2015-08-30T12:36:00.007Z");
}

TEST(TimeFormat, ParsesHttpDate) {
  auto t = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(*t, at(784111777));
  EXPECT_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37").ok());
  EXPECT_FALSE(parse_http_date("Sun, 31 Feb 1994 08:49:37 GMT").ok());
}

TEST(TimeFormat, ParsesIso8601Variants) {
  EXPECT_EQ(*parse_iso8601("2015-08-30T12:36:00Z"), at(1440938160));
  EXPECT_EQ(*parse_iso8601("2015-08-30T14:36:00+02:00"), at(1440938160));
  EXPECT_EQ(*parse_iso8601("2015-08-30T12:36:00.250Z"),
            at(1440938160) + std::chrono::milliseconds(250));
  EXPECT_EQ(*parse_iso8601("2015-08-30"), at(1440892800));
  EXPECT_FALSE(parse_iso8601("2015-13-01").ok());
  EXPECT_FALSE(parse_iso8601("2015-08-30T12:36:00Zjunk").ok());
  EXPECT_FALSE(parse_iso8601("yesterday").ok());
}

TEST(TimeFormat, StartOfUtcDay) {
  EXPECT_EQ(start_of_utc_day(at(1440938160)), at(1440892800));
  EXPECT_EQ(start_of_utc_day(at(1440892800)), at(1440892800));
}

} // namespace
} // namespace c42

namespace c42 {
namespace {
TEST(TimeFormat, RejectsYearsTheClockCannotHold) {
  EXPECT_FALSE(parse_iso8601("2999-01-01").ok());
  EXPECT_FALSE(parse_iso8601("1900-01-01").ok());
  EXPECT_TRUE(parse_iso8601("2200-01-01").ok());
}
TEST(TimeFormat, DeadlineInEpochSecondsCannotOverflowTheClock) {
  auto ok = parse_deadline("1714564800");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(format_iso8601(*ok), "2024-05-01T12:00:00Z");
  EXPECT_TRUE(parse_deadline("7258118400").ok());
  for (const char* bad :
       {"7258118401", "999999999999", "99999999999999999999999", "-5", "1e10", "nan", ""})
    EXPECT_FALSE(parse_deadline(bad).ok()) << bad;
}

} // namespace
} // namespace c42
