// s3-fetch: read the S3 objects that `message` lines (or s3:// references)
// announce, and write their lines as records framed by begin/end lines
// (c42-stream(7)).
#include "common/aws/endpoints.h"
#include "common/aws/session.h"
#include "common/curl_http.h"
#include "common/stages/fetcher.h"
#include "tools/tool_support.h"

#include <memory>

using namespace c42;

namespace {

struct Config {
  std::vector<std::string> references;
  FetchConfig fetch;
  std::string skip_before = "none";
  std::string skip_older_than;
  bool path_style = false;
  tool::NetworkOptions network;
  bool check_config = false;
};

int run(int argc, char** argv) {
  Config config;
  CLI::App app{"Fetch the S3 objects announced by c42-stream(7) 'message' lines on standard "
               "input, or named as s3://bucket/key arguments or input lines, and write every "
               "line of every object as a record."};
  app.add_option("reference", config.references,
                 "s3://bucket/key of an object to fetch; with arguments, standard input is "
                 "not read unless '-' is also given.");
  app.add_option("--parallel", config.fetch.parallel, "Objects fetched at once, 1 to 64.")
      ->check(tool::whole_number(1, 64))
      ->capture_default_str();
  app.add_option("--skip-before", config.skip_before,
                 "Skip objects last modified before this time: 'none' (ship everything), or an "
                 "ISO 8601 date or time. Applies to s3:// references too.")
      ->capture_default_str();
  app.add_option("--skip-older-than", config.skip_older_than,
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
                 "Longest line accepted in an object; a longer line fails the object. The "
                 "default keeps every record within the stream's 64 MiB line limit however its "
                 "bytes are escaped; with more, a line whose record would exceed that limit "
                 "fails its object.")
      ->check(tool::whole_number(1024, kMaxStreamLineBytes))
      ->capture_default_str();
  app.add_flag("--path-style", config.path_style,
               "Address buckets in the path (https://host/bucket/key) instead of the host "
               "name. Implied for IP-address endpoints and by AWS_S3_FORCE_PATH_STYLE=true.");
  tool::add_network_options(app, config.network);
  tool::add_check_config(app, config.check_config);
  app.footer("Credentials and region come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
             "AWS_SESSION_TOKEN and AWS_REGION; AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL "
             "override the endpoint. See s3-fetch(1).");
  if (int status = tool::parse(app, argc, argv); status >= 0) return status;

  auto before = parse_skip_before(config.skip_before);
  if (!before.ok()) return tool::usage_error(before.error().message);
  config.fetch.skip.before = *before;
  if (!config.skip_older_than.empty()) {
    auto age = parse_duration(config.skip_older_than);
    if (!age.ok()) return tool::usage_error("--skip-older-than: " + age.error().message);
    config.fetch.skip.older_than = *age;
  }
  auto deadline = tool::deadline_of(config.network);
  if (!deadline.ok()) return tool::usage_error(deadline.error().message);
  auto timeouts = tool::timeouts_of(config.network);
  if (!timeouts.ok()) return tool::usage_error(timeouts.error().message);
  bool read_stdin = config.references.empty();
  std::vector<std::string> references;
  for (const std::string& r : config.references) {
    if (r == "-") {
      read_stdin = true;
    } else {
      references.push_back(r);
    }
  }

  SystemClock clock;
  ProcessEnvironment env;
  auto session = aws::Session::open(env, clock, CurlHttpClient::factory());
  if (!session.ok()) {
    tool::error(session.error().message);
    return kExitConfig;
  }
  auto addressing = aws::resolve_s3_addressing(env, session->region(), config.path_style);
  if (!addressing.ok()) {
    tool::error(addressing.error().message);
    return kExitConfig;
  }
  if (config.check_config) return kExitOk;

  tool::handle_termination();
  const aws::Session& s = *session;
  const aws::S3Addressing& a = *addressing;
  ObjectSourceFactory sources = [&s, &a, timeouts = *timeouts, deadline = *deadline] {
    auto http = std::make_unique<CurlHttpClient>();
    auto context = s.context(http.get(), "s3");
    context.timeouts = timeouts;
    context.retry.deadline = deadline;
    context.cancelled = tool::termination_requested;
    return std::unique_ptr<ObjectSource>(
        std::make_unique<S3ObjectSource>(std::move(http), context, a));
  };

  LineWriter out(STDOUT_FILENO);
  LineReader in(STDIN_FILENO, kMaxStreamLineBytes);
  Fetcher fetcher(config.fetch, sources, clock, out, tool::stderr_report(),
                  tool::termination_requested);
  FetchOutcome outcome = fetcher.run(read_stdin ? &in : nullptr, references);
  switch (outcome) {
  case FetchOutcome::kOk:
    return kExitOk;
  case FetchOutcome::kPartial:
    return kExitPartial;
  case FetchOutcome::kBadInput:
    return kExitBadInput;
  case FetchOutcome::kInterrupted:
    return kExitInterrupted;
  case FetchOutcome::kOutputFailed:
    tool::error("cannot write output");
    return kExitOutput;
  }
  return kExitOk;
}

} // namespace

int main(int argc, char** argv) {
  c42::tool::init("s3-fetch");
  return c42::tool::guarded([&] { return run(argc, argv); });
}
