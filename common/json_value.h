// jsoncpp behind a small error-as-value facade: strict parsing that never
// throws, and compact one-line serialization.
#pragma once

#include "common/result.h"

#include <json/json.h>
#include <string>
#include <string_view>

namespace c42 {

// Parses exactly one JSON value (trailing garbage is an error). Strict mode:
// no comments, no single quotes, no duplicate keys accepted silently.
Result<Json::Value> parse_json(std::string_view text);
// parse_json, then insists on an object.
Result<Json::Value> parse_json_object(std::string_view text);

// One line, no trailing newline. Non-ASCII is written as \u escapes, which
// keeps control lines pure ASCII. jsoncpp orders keys by byte value, so
// "@c42" (0x40) precedes every letter-named key, as c42-stream(7) requires.
std::string to_json_line(const Json::Value& value);

// Typed member access for optional fields: nullopt/empty when absent or of
// the wrong type.
std::string string_member(const Json::Value& object, const char* name);
bool has_string_member(const Json::Value& object, const char* name);

} // namespace c42
