// ListObjectsV2 replies of any shape: the parser never throws, a page it
// accepts has no empty key, and a truncated page always says how to go on.
#include "common/aws/s3_client.h"
#include "tests/fuzz/fuzz_support.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace c42;
  fuzz::Input input(data, size);
  auto page = aws::parse_list_objects_v2(input.rest());
  if (page.ok()) {
    for (const auto& object : page->objects)
      if (object.key.empty()) std::abort();
    if (page->truncated && page->next_continuation_token.empty()) std::abort();
  } else if (page.error().message.empty()) {
    std::abort();
  }
  return 0;
}
