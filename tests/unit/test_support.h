// Scaffolding the unit tests share: a temporary file to stand in for a
// tool's standard input or output, and NDJSON line splitting.
#pragma once

#include <cstdio>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace c42::test_support {

// A temporary file holding `content`, positioned at its start.
class TempFile {
public:
  explicit TempFile(const std::string& content = "") : file_(std::tmpfile()) {
    EXPECT_NE(file_, nullptr);
    if (!content.empty()) {
      EXPECT_EQ(::write(fd(), content.data(), content.size()), ssize_t(content.size()));
    }
    ::lseek(fd(), 0, SEEK_SET);
  }
  ~TempFile() { std::fclose(file_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  int fd() const { return fileno(file_); }
  // Everything written so far, whatever the file position.
  std::string contents() const {
    std::string out;
    char buf[65536];
    ssize_t n;
    off_t pos = 0;
    while ((n = ::pread(fd(), buf, sizeof buf, pos)) > 0) {
      out.append(buf, static_cast<size_t>(n));
      pos += n;
    }
    return out;
  }

private:
  FILE* file_;
};

// Splits on '\n'; a final line without one is kept, no empty last element.
inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

} // namespace c42::test_support
