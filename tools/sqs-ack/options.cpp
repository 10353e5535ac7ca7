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
  app.add_option("--leases", config.leases,
                 "Read sqs-poll's lease lines from this file (a pipe, such as /dev/fd/3, or a "
                 "FIFO) and keep each message hidden on its queue, extending its visibility "
                 "before it runs out, until its end line comes (a heartbeat).")
      ->type_name("FILE");
  tool::add_network_options(app, network);
  tool::add_check_config(app, config.check_only);
  tool::add_aws_footer(app, "AWS_ENDPOINT_URL_SQS");
  Status parsed = tool::parse(app, argc, argv);
  if (!parsed.ok()) return parsed.error();
  auto limits = tool::network_limits(network);
  if (!limits.ok()) return limits.error();
  config.network = *limits;

  if (app.count("--leases") > 0 && config.leases.empty())
    return tool::usage("--leases needs a file name");
  return config;
}

} // namespace c42::sqs_ack
