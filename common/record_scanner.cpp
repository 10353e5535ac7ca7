#include "common/record_scanner.h"

#include "common/json_text.h"

#include <algorithm>
#include <cstring>

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

// One bit per byte of 64: quotes, backslashes, and bytes that are control
// characters or part of a multi-byte UTF-8 sequence.
struct BlockMasks {
  uint64_t quote = 0;
  uint64_t backslash = 0;
  uint64_t special = 0;
};

BlockMasks block_masks(const char* p) {
  BlockMasks m;
#ifdef __SSE2__
  for (unsigned k = 0; k < 4; ++k) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    auto bits = [&](__m128i matches) {
      return static_cast<uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(matches))) << (16 * k);
    };
    m.quote |= bits(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')));
    m.backslash |= bits(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
    // As signed bytes, control characters and bytes >= 0x80 are all < 0x20.
    m.special |= bits(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
  }
#else
  for (unsigned k = 0; k < 64; ++k) {
    const unsigned char c = static_cast<unsigned char>(p[k]);
    const uint64_t bit = uint64_t{1} << k;
    if (c == '"') m.quote |= bit;
    if (c == '\\') m.backslash |= bit;
    if (c < 0x20 || c >= 0x80) m.special |= bit;
  }
#endif
  return m;
}

// The bytes that follow a run of backslashes of odd length: each is the
// second byte of an escape (in an even run the backslashes pair up). No run
// may reach the top bit. Adding a run's lowest bit to the mask carries
// through the run to the byte after it; the run's length is odd when that
// byte's position and the run's start differ in parity.
uint64_t escaped_bytes(uint64_t backslash) {
  constexpr uint64_t kEven = 0x5555555555555555ull;
  const uint64_t starts = backslash & ~(backslash << 1);
  const uint64_t after_even_starts = (backslash + (starts & kEven)) & ~backslash;
  const uint64_t after_odd_starts = (backslash + (starts & ~kEven)) & ~backslash;
  return (after_even_starts & ~kEven) | (after_odd_starts & kEven);
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
    const size_t begin = pos_ + 1;
    // `next` is where the next unit starts: a byte, an escape or a UTF-8
    // sequence. A line of JSON holds an escaped quote every few bytes, so 64
    // bytes at a time are checked with bit masks, and only the other escapes
    // and the bytes that are not ASCII text are looked at one by one.
    size_t next = begin;
    size_t quote = 0;
    while (next + 64 <= text_.size()) {
      const BlockMasks m = block_masks(text_.data() + next);
      // A run of backslashes at the end of the block may go on after it, so
      // the block stops before such a run; a unit starts where a run does.
      const unsigned width = m.backslash >> 63 == 0 ? 64
                             : ~m.backslash == 0    ? 0
                                                    : 64 - __builtin_clzll(~m.backslash);
      if (width == 0) {
        const Step step = check_units(next + 64, &next, &quote);
        if (step == Step::kInvalid) return false;
        if (step == Step::kClosingQuote) return close(begin, quote, contents);
        continue;
      }
      const uint64_t in_block = width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
      const uint64_t escaped = escaped_bytes(m.backslash & in_block);
      const uint64_t closing = m.quote & ~escaped & in_block;
      const uint64_t before_closing = closing != 0 ? (closing & (0 - closing)) - 1 : in_block;
      // Where the units end that go on past the block: a UTF-8 sequence or
      // a \u escape may.
      size_t units_end = width;
      for (uint64_t look = (m.special | (escaped & ~m.quote)) & before_closing; look != 0;) {
        const unsigned at = static_cast<unsigned>(__builtin_ctzll(look));
        // An escaped byte's unit starts at its backslash; any other is a
        // control character (refused) or starts a UTF-8 sequence.
        const bool is_escaped = (escaped >> at & 1) != 0;
        const size_t start = next + at - (is_escaped ? 1 : 0);
        size_t next_unit = 0;
        if (check_special(start, &next_unit) != Step::kChecked) return false;
        const size_t stop = next_unit - next;
        look &= stop >= 64 ? 0 : ~uint64_t{0} << stop;
        units_end = std::max(units_end, stop);
      }
      if (closing != 0) return close(begin, next + __builtin_ctzll(closing), contents);
      next += units_end;
    }
    return check_units(text_.size(), &next, &quote) == Step::kClosingQuote &&
           close(begin, quote, contents);
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
  enum class Step { kChecked, kClosingQuote, kInvalid };

  // Checks the special byte at `at` (is_special_json_byte) and what belongs
  // to it; *next becomes the first byte after those.
  Step check_special(size_t at, size_t* next) const {
    const unsigned char c = static_cast<unsigned char>(text_[at]);
    size_t n = 0;
    if (c == '"') return Step::kClosingQuote;
    if (c == '\\') {
      n = canonical_escape_length(text_, at);
    } else if (c >= 0x80) {
      n = utf8_sequence_length(text_, at);
      // U+2028 and U+2029 are always written escaped.
      if (n == 3 && c == 0xE2 && static_cast<unsigned char>(text_[at + 1]) == 0x80 &&
          (static_cast<unsigned char>(text_[at + 2]) & 0xFE) == 0xA8)
        n = 0;
    }
    if (n == 0) return Step::kInvalid; // also every control character
    *next = at + n;
    return Step::kChecked;
  }

  // Checks the units from *next until one reaches `end` (or the text's);
  // *next is then where the following unit starts.
  Step check_units(size_t end, size_t* next, size_t* quote) const {
    end = std::min(end, text_.size());
    while (*next < end) {
      const size_t at = skip_plain_json_bytes(text_.substr(0, end), *next);
      if (at == end) {
        *next = end;
        break;
      }
      const Step step = check_special(at, next);
      if (step == Step::kClosingQuote) *quote = at;
      if (step != Step::kChecked) return step;
    }
    return Step::kChecked;
  }

  bool close(size_t begin, size_t quote, std::string_view* contents) {
    *contents = text_.substr(begin, quote - begin);
    pos_ = quote + 1;
    return true;
  }

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
  // Decoded text is never longer: written through a pointer into room made
  // once, then cut to size (a std::string call per escape cost more).
  const size_t start = out.size();
  out.resize(start + escaped.size());
  char* o = &out[start];
  size_t run = 0;
  auto copy_run = [&](size_t end) {
    std::memcpy(o, escaped.data() + run, end - run);
    o += end - run;
  };
  for (size_t i = 0; i < escaped.size();) {
    if (escaped[i] != '\\') {
      ++i;
      continue;
    }
    copy_run(i);
    const char kind = escaped[i + 1];
    switch (kind) {
    case 'n':
      *o++ = '\n';
      break;
    case 'r':
      *o++ = '\r';
      break;
    case 't':
      *o++ = '\t';
      break;
    case 'b':
      *o++ = '\b';
      break;
    case 'f':
      *o++ = '\f';
      break;
    case 'u':
      if (escaped[i + 2] == '2') {
        std::memcpy(o, escaped[i + 5] == '8' ? "\xE2\x80\xA8" : "\xE2\x80\xA9", 3);
        o += 3;
      } else {
        *o++ = static_cast<char>(hex_value(escaped[i + 4]) * 16 + hex_value(escaped[i + 5]));
      }
      i += 4;
      break;
    default: // '"' and '\\' stand for themselves
      *o++ = kind;
    }
    i += 2;
    run = i;
  }
  copy_run(escaped.size());
  out.resize(static_cast<size_t>(o - out.data()));
}

SourceRecord decode_source_record(const SourceRecordView& record) {
  SourceRecord decoded;
  append_unescaped(decoded.bucket, record.bucket);
  append_unescaped(decoded.key, record.key);
  append_unescaped(decoded.event_time, record.event_time);
  append_unescaped(decoded.etag, record.etag);
  decoded.index = record.index;
  append_unescaped(decoded.line, record.line);
  return decoded;
}

} // namespace c42
