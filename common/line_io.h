// Line-oriented standard input and output for the NDJSON stream.
#pragma once

#include "common/result.h"

#include <mutex>
#include <string>
#include <string_view>

namespace c42 {

// Pull-style reader of '\n'-terminated lines from a file descriptor. Blank
// lines are skipped; a final line without '\n' is still returned. A line
// longer than max_line_bytes is an error, so memory stays bounded whatever
// the input.
class LineReader {
public:
  explicit LineReader(int fd, size_t max_line_bytes = 64u << 20);
  // Sets *line and returns true; false at end of input. The view is valid
  // until the next call.
  Result<bool> next(std::string_view* line);
  uint64_t line_number() const { return line_number_; }
  int fd() const { return fd_; }
  // True when next() can return a line without reading: callers that batch
  // (sqs-ack) flush when no further line is at hand.
  bool has_buffered_line() const;

private:
  int fd_;
  size_t max_line_bytes_;
  std::string buffer_;
  size_t start_ = 0; // first unconsumed byte in buffer_
  size_t scanned_ = 0;
  bool eof_ = false;
  uint64_t line_number_ = 0;
};

// Buffered, thread-safe writer of whole lines to a file descriptor. Each
// write_line is atomic with respect to other threads; a failed write
// (EPIPE, ENOSPC) makes every later call fail, and the tool exits with
// kExitOutput.
class LineWriter {
public:
  explicit LineWriter(int fd, size_t buffer_bytes = 64u << 10);
  ~LineWriter();
  LineWriter(const LineWriter&) = delete;
  LineWriter& operator=(const LineWriter&) = delete;

  // Appends line + '\n'. With flush_now, writes through (control lines that
  // a downstream tool may be waiting for).
  Status write_line(std::string_view line, bool flush_now = false);
  // Appends text that already holds whole '\n'-terminated lines.
  Status write_lines(std::string_view text, bool flush_now = false);
  Status flush();

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
