#include "bench/micro/temp_stream.h"

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace c42::bench {

TempStream::TempStream(const std::string& bytes) {
  std::FILE* f = std::tmpfile();
  if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fflush(f)) {
    std::perror("c42_micro_bench: temporary file");
    std::exit(1);
  }
  fd_ = ::dup(::fileno(f));
  std::fclose(f);
}

TempStream::~TempStream() {
  if (fd_ >= 0) ::close(fd_);
}

void TempStream::rewind() {
  ::lseek(fd_, 0, SEEK_SET);
}

} // namespace c42::bench
