#include "common/line_splitter.h"

#include <cstring>
#include <utility>

namespace c42 {

namespace {
// After an unusually long line the gathering buffer is released rather than
// kept at its peak size for the rest of the object.
constexpr size_t kKeepCapacityBytes = 1024 * 1024;

// Length of the line's content once one trailing '\r' is dropped.
size_t content_length(size_t length, char last) {
  return length - (last == '\r' ? 1 : 0);
}
} // namespace

LineSplitter::LineSplitter(Sink sink, size_t max_line_bytes)
    : sink_(std::move(sink)), max_line_bytes_(max_line_bytes) {}

Status LineSplitter::fail(std::string message) {
  failed_ = true;
  error_ = make_error(std::move(message));
  return error_;
}

Status LineSplitter::too_long() {
  return fail("line " + std::to_string(current_line_number()) + " is longer than " +
              std::to_string(max_line_bytes_) + " bytes");
}

Status LineSplitter::emit(std::string_view line, bool ended_by_newline) {
  if (ended_by_newline && !line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) {
    ++blank_lines_;
    return Status::success();
  }
  ++lines_;
  if (sink_ && !sink_(line))
    return fail("line processing stopped by its consumer at line " +
                std::to_string(lines_ + blank_lines_));
  return Status::success();
}

Status LineSplitter::push(const char* data, size_t size) {
  if (failed_) return error_;
  if (finished_) return fail("push() called after finish()");
  const char* p = data;
  const char* end = data + size;
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    if (nl == nullptr) {
      // An incomplete line: gather it, but never beyond the limit. One extra
      // byte is allowed only if it is a '\r' that a following '\n' may strip.
      size_t piece = static_cast<size_t>(end - p);
      size_t total = partial_.size() + piece;
      if (total > max_line_bytes_ && content_length(total, end[-1]) > max_line_bytes_)
        return too_long();
      partial_.append(p, piece);
      return Status::success();
    }
    size_t piece = static_cast<size_t>(nl - p);
    Status st;
    if (partial_.empty()) {
      // Zero-copy: the whole line is inside the caller's buffer.
      if (piece > max_line_bytes_ && content_length(piece, nl[-1]) > max_line_bytes_)
        return too_long();
      st = emit(std::string_view(p, piece), true);
    } else {
      size_t total = partial_.size() + piece;
      char last = piece > 0 ? nl[-1] : partial_.back();
      if (content_length(total, last) > max_line_bytes_) return too_long();
      partial_.append(p, piece);
      st = emit(partial_, true);
      partial_.clear();
      if (partial_.capacity() > kKeepCapacityBytes) std::string().swap(partial_);
    }
    if (!st) return st;
    p = nl + 1;
  }
  return Status::success();
}

Status LineSplitter::finish() {
  if (failed_) return error_;
  if (finished_) return Status::success();
  finished_ = true;
  if (partial_.empty()) return Status::success();
  // Gathering allowed one byte over the limit for a '\r' that a '\n' might
  // have stripped; no '\n' came, so that '\r' is data and counts.
  if (partial_.size() > max_line_bytes_) return too_long();
  Status st = emit(partial_, false);
  std::string().swap(partial_);
  return st;
}

} // namespace c42
