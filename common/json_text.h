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

// The first index at or after `from` whose byte a JSON string cannot hold
// as it is without a closer look (a quote, a backslash, a control character
// or a byte of a multi-byte UTF-8 sequence), or bytes.size(). Steps over
// plain ASCII many bytes at a time: the hot loop of writing and scanning
// records.
// Inline: it is called once per escape or non-ASCII character.
inline size_t skip_plain_json_bytes(std::string_view bytes, size_t from) {
  const char* data = bytes.data();
  const size_t size = bytes.size();
  size_t i = from;
#ifdef __SSE2__
  // As signed bytes, control characters and bytes >= 0x80 are all < 0x20.
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(0x20);
  while (i + 16 <= size) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
    const __m128i special =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                     _mm_cmplt_epi8(v, space));
    const int mask = _mm_movemask_epi8(special);
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    i += 16;
  }
#else
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;
  auto zero_bytes = [&](uint64_t w) { return (w - kOnes) & ~w & kHighs; };
  while (i + 8 <= size) {
    uint64_t w;
    std::memcpy(&w, data + i, 8);
    if (((w | zero_bytes(w ^ (kOnes * '"')) | zero_bytes(w ^ (kOnes * '\\')) |
          ((w - kOnes * 0x20) & ~w)) &
         kHighs) != 0)
      break;
    i += 8;
  }
#endif
  while (i < size) {
    const unsigned char c = static_cast<unsigned char>(data[i]);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') return i;
    ++i;
  }
  return size;
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
