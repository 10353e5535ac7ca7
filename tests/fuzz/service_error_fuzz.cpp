// Error bodies from AWS (JSON or XML) and the one-line descriptions made
// of them.
#include "common/aws/aws_call.h"
#include "tests/fuzz/fuzz_support.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace c42;
  fuzz::Input input(data, size);
  const long status = 400 + input.byte();
  std::string body(input.rest());
  auto error = aws::parse_service_error(status, body);
  std::string line = aws::describe_service_error(status, body);
  if (line.find('\n') != std::string::npos || error.code.find('\n') != std::string::npos)
    std::abort();
  HttpResponse response;
  response.status = status;
  response.body = body;
  (void)aws::has_retryable_code(response);
  return 0;
}
