#include "common/json_text.h"

#include <cstring>

namespace c42 {

size_t utf8_sequence_length(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + need >= s.size()) return 0;
  for (size_t k = 1; k <= need; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if (k == 1 ? (cc < lo || cc > hi) : (cc < 0x80 || cc > 0xBF)) return 0;
  }
  return need + 1;
}

bool is_valid_utf8(std::string_view bytes) {
  constexpr uint64_t kHighBits = 0x8080808080808080ull;
  for (size_t i = 0; i < bytes.size();) {
    uint64_t eight;
    if (i + 8 <= bytes.size() &&
        (std::memcpy(&eight, bytes.data() + i, 8), eight & kHighBits) == 0) {
      i += 8; // eight ASCII bytes
      continue;
    }
    if (static_cast<unsigned char>(bytes[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t n = utf8_sequence_length(bytes, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

namespace {

// For each ASCII byte that must be escaped, the letter of its two-byte
// escape, or 'u' for the six-byte \u00XX form.
struct AsciiEscapes {
  char letter[128] = {};
  constexpr AsciiEscapes() {
    for (int c = 0; c < 0x20; ++c)
      letter[c] = 'u';
    letter[int{'"'}] = '"';
    letter[int{'\\'}] = '\\';
    letter[int{'\n'}] = 'n';
    letter[int{'\r'}] = 'r';
    letter[int{'\t'}] = 't';
    letter[int{'\b'}] = 'b';
    letter[int{'\f'}] = 'f';
  }
};
constexpr AsciiEscapes kAsciiEscapes;

} // namespace

bool append_json_string(std::string& out, std::string_view bytes) {
  static const char kHex[] = "0123456789abcdef";
  // Written through a pointer into `out`, grown ahead of the writing and cut
  // to size at the end: a std::string call per escape cost more than finding
  // the escapes. kRoom covers one step: 16 bytes copied, up to 15 of them
  // kept, then one escape or character of at most 6 bytes.
  constexpr size_t kRoom = 32;
  const char* in = bytes.data();
  const size_t size = bytes.size();
  const size_t start = out.size();
  // Text has about one escape in 8 bytes; the rare line that needs more
  // grows the string half again as often as it must.
  out.resize(start + size + size / 8 + 2 * kRoom);
  char* o = &out[start];
  char* limit = &out[0] + out.size() - kRoom;
  auto make_room = [&]() {
    if (o <= limit) return;
    const size_t used = static_cast<size_t>(o - out.data());
    out.resize(out.size() + out.size() / 2 + 2 * kRoom);
    o = &out[used];
    limit = &out[0] + out.size() - kRoom;
  };
  bool valid = true;
  *o++ = '"';
  size_t i = 0;
  while (i < size) {
    make_room();
    if (i + 16 <= size) {
      // Copy 16 bytes at once and keep those before the first special one.
      std::memcpy(o, in + i, 16);
      const unsigned mask = special_json_byte_mask16(in + i);
      if (mask == 0) {
        i += 16;
        o += 16;
        continue;
      }
      const unsigned plain = static_cast<unsigned>(__builtin_ctz(mask));
      i += plain;
      o += plain;
    } else if (!is_special_json_byte(static_cast<unsigned char>(in[i]))) {
      *o++ = in[i++];
      continue;
    }
    const unsigned char c = static_cast<unsigned char>(in[i]);
    if (c < 0x80) {
      const char letter = kAsciiEscapes.letter[c];
      o[0] = '\\';
      if (letter != 'u') {
        o[1] = letter;
        o += 2;
      } else {
        std::memcpy(o + 1, "u00", 3);
        o[4] = kHex[c >> 4];
        o[5] = kHex[c & 15];
        o += 6;
      }
      ++i;
      continue;
    }
    size_t n = utf8_sequence_length(bytes, i);
    if (n == 3 && c == 0xE2 && static_cast<unsigned char>(in[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(in[i + 2]) & 0xFE) == 0xA8) {
      std::memcpy(o, in[i + 2] == '\xA8' ? "\\u2028" : "\\u2029", 6);
      o += 6;
    } else if (n == 0) {
      std::memcpy(o, "\xEF\xBF\xBD", 3);
      o += 3;
      valid = false;
      n = 1;
    } else {
      for (size_t k = 0; k < n; ++k)
        o[k] = in[i + k];
      o += n;
    }
    i += n;
  }
  make_room();
  *o++ = '"';
  out.resize(static_cast<size_t>(o - out.data()));
  return valid;
}

bool is_clean_json_text(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") return false;
  // TAB, CR and LF are JSON whitespace between tokens, but inside a string
  // every raw control character makes the text invalid.
  bool in_string = false, escaped = false;
  for (unsigned char c : text) {
    if (c < 0x20 && (in_string || (c != '\t' && c != '\n' && c != '\r'))) return false;
    if (escaped) {
      escaped = false;
    } else if (in_string && c == '\\') {
      escaped = true;
    } else if (c == '"') {
      in_string = !in_string;
    }
  }
  return is_valid_utf8(text);
}

size_t skip_json_whitespace(std::string_view text, size_t pos) {
  while (pos < text.size() &&
         (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' || text[pos] == '\r'))
    ++pos;
  return pos;
}

bool is_control_line(std::string_view line) {
  size_t pos = skip_json_whitespace(line, 0);
  if (pos >= line.size() || line[pos] != '{') return false;
  pos = skip_json_whitespace(line, pos + 1);
  return line.substr(pos, 6) == "\"@c42\"";
}

} // namespace c42
