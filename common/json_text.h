// Byte-level JSON text helpers for the hot paths, where building a Json::Value
// per line would cost more than the work itself.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace c42 {

// Appends `bytes` as a JSON string literal, quotes included. Valid UTF-8 is
// kept as is, except that U+2028/U+2029 are written as \u escapes: they are
// legal in JSON but split lines for JavaScript and for Python's splitlines().
// Each invalid UTF-8 sequence becomes U+FFFD; the return value is false when
// that happened, so callers can carry the exact bytes some other way.
bool append_json_string(std::string& out, std::string_view bytes);

bool is_valid_utf8(std::string_view bytes);

// A byte a JSON string cannot hold as it is without a closer look: a quote,
// a backslash, a control character or a byte of a multi-byte UTF-8 sequence.
inline bool is_special_json_byte(unsigned char c) {
  return c < 0x20 || c >= 0x80 || c == '"' || c == '\\';
}

// Bit k is set when p[k], of the 16 bytes at p, is special (above). The hot
// loops of writing and scanning records take 16 bytes per step with it and
// visit only the special ones.
inline unsigned special_json_byte_mask16(const char* p) {
#ifdef __SSE2__
  // As signed bytes, control characters and bytes >= 0x80 are all < 0x20.
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i special = _mm_or_si128(
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
      _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
  return static_cast<unsigned>(_mm_movemask_epi8(special));
#else
  unsigned mask = 0;
  for (unsigned k = 0; k < 16; ++k)
    if (is_special_json_byte(static_cast<unsigned char>(p[k]))) mask |= 1u << k;
  return mask;
#endif
}

// The first index at or after `from` whose byte is special, or
// bytes.size(). Inline: it is called once per escape or non-ASCII character.
inline size_t skip_plain_json_bytes(std::string_view bytes, size_t from) {
  const char* data = bytes.data();
  const size_t size = bytes.size();
  size_t i = from;
  while (i + 16 <= size) {
    const unsigned mask = special_json_byte_mask16(data + i);
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(mask));
    i += 16;
  }
  while (i < size && !is_special_json_byte(static_cast<unsigned char>(data[i])))
    ++i;
  return i;
}

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
