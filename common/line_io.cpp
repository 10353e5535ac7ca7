#include "common/line_io.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace c42 {

namespace {
// Reads of at least this much: a pipe widened by the writer (F_SETPIPE_SZ)
// hands over up to its whole content at once.
constexpr size_t kReadBytes = 256u << 10;
} // namespace

LineReader::LineReader(int fd, size_t max_line_bytes) : fd_(fd), max_line_bytes_(max_line_bytes) {}

Result<bool> LineReader::next(std::string_view* line) {
  auto got = read(line);
  if (!got.ok()) return got.error();
  if (*got == LineRead::kOverlong)
    return make_error("input line " + std::to_string(line_number_) + " is longer than " +
                      std::to_string(max_line_bytes_) + " bytes");
  return *got == LineRead::kLine;
}

size_t LineReader::find_newline(size_t from) const {
  if (from >= size_) return std::string::npos;
  const void* found = std::memchr(data_.get() + from, '\n', size_ - from);
  return found == nullptr ? std::string::npos
                          : static_cast<size_t>(static_cast<const char*>(found) - data_.get());
}

Result<LineRead> LineReader::read(std::string_view* line) {
  for (;;) {
    size_t newline = find_newline(scanned_);
    if (newline != std::string::npos) {
      std::string_view view(data_.get() + start_, newline - start_);
      start_ = scanned_ = newline + 1;
      if (discarding_) {
        // The rest of a line already reported as overlong.
        discarding_ = false;
        continue;
      }
      ++line_number_;
      if (view.empty()) continue;
      if (view.size() > max_line_bytes_) return LineRead::kOverlong;
      *line = view;
      return LineRead::kLine;
    }
    scanned_ = size_;
    if (discarding_) {
      size_ = start_ = scanned_ = 0;
    } else if (size_ - start_ > max_line_bytes_) {
      // Past the limit without a line end: report it now, without waiting
      // for the rest, and drop the rest as it comes instead of holding it.
      discarding_ = true;
      size_ = start_ = scanned_ = 0;
      ++line_number_;
      return LineRead::kOverlong;
    }
    if (eof_) {
      if (start_ == size_) return LineRead::kEnd;
      std::string_view view(data_.get() + start_, size_ - start_);
      start_ = scanned_ = size_;
      ++line_number_;
      *line = view;
      return LineRead::kLine;
    }
    Status filled = fill();
    if (!filled.ok()) return filled.error();
  }
}

Status LineReader::fill() {
  // Compact before reading so the buffer holds at most one partial line.
  if (start_ > 0) {
    std::memmove(data_.get(), data_.get() + start_, size_ - start_);
    size_ -= start_;
    scanned_ -= start_;
    start_ = 0;
  }
  if (capacity_ - size_ < kReadBytes) {
    // Grows only while a line is longer than any before; at most the line
    // limit plus one read.
    size_t capacity = std::max(capacity_ * 2, size_ + kReadBytes);
    std::unique_ptr<char[]> grown(new char[capacity]);
    if (size_ > 0) std::memcpy(grown.get(), data_.get(), size_);
    data_ = std::move(grown);
    capacity_ = capacity;
  }
  ssize_t n;
  for (;;) {
    n = ::read(fd_, data_.get() + size_, capacity_ - size_);
    if (n >= 0 || errno != EINTR) break;
    if (interrupted_ && interrupted_()) return make_error("interrupted");
  }
  if (n < 0) return make_error(std::string("read error: ") + std::strerror(errno));
  size_ += static_cast<size_t>(n);
  if (n == 0) eof_ = true;
  return Status::success();
}

bool LineReader::has_buffered_line() const {
  // A blank line is skipped by next(), so it does not count as a line.
  for (size_t pos = start_; pos < size_;) {
    size_t newline = find_newline(pos);
    if (newline == std::string::npos) return eof_;
    if (newline > pos) return true;
    pos = newline + 1;
  }
  return false;
}

LineWriter::LineWriter(int fd, size_t buffer_bytes) : fd_(fd), buffer_bytes_(buffer_bytes) {
  buffer_.reserve(buffer_bytes_);
}

LineWriter::~LineWriter() {
  (void)flush();
}

Status LineWriter::write_all(const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd_, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = std::string("cannot write output: ") + std::strerror(errno);
      return make_error(error_);
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::success();
}

Status LineWriter::flush_locked() {
  if (!error_.empty()) return make_error(error_);
  Status s = write_all(buffer_.data(), buffer_.size());
  buffer_.clear();
  return s;
}

Status LineWriter::write_line(std::string_view line, bool flush_now) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!error_.empty()) return make_error(error_);
  buffer_.append(line);
  buffer_.push_back('\n');
  if (flush_now || buffer_.size() >= buffer_bytes_) return flush_locked();
  return Status::success();
}

Status LineWriter::write_lines(std::string_view text, bool flush_now) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!error_.empty()) return make_error(error_);
  if (buffer_.size() + text.size() > buffer_bytes_) {
    Status s = flush_locked();
    if (!s.ok()) return s;
    if (text.size() >= buffer_bytes_) return write_all(text.data(), text.size());
  }
  buffer_.append(text);
  if (flush_now) return flush_locked();
  return Status::success();
}

bool LineWriter::failed() {
  std::lock_guard<std::mutex> lock(mutex_);
  return !error_.empty();
}

Status LineWriter::flush() {
  std::lock_guard<std::mutex> lock(mutex_);
  return flush_locked();
}

} // namespace c42
