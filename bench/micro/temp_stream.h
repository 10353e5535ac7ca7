// An unlinked temporary file holding a stream, for benchmarks of code that
// reads a file descriptor (LineReader): rewound before each pass, so every
// pass reads the same bytes from the page cache.
#pragma once
#include <string>

namespace c42::bench {

class TempStream {
public:
  explicit TempStream(const std::string& bytes);
  ~TempStream();
  TempStream(const TempStream&) = delete;
  TempStream& operator=(const TempStream&) = delete;
  int fd() const { return fd_; }
  void rewind();

private:
  int fd_ = -1;
};

} // namespace c42::bench
