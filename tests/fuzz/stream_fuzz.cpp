// The c42-stream(7) reader: lines of any length and content through
// LineReader, then every control-line and record parser.
#include "common/line_io.h"
#include "common/source_record.h"
#include "common/stream.h"
#include "tests/fuzz/fuzz_support.h"

#include <cstdint>
#include <cstdlib>
#include <sys/mman.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace c42;
  fuzz::Input input(data, size);
  const size_t max_line = 16 + input.byte() * 64;
  int fd = memfd_create("stream", 0);
  if (fd < 0) return 0;
  std::string_view text = input.rest();
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) std::abort();
  ::lseek(fd, 0, SEEK_SET);
  LineReader reader(fd, max_line);
  std::string_view line;
  for (;;) {
    auto got = reader.read(&line);
    if (!got.ok() || *got == LineRead::kEnd) break;
    if (*got == LineRead::kOverlong) continue;
    if (line.size() > max_line) std::abort(); // the limit holds
    auto value = parse_json_object(line);
    if (!value.ok()) continue;
    (void)control_kind(*value);
    (void)message_from_json(*value);
    (void)lease_from_json(*value);
    (void)begin_from_json(*value);
    if (auto end = end_from_json(*value); end.ok()) {
      // What is read back is written with the control key first.
      if (to_line(*end).rfind("{\"@c42\":\"end\"", 0) != 0) std::abort();
    }
    (void)result_from_json(*value);
    (void)source_record_from_json(*value);
    (void)to_control_line(*value);
  }
  ::close(fd);
  return 0;
}
