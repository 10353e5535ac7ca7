#include "tools/sqs-ack/options.h"

#include "tools/tool_support.h"

namespace c42::sqs_ack {

Result<Config> parse_options(int argc, char** argv, const Environment&) {
  Config config;
  tool::NetworkOptions network;
  CLI::App app{"Read c42-stream(7) lines and delete from SQS each message whose 'end' line is "
               "ok and confirmed delivered; keep every other message on its queue. Writes one "
               "'result' line per message."};
  app.add_flag("--release", config.ack.release,
               "Make messages that are not deleted visible again at once (visibility timeout "
               "0), so they are retried sooner.");
  tool::add_network_options(app, network);
  tool::add_check_config(app, config.check_only);
  app.footer("Credentials and region come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
             "AWS_SESSION_TOKEN and AWS_REGION; AWS_ENDPOINT_URL_SQS or AWS_ENDPOINT_URL "
             "override the endpoint. See sqs-ack(1).");
  Status parsed = tool::parse(app, argc, argv);
  if (!parsed.ok()) return parsed.error();
  auto deadline = tool::deadline_of(network);
  if (!deadline.ok()) return deadline.error();
  config.deadline = *deadline;
  config.timeouts = tool::timeouts_of(network);
  return config;
}

} // namespace c42::sqs_ack
