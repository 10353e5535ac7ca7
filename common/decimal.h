// Numbers read from text that others wrote (headers, replies, options):
// strictly, so "-1", "1e3", " 7" or a value that overflows is refused
// instead of wrapping or throwing.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace c42 {

// Plain decimal digits whose value is at most `max`; no sign, space,
// fraction or exponent.
inline std::optional<uint64_t> parse_decimal(std::string_view text, uint64_t max = UINT64_MAX) {
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (max - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

} // namespace c42
