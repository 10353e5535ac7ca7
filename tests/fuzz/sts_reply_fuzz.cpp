// STS replies: AssumeRoleWithWebIdentity and GetCallerIdentity XML of any
// shape and status give credentials or one line, never a crash, and never
// the web identity token.
#include "common/aws/sts_client.h"
#include "tests/fuzz/fuzz_support.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace c42;
  fuzz::Input input(data, size);
  const uint8_t choice = input.byte();
  const long status = (choice & 1) ? 200 : 400 + (choice >> 1) % 200;
  fuzz::ReplyHttp http(status, std::string(input.rest()));
  FixedClock clock(TimePoint(std::chrono::seconds(1714564800)));
  aws::ServiceContext ctx;
  ctx.http = &http;
  ctx.clock = &clock;
  ctx.region = "us-east-1";
  ctx.service = "sts";
  ctx.retry.max_attempts = 1;
  ctx.sleeper = [](Millis) {};
  aws::StsClient sts(ctx, parse_url("https://sts.us-east-1.amazonaws.com").value());
  const std::string token = "eyJ.the-web-identity-token.sig";
  auto role = sts.assume_role_with_web_identity({"arn:aws:iam::1:role/r", "s", token, "a file"});
  if (role.ok()) {
    if (role->credentials.access_key_id.empty() || role->credentials.secret_access_key.empty())
      std::abort();
  } else if (role.error().message.find(token) != std::string::npos ||
             role.error().message.find('\n') != std::string::npos) {
    std::abort();
  }
  return 0;
}
