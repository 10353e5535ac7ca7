// The timestamp formats the protocols use, all in UTC.
#pragma once

#include "common/clock.h"
#include "common/result.h"

#include <string>
#include <string_view>

namespace c42 {

// 20150830T123600Z (SigV4 X-Amz-Date).
std::string format_amz_date(TimePoint t);
// 20150830 (SigV4 credential scope).
std::string format_date_stamp(TimePoint t);
// Sun, 30 Aug 2015 12:36:00 GMT (HTTP-date, x-ms-date, If-Modified-Since).
std::string format_http_date(TimePoint t);
// 2015-08-30T12:36:00Z, or with milliseconds 2015-08-30T12:36:00.123Z.
std::string format_iso8601(TimePoint t, bool milliseconds = false);

// RFC 7231 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT").
Result<TimePoint> parse_http_date(std::string_view text);
// ISO 8601 / RFC 3339: YYYY-MM-DD, or YYYY-MM-DDThh:mm[:ss[.fff]] with Z or
// +hh:mm / -hh:mm (a missing offset means UTC).
Result<TimePoint> parse_iso8601(std::string_view text);

// A point in time given on a command line: ISO 8601, or whole seconds since
// the epoch.
Result<TimePoint> parse_deadline(std::string_view text);

// 00:00:00 UTC of the day containing t.
TimePoint start_of_utc_day(TimePoint t);

} // namespace c42
