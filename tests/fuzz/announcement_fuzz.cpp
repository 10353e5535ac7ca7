// SQS message bodies: Code42 objects and lists, S3 notifications,
// EventBridge events, SNS envelopes, test events, and anything else.
#include "common/stages/announcement.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto parsed = c42::parse_s3_announcement(body);
  if (parsed.ok()) {
    for (const auto& object : parsed->objects)
      if (object.bucket.empty() || object.key.empty()) std::abort(); // never announced empty
  } else if (parsed.error().message.find('\n') != std::string::npos) {
    std::abort(); // errors are one line
  }
  return 0;
}
