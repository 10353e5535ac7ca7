// sqs-ack: delete the SQS messages whose end lines say they were delivered;
// write one result line per message (c42-stream(7)).
#include "common/aws/session.h"
#include "common/curl_http.h"
#include "common/stream.h"
#include "tools/sqs-ack/options.h"
#include "tools/tool_support.h"

namespace c42::sqs_ack {

Outcome run(const Config& config) {
  SystemClock clock;
  ProcessEnvironment env;
  auto session = aws::Session::open(env, clock, CurlHttpClient::factory(),
                                    env.get("SQS_QUEUE_URL").value_or(""),
                                    aws::credential_check(config.check_only));
  if (!session.ok()) {
    tool::error(session.error().message);
    return Outcome::kConfig;
  }
  CurlHttpClient http;
  auto sqs =
      aws::open_sqs_client(*session, env, &http, config.network.timeouts, config.network.retry);
  if (!sqs.ok()) {
    tool::error(sqs.error().message);
    return Outcome::kConfig;
  }
  if (config.check_only) return Outcome::kOk;
  SqsMessageDeleter deleter(**sqs);
  LineWriter out(STDOUT_FILENO);
  LineReader in(STDIN_FILENO, kMaxStreamLineBytes);
  AckStats stats;
  return run_ack(config.ack, deleter, in, out, tool::stderr_report(), &stats);
}

} // namespace c42::sqs_ack

int main(int argc, char** argv) {
  return c42::tool::main("sqs-ack", argc, argv, c42::sqs_ack::parse_options, c42::sqs_ack::run);
}
