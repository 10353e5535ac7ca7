// s3-fetch: read the S3 objects that `message` lines (or s3:// references)
// announce, and write their lines as records framed by begin/end lines
// (c42-stream(7)).
#include "common/aws/endpoints.h"
#include "common/aws/session.h"
#include "common/curl_http.h"
#include "common/fetcher.h"
#include "tools/tool_support.h"

#include <memory>

using namespace c42;

namespace {

struct Config {
  std::vector<std::string> references;
  FetchConfig fetch;
  std::string skip_before = "today";
  bool path_style = false;
};

} // namespace

int main(int argc, char** argv) {
  tool::init("s3-fetch");
  Config config;
  CLI::App app{"Fetch the S3 objects announced by c42-stream(7) 'message' lines on standard "
               "input, or named as s3://bucket/key arguments or input lines, and write every "
               "line of every object as a record."};
  app.add_option("reference", config.references,
                 "s3://bucket/key of an object to fetch; with arguments, standard input is "
                 "not read unless '-' is also given.");
  app.add_option("--parallel", config.fetch.parallel, "Objects fetched at once, 1 to 64.")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--skip-before", config.skip_before,
                 "Skip announced objects last modified before this time: 'today' (00:00 UTC "
                 "of the current day), 'none', or an ISO 8601 date or time. Objects named as "
                 "s3:// references are skipped only when this option is given.")
      ->capture_default_str();
  app.add_flag("--lenient", config.fetch.lenient,
               "A failed object does not fail its message: the message is still marked ok "
               "(the behaviour of the original function). Default: strict.");
  app.add_option("--max-line-bytes", config.fetch.max_line_bytes,
                 "Longest line accepted in an object; a longer line fails the object.")
      ->check(CLI::Range(size_t(1024), size_t(1) << 30))
      ->capture_default_str();
  app.add_flag("--path-style", config.path_style,
               "Address buckets in the path (https://host/bucket/key) instead of the host "
               "name. Implied for IP-address endpoints and by AWS_S3_FORCE_PATH_STYLE=true.");
  app.footer("Credentials and region come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
             "AWS_SESSION_TOKEN and AWS_REGION; AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL "
             "override the endpoint. See s3-fetch(1).");
  if (int status = tool::parse(app, argc, argv); status >= 0) return status;

  auto skip = parse_skip_before(config.skip_before);
  if (!skip.ok()) {
    tool::error(skip.error().message + " (try 's3-fetch --help')");
    return kExitUsage;
  }
  config.fetch.skip_before = *skip;
  config.fetch.skip_references = app.count("--skip-before") > 0;
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
  auto session = aws::Session::open(env, clock);
  if (!session.ok()) {
    tool::error(session.error().message);
    return kExitConfig;
  }
  auto addressing = aws::resolve_s3_addressing(env, session->region(), config.path_style);
  if (!addressing.ok()) {
    tool::error(addressing.error().message);
    return kExitConfig;
  }
  const aws::Session& s = *session;
  const aws::S3Addressing& a = *addressing;
  ObjectSourceFactory sources = [&s, &a] {
    auto http = std::make_unique<CurlHttpClient>();
    auto context = s.context(http.get(), "s3");
    return std::unique_ptr<ObjectSource>(
        std::make_unique<S3ObjectSource>(std::move(http), context, a));
  };

  LineWriter out(STDOUT_FILENO);
  LineReader in(STDIN_FILENO);
  Fetcher fetcher(config.fetch, sources, clock, out,
                  [](const std::string& message) { tool::error(message); });
  FetchOutcome outcome = fetcher.run(read_stdin ? &in : nullptr, references);
  switch (outcome) {
  case FetchOutcome::kOk:
    return kExitOk;
  case FetchOutcome::kPartial:
    return kExitPartial;
  case FetchOutcome::kBadInput:
    return kExitBadInput;
  case FetchOutcome::kOutputFailed:
    tool::error("cannot write output");
    return kExitOutput;
  }
  return kExitOk;
}
