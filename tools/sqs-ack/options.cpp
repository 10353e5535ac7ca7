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
  std::string quarantine_s3;
  app.add_option("--quarantine-after", config.ack.quarantine_after,
                 "Once SQS has handed a message out N times and it failed for a reason of its "
                 "own (not the run's deadline, a stop, or a service that stayed unreachable), "
                 "store it in the quarantine and delete it. Needs --quarantine-file or "
                 "--quarantine-s3.")
      ->type_name("N")
      ->check(tool::whole_number(1, 1000));
  app.add_option("--quarantine-file", config.quarantine_file,
                 "Append quarantined messages to this NDJSON file, one line each, synced to "
                 "disk before the message is deleted.")
      ->type_name("PATH");
  app.add_option("--quarantine-s3", quarantine_s3,
                 "Store each quarantined message as the object <prefix>/<message id>.json "
                 "(needs s3:PutObject there).")
      ->type_name("s3://BUCKET/PREFIX");
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
  if (app.count("--quarantine-file") > 0 && config.quarantine_file.empty())
    return tool::usage("--quarantine-file needs a file name");
  if (app.count("--quarantine-s3") > 0) {
    auto where = parse_s3_prefix(quarantine_s3);
    if (!where.ok()) return tool::usage("--quarantine-s3: " + where.error().message);
    config.quarantine_s3 = *where;
  }
  const bool destination = !config.quarantine_file.empty() || config.quarantine_s3.has_value();
  if (config.ack.quarantine_after > 0 && !destination)
    return tool::usage("--quarantine-after needs --quarantine-file or --quarantine-s3");
  if (destination && config.ack.quarantine_after == 0)
    return tool::usage("--quarantine-file and --quarantine-s3 need --quarantine-after");
  return config;
}

} // namespace c42::sqs_ack
