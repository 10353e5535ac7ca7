#include "common/record_scanner.h"

#include "common/json_text.h"

namespace c42 {

namespace {

bool is_lower_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int hex_value(char c) {
  return c <= '9' ? c - '0' : c - 'a' + 10;
}

// The escape at text[i] ('\\'), if append_json_string writes it: its length.
size_t canonical_escape_length(std::string_view text, size_t i) {
  if (i + 1 >= text.size()) return 0;
  switch (text[i + 1]) {
  case '"':
  case '\\':
  case 'n':
  case 'r':
  case 't':
  case 'b':
  case 'f':
    return 2;
  case 'u':
    break;
  default:
    return 0;
  }
  if (i + 6 > text.size()) return 0;
  std::string_view hex = text.substr(i + 2, 4);
  if (hex == "2028" || hex == "2029") return 6;
  if (hex[0] != '0' || hex[1] != '0' || (hex[2] != '0' && hex[2] != '1') || !is_lower_hex(hex[3]))
    return 0;
  // The control characters with a short escape are never written as \u00XX.
  const int value = hex_value(hex[2]) * 16 + hex_value(hex[3]);
  if (value == '\b' || value == '\t' || value == '\n' || value == '\f' || value == '\r') return 0;
  return 6;
}

// The scanning position within one line; every step either matches exactly
// or fails the whole scan.
class Cursor {
public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool literal(std::string_view expected) {
    if (text_.compare(pos_, expected.size(), expected) != 0) return false;
    pos_ += expected.size();
    return true;
  }

  bool at(std::string_view expected) const {
    return text_.compare(pos_, expected.size(), expected) == 0;
  }

  // A string in append_json_string's form; *contents gets what lies
  // between the quotes.
  bool string(std::string_view* contents) {
    if (pos_ >= text_.size() || text_[pos_] != '"') return false;
    const size_t begin = ++pos_;
    const size_t size = text_.size();
    size_t i = begin;
    for (;;) {
      i = skip_plain_json_bytes(text_, i);
      if (i >= size) return false;
      const unsigned char c = static_cast<unsigned char>(text_[i]);
      if (c == '"') break;
      if (c == '\\') {
        size_t n = canonical_escape_length(text_, i);
        if (n == 0) return false;
        i += n;
      } else if (c < 0x20) {
        return false;
      } else if (c < 0x80) {
        ++i;
      } else {
        size_t n = utf8_sequence_length(text_, i);
        // U+2028 and U+2029 are always written escaped.
        if (n == 0 || (n == 3 && c == 0xE2 && static_cast<unsigned char>(text_[i + 1]) == 0x80 &&
                       (static_cast<unsigned char>(text_[i + 2]) & 0xFE) == 0xA8))
          return false;
        i += n;
      }
    }
    *contents = text_.substr(begin, i - begin);
    pos_ = i + 1;
    return true;
  }

  // A non-negative integer of at most 19 digits, without a leading zero.
  bool number(uint64_t* value) {
    size_t i = pos_;
    uint64_t v = 0;
    while (i < text_.size() && text_[i] >= '0' && text_[i] <= '9' && i - pos_ < 20) {
      v = v * 10 + static_cast<uint64_t>(text_[i] - '0');
      ++i;
    }
    const size_t digits = i - pos_;
    if (digits == 0 || digits > 19 || (digits > 1 && text_[pos_] == '0')) return false;
    pos_ = i;
    *value = v;
    return true;
  }

  size_t pos() const { return pos_; }
  bool done() const { return pos_ == text_.size(); }

private:
  std::string_view text_;
  size_t pos_ = 0;
};

} // namespace

bool scan_source_record(std::string_view text, SourceRecordView* record) {
  Cursor cursor(text);
  SourceRecordView r;
  if (!(cursor.literal("{\"bucket\":") && cursor.string(&r.bucket) && cursor.literal(",\"key\":") &&
        cursor.string(&r.key) && cursor.literal(",\"event_time\":") &&
        cursor.string(&r.event_time) && cursor.literal(",\"etag\":") && cursor.string(&r.etag) &&
        cursor.literal(",\"index\":")))
    return false;
  r.prefix = text.substr(0, cursor.pos());
  if (!(cursor.number(&r.index) && cursor.literal(",\"line\":") && cursor.string(&r.line) &&
        cursor.literal("}") && cursor.done()))
    return false;
  *record = r;
  return true;
}

bool scan_row(std::string_view text) {
  Cursor cursor(text);
  std::string_view s;
  uint64_t n = 0;
  if (!(cursor.literal("{\"Bucket_Name\":") && cursor.string(&s) && cursor.literal(",\"Key\":") &&
        cursor.string(&s) && cursor.literal(",\"Actual_Time\":") && cursor.string(&s)))
    return false;
  if (cursor.literal(",\"Event_Time\":") && !cursor.string(&s)) return false;
  if (cursor.literal(",\"Record_Id\":")) {
    if (!cursor.string(&s)) return false;
    if (cursor.literal(",\"Part_Number\":") &&
        !(cursor.number(&n) && cursor.literal(",\"Part_Count\":") && cursor.number(&n)))
      return false;
  }
  if (!(cursor.literal(",\"Raw_Data\":") && cursor.string(&s))) return false;
  if (cursor.literal(",\"Raw_Data_Base64\":") && !cursor.string(&s)) return false;
  return cursor.literal("}") && cursor.done();
}

void append_unescaped(std::string& out, std::string_view escaped) {
  size_t run = 0;
  for (size_t i = 0; i < escaped.size();) {
    if (escaped[i] != '\\') {
      ++i;
      continue;
    }
    out.append(escaped.data() + run, i - run);
    const char kind = escaped[i + 1];
    switch (kind) {
    case 'n':
      out.push_back('\n');
      break;
    case 'r':
      out.push_back('\r');
      break;
    case 't':
      out.push_back('\t');
      break;
    case 'b':
      out.push_back('\b');
      break;
    case 'f':
      out.push_back('\f');
      break;
    case 'u':
      if (escaped[i + 2] == '2') {
        out += escaped[i + 5] == '8' ? "\xE2\x80\xA8" : "\xE2\x80\xA9";
      } else {
        out.push_back(
            static_cast<char>(hex_value(escaped[i + 4]) * 16 + hex_value(escaped[i + 5])));
      }
      i += 4;
      break;
    default: // '"' and '\\' stand for themselves
      out.push_back(kind);
    }
    i += 2;
    run = i;
  }
  out.append(escaped.data() + run, escaped.size() - run);
}

} // namespace c42
