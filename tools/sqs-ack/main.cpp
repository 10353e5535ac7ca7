// sqs-ack: delete the SQS messages whose end lines say they were delivered;
// write one result line per message (c42-stream(7)).
#include "common/acker.h"
#include "common/aws/session.h"
#include "common/curl_http.h"
#include "tools/tool_support.h"

using namespace c42;

int main(int argc, char** argv) {
  tool::init("sqs-ack");
  AckConfig config;
  CLI::App app{"Read c42-stream(7) lines and delete from SQS each message whose 'end' line is "
               "ok and confirmed delivered; keep every other message on its queue. Writes one "
               "'result' line per message."};
  app.add_flag("--release", config.release,
               "Make messages that are not deleted visible again at once (visibility timeout "
               "0), so they are retried sooner.");
  app.footer("Credentials and region come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
             "AWS_SESSION_TOKEN and AWS_REGION; AWS_ENDPOINT_URL_SQS or AWS_ENDPOINT_URL "
             "override the endpoint. See sqs-ack(1).");
  if (int status = tool::parse(app, argc, argv); status >= 0) return status;

  SystemClock clock;
  ProcessEnvironment env;
  auto session = aws::Session::open(env, clock, env.get("SQS_QUEUE_URL").value_or(""));
  if (!session.ok()) {
    tool::error(session.error().message);
    return kExitConfig;
  }
  CurlHttpClient http;
  auto sqs = aws::open_sqs_client(*session, env, &http);
  if (!sqs.ok()) {
    tool::error(sqs.error().message);
    return kExitConfig;
  }
  SqsMessageDeleter deleter(**sqs);

  LineWriter out(STDOUT_FILENO);
  LineReader in(STDIN_FILENO);
  AckStats stats;
  AckOutcome outcome = run_ack(
      config, deleter, in, out, [](const std::string& message) { tool::error(message); }, &stats);
  switch (outcome) {
  case AckOutcome::kOk:
    return kExitOk;
  case AckOutcome::kPartial:
    return kExitPartial;
  case AckOutcome::kBadInput:
    return kExitBadInput;
  case AckOutcome::kServiceError:
    return kExitService;
  case AckOutcome::kOutputFailed:
    tool::error("cannot write output");
    return kExitOutput;
  }
  return kExitOk;
}
