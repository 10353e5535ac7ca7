// A varied, deterministic corpus of source records for the tests that hold
// the hot path (common/record_scanner.h) to the full parser's results:
// Code42-like lines with escapes, Windows paths, unicode, raw U+2028,
// control characters, NUL, invalid UTF-8, long lines; object names with
// quotes and non-ASCII; and the records another producer might write
// (other spacing, escapes, member order), which the scanner must decline.
#pragma once

#include "common/source_record.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace c42::test_support {

// Original log lines, as found in objects.
inline std::vector<std::string> varied_lines(uint32_t seed, size_t count) {
  static const char* const kPieces[] = {
      "{\"eventId\":\"0_1d71796f\",\"eventType\":\"READ_BY_APP\"",
      ",\"file\":{\"path\":\"C:\\\\Users\\\\alice\\\\Documents\\\\",
      "r\xC3\xA9sum\xC3\xA9",
      "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E",
      "\xF0\x9F\x98\x80",
      "\xE2\x80\xA8",
      "\xE2\x80\xA9",
      "\t",
      "\r",
      "\b\f",
      "", // stands for a NUL byte, which a C string cannot hold
      "\x01\x1F\x7F",
      "\"quoted\"",
      "back\\slash",
      "/slash/",
      "\xFF",
      "\xC3",
      "\xED\xA0\x80",
      " ",
      "\"@timestamp\":\"2024-01-02T03:04:05.123Z\"}",
  };
  constexpr size_t kCount = sizeof kPieces / sizeof kPieces[0];
  std::mt19937 rng(seed);
  std::vector<std::string> lines;
  lines.push_back("");
  lines.push_back("x");
  lines.push_back(std::string(1, '\0'));
  for (size_t n = 0; n < count; ++n) {
    std::string line;
    const size_t pieces = rng() % 12;
    for (size_t p = 0; p < pieces; ++p) {
      size_t which = rng() % kCount;
      // Invalid UTF-8 (pieces 15 to 17) is rarer than that in real logs.
      if (which >= 15 && which <= 17 && rng() % 4 != 0) which = 0;
      if (which == 10)
        line.push_back('\0');
      else
        line += kPieces[which];
    }
    // Now and then a long line, near and beyond the split limits.
    if (rng() % 16 == 0) line += std::string(900 + rng() % 3000, "ab\\\"\xC3\xA9"[rng() % 6]);
    lines.push_back(line);
  }
  return lines;
}

// Source records of those lines as s3-fetch writes them, over a few
// objects whose names need escaping.
inline std::vector<std::string> varied_source_records(uint32_t seed, size_t count) {
  static const char* const kKeys[] = {"exports/2024/01/02/events.json.gz",
                                      "odd \"key\" \\ \xC3\xA9\xE2\x80\xA8/\x01.gz"};
  std::vector<std::string> records;
  size_t index = 0;
  for (const std::string& line : varied_lines(seed, count)) {
    const char* key = kKeys[index / 7 % 2];
    std::string prefix =
        source_record_prefix("code42-bucket", key, index % 5 ? "2024-01-02T03:04:05Z" : "",
                             index % 3 ? "\"9b2cf535f27731c974343645a3985328\"" : "");
    std::string record;
    append_source_record(record, prefix, index * 977, line);
    record.pop_back(); // the '\n'
    records.push_back(record);
    ++index;
  }
  return records;
}

// Records the full parser reads (mostly) but that are not in the form we
// write: the scanner must decline every one.
inline std::vector<std::string> foreign_source_records() {
  const std::string tail = R"(,"index":3,"line":"x"})";
  const std::string head = R"({"bucket":"b","key":"k","event_time":"t","etag":"e")";
  return {
      head + R"(,"index":3,"line":"a\/b"})",
      head + R"(,"index":3,"line":"\u0041"})",
      head + R"(,"index":3,"line":"\u001F"})",
      head + R"(,"index":3,"line":"\u000a"})",
      head + R"(,"index":3,"line":"\u00e9"})",
      head + R"(,"index":3,"line":"\ud83d\ude00"})",
      head + R"(,"index":3,"line":"\u202A"})",
      head + "," + R"("index":3,"line":")" + "\xE2\x80\xA8" + R"("})",
      head + R"(,"index":3,"line":")" + "\x01" + R"("})",
      head + R"(,"index":3,"line":")" + "\xFF" + R"("})",
      head + R"(,"index":03,"line":"x"})",
      head + R"(,"index":-3,"line":"x"})",
      head + R"(,"index":3.0,"line":"x"})",
      head + R"(,"index":1e3,"line":"x"})",
      head + R"(,"index":123456789012345678901,"line":"x"})",
      head + R"(,"index":3,"line":"x","line_b64":"eA=="})",
      head + R"(,"index":3,"line":"x","extra":1})",
      head + R"(,"index":3,"line":"x"} )",
      head + R"(, "index":3,"line":"x"})",
      " " + head + tail,
      R"({"key":"k","bucket":"b","event_time":"t","etag":"e")" + tail,
      R"({"bucket":"b","key":"k","etag":"e")" + tail,
      R"({"bucket":"b","key":"k","event_time":null,"etag":"e")" + tail,
      head + R"(,"index":3,"line":"x","line":"y"})",
      head + R"(,"index":3,"line":"x"}})",
      head + R"(,"index":3,"line":"x\"})",
      head + R"(,"index":3,"line":"x)",
      head + R"(,"index":3})",
  };
}

} // namespace c42::test_support
