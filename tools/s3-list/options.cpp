#include "tools/s3-list/options.h"

#include "common/stages/fetcher.h"
#include "tools/tool_support.h"

namespace c42::s3_list {

namespace {

// --since and --until take what s3-fetch --skip-before takes.
Result<std::optional<TimePoint>> parse_time(const std::string& option, const std::string& text) {
  auto parsed = parse_skip_before(text);
  if (!parsed.ok() || text == "today")
    return tool::usage(option + " takes none or an ISO 8601 date or time, not '" + text + "'");
  return parsed;
}

} // namespace

Result<Config> parse_options(int argc, char** argv, const Environment&) {
  Config config;
  std::string listing;
  std::string since = "none";
  std::string until = "none";
  tool::NetworkOptions network;
  CLI::App app{
      "List the objects under an S3 prefix with ListObjectsV2 and write one s3://bucket/key "
      "line per object for s3-fetch, to ship history through the pipeline; with "
      "--checkpoint, resumably."};
  app.add_option("listing", listing,
                 "s3://bucket/prefix to list (the prefix may be empty); not with --commit.");
  app.add_option("--start-after", config.list.start_after,
                 "List only keys after this one (in S3's UTF-8 binary order).");
  app.add_option("--since", since,
                 "Only objects last modified at or after this time: 'none', or an ISO 8601 date "
                 "or time as s3-fetch --skip-before takes it.")
      ->capture_default_str();
  app.add_option("--until", until,
                 "Only objects last modified before this time: 'none', or an ISO 8601 date or "
                 "time.")
      ->capture_default_str();
  app.add_option("--match", config.list.filters.match,
                 "Only keys matching this glob (*, ? and [...], which also match '/'); may be "
                 "given more than once: any of them.")
      ->type_name("GLOB")
      ->allow_extra_args(false);
  app.add_option("--suffix", config.list.filters.suffixes,
                 "Only keys ending in this text, such as .gz; may be given more than once: any "
                 "of them.")
      ->allow_extra_args(false);
  app.add_option("--max-keys", config.list.page_size,
                 "Keys asked for per ListObjectsV2 page, 1 to 1000.")
      ->check(tool::whole_number(1, 1000))
      ->capture_default_str();
  app.add_option("--checkpoint", config.checkpoint,
                 "Resume after the key this file records, and write message lines whose end "
                 "lines 's3-list --commit --checkpoint FILE' at the end of the pipeline turns "
                 "into progress; with --commit, the file to advance.")
      ->type_name("FILE");
  app.add_flag("--commit", config.commit,
               "Read the pipeline's end lines on standard input and move the checkpoint past "
               "every object delivered, up to the first that was not.");
  tool::add_s3_options(app, config.path_style, network, config.check_only);
  Status parsed = tool::parse(app, argc, argv);
  if (!parsed.ok()) return parsed.error();

  if (config.commit) {
    if (config.checkpoint.empty()) return tool::usage("--commit needs --checkpoint FILE");
    for (const char* option : {"listing", "--start-after", "--since", "--until", "--match",
                               "--suffix", "--max-keys", "--path-style"})
      if (app.count(option) > 0)
        return tool::usage(std::string("--commit lists nothing: ") +
                           (option[0] == '-' ? option : "an s3://bucket/prefix") +
                           " does not go with it");
    return config;
  }
  if (listing.empty()) return tool::usage("an s3://bucket/prefix to list is required");
  auto parsed_listing = parse_s3_listing(listing);
  if (!parsed_listing.ok()) return tool::usage(parsed_listing.error().message);
  config.list.listing = *parsed_listing;
  auto from = parse_time("--since", since);
  if (!from.ok()) return from.error();
  auto to = parse_time("--until", until);
  if (!to.ok()) return to.error();
  config.list.filters.since = *from;
  config.list.filters.until = *to;
  if (*from && *to && **to <= **from) return tool::usage("--until must be later than --since");
  for (const std::string& suffix : config.list.filters.suffixes)
    if (suffix.empty()) return tool::usage("--suffix needs some text");
  if (!config.checkpoint.empty()) config.list.output = ListOutput::kMessages;
  auto limits = tool::network_limits(network);
  if (!limits.ok()) return limits.error();
  config.network = *limits;
  return config;
}

} // namespace c42::s3_list
