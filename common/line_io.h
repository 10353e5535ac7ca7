// Line-oriented standard input and output for the NDJSON stream.
#pragma once

#include "common/result.h"

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace c42 {

// What LineReader::read found.
enum class LineRead {
  kLine,     // *line holds the next line
  kEnd,      // end of input
  kOverlong, // a line longer than the limit was skipped (its bytes dropped)
};

// Pull-style reader of '\n'-terminated lines from a file descriptor. Blank
// lines are skipped; a final line without '\n' is still returned. A line
// longer than max_line_bytes is never held whole, so memory stays bounded
// whatever the input: read() drops it and goes on with the next line,
// next() calls it an error.
class LineReader {
public:
  explicit LineReader(int fd, size_t max_line_bytes = 64u << 20);
  // Sets *line for kLine; the view is valid until the next call. For
  // kOverlong, line_number() names the skipped line. Errors are read errors.
  Result<LineRead> read(std::string_view* line);
  // read(), with an overlong line as an error: sets *line and returns true;
  // false at end of input.
  Result<bool> next(std::string_view* line);
  uint64_t line_number() const { return line_number_; }
  int fd() const { return fd_; }
  // True when next() can return a line without reading: callers that batch
  // (sqs-ack) flush when no further line is at hand.
  bool has_buffered_line() const;

  size_t max_line_bytes() const { return max_line_bytes_; }
  // Checked when a signal interrupts a blocking read: true makes read()
  // fail with "interrupted" instead of waiting on.
  void set_interrupted(std::function<bool()> interrupted) { interrupted_ = std::move(interrupted); }

private:
  Status fill(); // reads more input; sets eof_

  int fd_;
  size_t max_line_bytes_;
  bool discarding_ = false; // dropping the rest of an overlong line
  std::function<bool()> interrupted_;
  std::string_view buffered() const { return std::string_view(data_.get(), size_); }
  size_t find_newline(size_t from) const;

  // Bytes read and not yet consumed sit in data_[start_, size_); a plain
  // array, since growing a std::string would zero-fill every read's space.
  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
  size_t size_ = 0;
  size_t start_ = 0; // first unconsumed byte
  size_t scanned_ = 0;
  bool eof_ = false;
  uint64_t line_number_ = 0;
};

// Buffered, thread-safe writer of whole lines to a file descriptor. Each
// write_line is atomic with respect to other threads; a failed write
// (EPIPE, ENOSPC) makes every later call fail, and the tool exits with
// Outcome::kOutputFailed.
class LineWriter {
public:
  explicit LineWriter(int fd, size_t buffer_bytes = 256u << 10);
  ~LineWriter();
  LineWriter(const LineWriter&) = delete;
  LineWriter& operator=(const LineWriter&) = delete;

  // Appends line + '\n'. With flush_now, writes through (control lines that
  // a downstream tool may be waiting for).
  Status write_line(std::string_view line, bool flush_now = false);
  // Appends text that already holds whole '\n'-terminated lines.
  Status write_lines(std::string_view text, bool flush_now = false);
  Status flush();
  // True once a write failed; every later call fails too.
  bool failed();

private:
  Status flush_locked();
  Status write_all(const char* data, size_t size);

  int fd_;
  size_t buffer_bytes_;
  std::string buffer_;
  std::mutex mutex_;
  std::string error_;
};

} // namespace c42
