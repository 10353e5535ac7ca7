// Byte-level JSON text helpers for the hot paths, where building a Json::Value
// per line would cost more than the work itself.
#pragma once

#include <string>
#include <string_view>

namespace c42 {

// Appends `bytes` as a JSON string literal, quotes included. Valid UTF-8 is
// kept as is, except that U+2028/U+2029 are written as \u escapes: they are
// legal in JSON but split lines for JavaScript and for Python's splitlines().
// Each invalid UTF-8 sequence becomes U+FFFD; the return value is false when
// that happened, so callers can carry the exact bytes some other way.
bool append_json_string(std::string& out, std::string_view bytes);

bool is_valid_utf8(std::string_view bytes);

// The first index at or after `from` whose byte a JSON string cannot hold
// as it is without a closer look (a quote, a backslash, a control character
// or a byte of a multi-byte UTF-8 sequence), or bytes.size(). Steps over
// plain ASCII many bytes at a time: the hot loop of writing and scanning
// records.
size_t skip_plain_json_bytes(std::string_view bytes, size_t from);

// Length of the valid UTF-8 sequence starting at bytes[i], or 0 if none
// starts there (overlongs, surrogates and code points above U+10FFFF are
// invalid). append_json_string steps by exactly these units, so code that
// cuts text for it (c42-transform's splitting) must use this too.
size_t utf8_sequence_length(std::string_view bytes, size_t i);

// Valid UTF-8 without a byte-order mark or raw control characters (< 0x20;
// TAB, CR and LF only between tokens): what JSON text must be for the
// services we post to.
bool is_clean_json_text(std::string_view text);

// True when the line is a JSON object whose first member is "@c42" (a
// control line of the c42-stream(7) contract). Only the prefix is examined.
bool is_control_line(std::string_view line);

// Skips JSON whitespace; returns the index of the first other byte.
size_t skip_json_whitespace(std::string_view text, size_t pos);

} // namespace c42
