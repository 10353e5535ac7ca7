// Error bodies from AWS (JSON or XML) and Log Analytics (either API's JSON,
// or anything a proxy answers with), and the one-line descriptions made of
// them.
#include "common/aws/aws_call.h"
#include "common/la/service_error.h"
#include "tests/fuzz/fuzz_support.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace c42;
  fuzz::Input input(data, size);
  const long status = 400 + input.byte();
  const bool with_code_header = input.byte() & 1;
  HttpResponse response;
  response.status = status;
  if (with_code_header)
    response.headers.push_back({"x-ms-error-code", std::string(input.take(40))});
  response.body = std::string(input.rest());

  auto error = aws::parse_service_error(status, response.body);
  std::string line = aws::describe_service_error(status, response.body);
  if (line.find('\n') != std::string::npos || error.code.find('\n') != std::string::npos)
    std::abort();
  (void)aws::has_retryable_code(response);

  std::string text = la::http_error_text(response);
  if (text.find('\n') != std::string::npos || text.find('\r') != std::string::npos) std::abort();
  (void)la::service_error_code(response);
  return 0;
}
