// The record s3-fetch emits for each line of an object (c42-stream(7)):
//   {"bucket":"…","key":"…","event_time":"…","etag":"…","index":N,"line":"…"}
// plus "line_b64" with the exact bytes when the line is not valid UTF-8
// ("line" then holds it with U+FFFD replacements). Members are written in
// this fixed order so the hot path can build records by concatenation.
#pragma once

#include "common/json_value.h"
#include "common/result.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace c42 {

struct SourceRecord {
  std::string bucket;
  std::string key;
  std::string event_time;
  std::string etag; // the object version the line was read from; may be empty
  uint64_t index = 0;
  std::string line; // exact bytes of the original line
};

// The constant start of every record of one object, up to "index":.
std::string source_record_prefix(std::string_view bucket, std::string_view key,
                                 std::string_view event_time, std::string_view etag);

// Appends one complete record line (with '\n') to out; returns its length
// in bytes, '\n' included, so the caller can hold it to the stream limit.
size_t append_source_record(std::string& out, std::string_view prefix, uint64_t index,
                            std::string_view line);

// Reads a record back; the exact original bytes end up in SourceRecord::line.
Result<SourceRecord> source_record_from_json(const Json::Value& v);

} // namespace c42
