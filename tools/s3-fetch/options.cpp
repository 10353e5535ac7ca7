#include "tools/s3-fetch/options.h"

#include "common/stream.h"
#include "tools/tool_support.h"

namespace c42::s3_fetch {

Result<Config> parse_options(int argc, char** argv, const Environment&) {
  Config config;
  std::vector<std::string> arguments;
  std::string skip_before = "none";
  std::string skip_older_than;
  tool::NetworkOptions network;
  CLI::App app{"Fetch the S3 objects announced by c42-stream(7) 'message' lines on standard "
               "input, or named as s3://bucket/key arguments or input lines, and write every "
               "line of every object as a record."};
  app.add_option("reference", arguments,
                 "s3://bucket/key of an object to fetch; with arguments, standard input is "
                 "not read unless '-' is also given.");
  app.add_option("--parallel", config.fetch.parallel, "Objects fetched at once, 1 to 64.")
      ->check(tool::whole_number(1, 64))
      ->capture_default_str();
  app.add_option("--skip-before", skip_before,
                 "Skip objects last modified before this time: 'none' (ship everything), or an "
                 "ISO 8601 date or time. Applies to s3:// references too.")
      ->capture_default_str();
  app.add_option("--skip-older-than", skip_older_than,
                 "Skip announced objects last modified more than this long before their "
                 "message was sent (SQS SentTimestamp): whole seconds or a number with s, m, h "
                 "or d, such as 2d. The grace is measured against the message, never against "
                 "the time of the run, so a retry or a late run never drops what was announced "
                 "fresh. Default: no age rule.")
      ->type_name("DURATION");
  app.add_flag("--lenient", config.fetch.lenient,
               "A failed object does not fail its message: the message is still marked ok "
               "(the behaviour of the original function). Default: strict.");
  app.add_option("--max-line-bytes", config.fetch.max_line_bytes,
                 "Longest line accepted in an object, 1024 to 67108864; a longer line fails the "
                 "object. The default keeps every record within the stream's 64 MiB line limit "
                 "however its bytes are escaped; with more, a line whose record would exceed "
                 "that limit fails its object.")
      ->check(tool::whole_number(1024, kMaxStreamLineBytes))
      ->capture_default_str();
  tool::add_s3_options(app, config.path_style, network, config.check_only);
  Status parsed = tool::parse(app, argc, argv);
  if (!parsed.ok()) return parsed.error();

  auto before = parse_skip_before(skip_before);
  if (!before.ok()) return tool::usage(before.error().message);
  config.fetch.skip.before = *before;
  if (!skip_older_than.empty()) {
    auto age = parse_duration(skip_older_than);
    if (!age.ok()) return tool::usage("--skip-older-than: " + age.error().message);
    config.fetch.skip.older_than = *age;
  }
  auto limits = tool::network_limits(network);
  if (!limits.ok()) return limits.error();
  config.network = *limits;
  config.fetch.deadline = limits->retry.deadline;
  config.read_stdin = arguments.empty();
  for (const std::string& argument : arguments) {
    if (argument == "-") {
      config.read_stdin = true;
    } else {
      config.references.push_back(argument);
    }
  }
  return config;
}

} // namespace c42::s3_fetch
