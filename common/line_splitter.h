// Splits a byte stream into lines as the bytes arrive, for newline-delimited
// Code42 exports that are far too large to hold in memory.
#pragma once

#include "common/result.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace c42 {

// Line rules:
//   - lines end at '\n' only; a lone '\r' is ordinary data and stays in the
//     line (JSON may legitimately carry one inside a string's raw bytes);
//   - exactly one '\r' directly before the '\n' is removed, so CRLF files give
//     the same lines as LF files; a '\r' with no '\n' after it is data, even
//     when it is the very last byte of the input ("abc\r" gives "abc\r", and
//     a last line of just "\r" is a line);
//   - the last line need not end with '\n'; finish() emits it;
//   - lines that are empty after that '\r' removal are not emitted, only
//     counted in blank_lines() (they still take a line number);
//   - every other byte (NUL, invalid UTF-8, U+2028, ...) passes untouched,
//     because validating the content is the consumer's job.
//
// Memory: a line that lies wholly inside one push() is emitted as a view into
// the caller's buffer without copying. Only a line that spans pushes is
// gathered in an internal buffer, which never holds more than max_line_bytes
// (+1 for a trailing '\r' that a following '\n' would strip; if the input
// ends there instead, the line is too long). A longer line is an error
// "line N is longer than M bytes" (N is 1-based, counting blank lines), raised
// as soon as the limit is passed rather than when the line ends.
//
// A view handed to the sink is valid only during that call. The sink returns
// false to stop; push() then fails. Errors are sticky.
class LineSplitter {
public:
  using Sink = std::function<bool(std::string_view line)>;

  static constexpr size_t kDefaultMaxLineBytes = 16 * 1024 * 1024;

  explicit LineSplitter(Sink sink, size_t max_line_bytes = kDefaultMaxLineBytes);

  Status push(const char* data, size_t size);
  Status push(std::string_view data) { return push(data.data(), data.size()); }
  Status finish();

  // Lines handed to the sink.
  uint64_t lines() const { return lines_; }
  // Empty lines skipped.
  uint64_t blank_lines() const { return blank_lines_; }
  size_t max_line_bytes() const { return max_line_bytes_; }

private:
  uint64_t current_line_number() const { return lines_ + blank_lines_ + 1; }
  Status emit(std::string_view line, bool ended_by_newline);
  Status too_long();
  Status fail(std::string message);

  Sink sink_;
  size_t max_line_bytes_;
  std::string partial_; // start of a line that spans pushes
  uint64_t lines_ = 0;
  uint64_t blank_lines_ = 0;
  bool finished_ = false;
  bool failed_ = false;
  Error error_;
};

} // namespace c42
