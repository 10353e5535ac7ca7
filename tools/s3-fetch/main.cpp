// s3-fetch: read the S3 objects that `message` lines (or s3:// references)
// announce, and write their lines as records framed by begin/end lines
// (c42-stream(7)).
#include "common/aws/session.h"
#include "common/curl_http.h"
#include "common/stream.h"
#include "tools/s3-fetch/options.h"
#include "tools/tool_support.h"

#include <memory>

namespace c42::s3_fetch {

Outcome run(const Config& config) {
  SystemClock clock;
  ProcessEnvironment env;
  auto s3 = aws::open_s3_session(env, clock, CurlHttpClient::factory(),
                                 aws::credential_check(config.check_only), config.path_style);
  if (!s3.ok()) {
    tool::error(s3.error().message);
    return Outcome::kConfig;
  }
  if (config.check_only) return Outcome::kOk;

  tool::handle_termination();
  const aws::Session& s = s3->session;
  const aws::S3Addressing& a = s3->addressing;
  ObjectSourceFactory sources = [&s, &a, &config] {
    auto http = std::make_unique<CurlHttpClient>();
    auto context = s.context(http.get(), "s3");
    context.timeouts = config.network.timeouts;
    context.retry = config.network.retry;
    context.cancelled = tool::termination_requested;
    return std::unique_ptr<ObjectSource>(
        std::make_unique<S3ObjectSource>(std::move(http), context, a));
  };
  LineWriter out(STDOUT_FILENO);
  LineReader in(STDIN_FILENO, kMaxStreamLineBytes);
  Fetcher fetcher(config.fetch, sources, clock, out, tool::stderr_report(),
                  tool::termination_requested);
  return fetcher.run(config.read_stdin ? &in : nullptr, config.references);
}

} // namespace c42::s3_fetch

int main(int argc, char** argv) {
  return c42::tool::main("s3-fetch", argc, argv, c42::s3_fetch::parse_options, c42::s3_fetch::run);
}
