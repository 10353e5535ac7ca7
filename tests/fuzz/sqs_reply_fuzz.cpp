// SQS replies of any shape: ReceiveMessage, DeleteMessageBatch,
// ChangeMessageVisibilityBatch (the heartbeat) and GetQueueAttributes
// (--check-queue) never throw, and what they return is well formed.
#include "common/aws/sqs_client.h"
#include "common/aws/static_credentials_provider.h"
#include "tests/fuzz/fuzz_support.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace c42;
  fuzz::Input input(data, size);
  const int action = input.byte() % 4;
  fuzz::ReplyHttp http(200, std::string(input.rest()));
  aws::StaticCredentialsProvider credentials(
      aws::Credentials{"AKIDEXAMPLE", "secret", "", std::nullopt});
  FixedClock clock(TimePoint(std::chrono::seconds(1714564800)));
  aws::ServiceContext ctx;
  ctx.http = &http;
  ctx.credentials = &credentials;
  ctx.clock = &clock;
  ctx.region = "us-east-1";
  ctx.service = "sqs";
  ctx.retry.max_attempts = 1;
  ctx.sleeper = [](Millis) {};
  aws::SqsClient sqs(ctx, parse_url("https://sqs.us-east-1.amazonaws.com").value());
  switch (action) {
  case 0: {
    auto messages = sqs.receive("q", 10, 0, std::nullopt);
    if (messages.ok())
      for (const auto& m : *messages)
        if (m.message_id.empty() || m.receipt_handle.empty()) std::abort();
    break;
  }
  case 1:
    (void)sqs.delete_batch("q", {{"0", "rh-0", 0}, {"1", "rh-1", 0}});
    break;
  case 2:
    (void)sqs.change_visibility_batch("q", {{"0", "rh-0", 30}, {"1", "rh-1", 30}});
    break;
  default:
    (void)sqs.get_queue_attributes("q", {"VisibilityTimeout", "RedrivePolicy"});
    break;
  }
  return 0;
}
