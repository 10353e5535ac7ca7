// sqs-ack: delete the SQS messages whose end lines say they were delivered;
// write one result line per message (c42-stream(7)).
#include "common/stages/acker.h"
#include "common/aws/session.h"
#include "common/curl_http.h"
#include "common/stream.h"
#include "tools/tool_support.h"

using namespace c42;

namespace {

int run(int argc, char** argv) {
  AckConfig config;
  tool::NetworkOptions network;
  bool check_config = false;
  CLI::App app{"Read c42-stream(7) lines and delete from SQS each message whose 'end' line is "
               "ok and confirmed delivered; keep every other message on its queue. Writes one "
               "'result' line per message."};
  app.add_flag("--release", config.release,
               "Make messages that are not deleted visible again at once (visibility timeout "
               "0), so they are retried sooner.");
  tool::add_network_options(app, network);
  tool::add_check_config(app, check_config);
  app.footer("Credentials and region come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
             "AWS_SESSION_TOKEN and AWS_REGION; AWS_ENDPOINT_URL_SQS or AWS_ENDPOINT_URL "
             "override the endpoint. See sqs-ack(1).");
  if (int status = tool::parse(app, argc, argv); status >= 0) return status;
  auto deadline = tool::deadline_of(network);
  if (!deadline.ok()) return tool::usage_error(deadline.error().message);
  auto timeouts = tool::timeouts_of(network);
  if (!timeouts.ok()) return tool::usage_error(timeouts.error().message);

  SystemClock clock;
  ProcessEnvironment env;
  auto session = aws::Session::open(env, clock, CurlHttpClient::factory(),
                                    env.get("SQS_QUEUE_URL").value_or(""));
  if (!session.ok()) {
    tool::error(session.error().message);
    return kExitConfig;
  }
  CurlHttpClient http;
  auto sqs = aws::open_sqs_client(*session, env, &http, *timeouts, *deadline);
  if (!sqs.ok()) {
    tool::error(sqs.error().message);
    return kExitConfig;
  }
  if (check_config) return kExitOk;
  SqsMessageDeleter deleter(**sqs);

  LineWriter out(STDOUT_FILENO);
  LineReader in(STDIN_FILENO, kMaxStreamLineBytes);
  AckStats stats;
  AckOutcome outcome = run_ack(config, deleter, in, out, tool::stderr_report(), &stats);
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

} // namespace

int main(int argc, char** argv) {
  c42::tool::init("sqs-ack");
  return c42::tool::guarded([&] { return run(argc, argv); });
}
