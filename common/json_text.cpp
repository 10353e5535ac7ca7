#include "common/json_text.h"

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
  for (size_t i = 0; i < bytes.size();) {
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

bool append_json_string(std::string& out, std::string_view bytes) {
  static const char kHex[] = "0123456789abcdef";
  bool valid = true;
  out.reserve(out.size() + bytes.size() + 2);
  out.push_back('"');
  size_t run = 0; // start of the pending run of bytes copied verbatim
  size_t i = 0;
  auto flush = [&](size_t end) { out.append(bytes.data() + run, end - run); };
  while (i < bytes.size()) {
    i = skip_plain_json_bytes(bytes, i);
    if (i == bytes.size()) break;
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x80) {
      size_t n = utf8_sequence_length(bytes, i);
      if (n == 3 && c == 0xE2 && static_cast<unsigned char>(bytes[i + 1]) == 0x80 &&
          (static_cast<unsigned char>(bytes[i + 2]) & 0xFE) == 0xA8) {
        flush(i);
        out += (bytes[i + 2] == '\xA8') ? "\\u2028" : "\\u2029";
      } else if (n == 0) {
        flush(i);
        out += "\xEF\xBF\xBD";
        valid = false;
        n = 1;
      } else {
        i += n;
        continue;
      }
      i += n;
      run = i;
      continue;
    }
    flush(i);
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    default:
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
    ++i;
    run = i;
  }
  flush(i);
  out.push_back('"');
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
