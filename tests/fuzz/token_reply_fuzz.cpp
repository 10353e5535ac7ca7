// Replies of Entra's token endpoints and managed identity endpoints: any
// status and body gives a token or one line naming the source, never a
// crash or a secret.
#include "common/azure/token_request.h"
#include "tests/fuzz/fuzz_support.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace c42;
  fuzz::Input input(data, size);
  const long status = input.byte() < 200 ? 200 : 400 + input.byte() % 200;
  fuzz::ReplyHttp http(status, std::string(input.rest()));
  FixedClock clock(TimePoint(std::chrono::seconds(1714564800)));
  azure::TokenCall call;
  call.source = "fuzz";
  call.fix = "nothing";
  call.request.url = "http://127.0.0.1/token";
  call.retry.max_attempts = 1;
  auto token = azure::request_token(http, call, clock, [](Millis) {});
  if (token.ok() && token->token.empty()) std::abort();
  if (!token.ok() && token.error().message.find('\n') != std::string::npos) std::abort();
  return 0;
}
