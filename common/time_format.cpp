#include "common/time_format.h"

#include "common/decimal.h"

#include <cstdio>
#include <cstring>
#include <ctime>

namespace c42 {

namespace {

std::tm to_utc_tm(TimePoint t) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  // to_time_t truncates toward zero; keep floor semantics before 1970 too.
  if (std::chrono::system_clock::from_time_t(seconds) > t) --seconds;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return tm;
}

std::string strftime_utc(TimePoint t, const char* format) {
  std::tm tm = to_utc_tm(t);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

// Days from civil, proleptic Gregorian (H. Hinnant's algorithm), so parsing
// never depends on the process time zone.
long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

bool valid_date(int y, int m, int d) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

TimePoint make_time(int y, int mo, int d, int h, int mi, int s) {
  long long days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return TimePoint(std::chrono::seconds(days * 86400 + h * 3600 + mi * 60 + s));
}

bool read_digits(std::string_view& text, size_t count, int* out) {
  if (text.size() < count) return false;
  int value = 0;
  for (size_t i = 0; i < count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  *out = value;
  text.remove_prefix(count);
  return true;
}

bool read_char(std::string_view& text, char c) {
  if (text.empty() || text[0] != c) return false;
  text.remove_prefix(1);
  return true;
}

} // namespace

std::string format_amz_date(TimePoint t) {
  return strftime_utc(t, "%Y%m%dT%H%M%SZ");
}
std::string format_date_stamp(TimePoint t) {
  return strftime_utc(t, "%Y%m%d");
}

std::string format_http_date(TimePoint t) {
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm = to_utc_tm(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string format_iso8601(TimePoint t, bool milliseconds) {
  std::string out = strftime_utc(t, "%Y-%m-%dT%H:%M:%S");
  if (milliseconds) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    ms = ((ms % 1000) + 1000) % 1000;
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(ms));
    out += buf;
  }
  return out + "Z";
}

Result<TimePoint> parse_http_date(std::string_view text) {
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::string_view s = text;
  Error bad = make_error("not an HTTP date: '" + std::string(text) + "'");
  size_t comma = s.find(", ");
  if (comma == std::string_view::npos) return bad;
  s.remove_prefix(comma + 2);
  int day, year, hour, minute, second, month = 0;
  if (!read_digits(s, 2, &day) || !read_char(s, ' ') || s.size() < 4) return bad;
  for (int i = 0; i < 12; ++i)
    if (s.substr(0, 3) == kMonths[i]) month = i + 1;
  if (month == 0) return bad;
  s.remove_prefix(3);
  if (!read_char(s, ' ') || !read_digits(s, 4, &year) || !read_char(s, ' ') ||
      !read_digits(s, 2, &hour) || !read_char(s, ':') || !read_digits(s, 2, &minute) ||
      !read_char(s, ':') || !read_digits(s, 2, &second) || s != " GMT")
    return bad;
  if (!valid_date(year, month, day) || hour > 23 || minute > 59 || second > 60) return bad;
  return make_time(year, month, day, hour, minute, second);
}

Result<TimePoint> parse_iso8601(std::string_view text) {
  std::string_view s = text;
  Error bad = make_error("not an ISO 8601 time: '" + std::string(text) + "'");
  int year, month, day, hour = 0, minute = 0, second = 0;
  if (!read_digits(s, 4, &year) || !read_char(s, '-') || !read_digits(s, 2, &month) ||
      !read_char(s, '-') || !read_digits(s, 2, &day) || !valid_date(year, month, day))
    return bad;
  // TimePoint counts nanoseconds in 64 bits: it ends in 2262.
  if (year < 1970 || year > 2200)
    return make_error("time out of range (1970-2200): '" + std::string(text) + "'");
  TimePoint t = make_time(year, month, day, 0, 0, 0);
  if (s.empty()) return t;
  if (!read_char(s, 'T') && !read_char(s, 't') && !read_char(s, ' ')) return bad;
  if (!read_digits(s, 2, &hour) || !read_char(s, ':') || !read_digits(s, 2, &minute)) return bad;
  if (read_char(s, ':') && !read_digits(s, 2, &second)) return bad;
  if (hour > 23 || minute > 59 || second > 60) return bad;
  std::chrono::nanoseconds fraction{0};
  if (read_char(s, '.') || read_char(s, ',')) {
    long long scale = 100000000, nanos = 0;
    size_t digits = 0;
    while (!s.empty() && s[0] >= '0' && s[0] <= '9') {
      if (scale > 0) nanos += (s[0] - '0') * scale;
      scale /= 10;
      s.remove_prefix(1);
      ++digits;
    }
    if (digits == 0) return bad;
    fraction = std::chrono::nanoseconds(nanos);
  }
  int offset_minutes = 0;
  if (read_char(s, 'Z') || read_char(s, 'z')) {
  } else if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    int sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
    int oh, om = 0;
    if (!read_digits(s, 2, &oh)) return bad;
    read_char(s, ':');
    if (!s.empty() && !read_digits(s, 2, &om)) return bad;
    offset_minutes = sign * (oh * 60 + om);
  }
  if (!s.empty()) return bad;
  t = make_time(year, month, day, hour, minute, second);
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      t.time_since_epoch() + fraction - std::chrono::minutes(offset_minutes)));
}

Result<TimePoint> parse_deadline(std::string_view text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
    // The same range parse_iso8601 takes (up to 2200-01-01), so the
    // nanosecond clock cannot overflow.
    constexpr uint64_t kMaxEpochSeconds = 7258118400;
    auto seconds = parse_decimal(text, kMaxEpochSeconds);
    if (!seconds) return make_error("time out of range (1970-2200): '" + std::string(text) + "'");
    return TimePoint(std::chrono::seconds(*seconds));
  }
  auto t = parse_iso8601(text);
  if (!t.ok())
    return make_error("not a time (ISO 8601 or epoch seconds): '" + std::string(text) + "'");
  return t;
}

TimePoint start_of_utc_day(TimePoint t) {
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  long long day = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  return TimePoint(std::chrono::seconds(day * 86400));
}

} // namespace c42
