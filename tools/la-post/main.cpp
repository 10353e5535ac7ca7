// la-post: post records to Azure Log Analytics (the Logs Ingestion API or the
// HTTP Data Collector API) and re-emit each message's end line with ok and
// delivered set from the result.
#include "common/azure/token_provider.h"
#include "common/curl_http.h"
#include "common/la/data_collector_sender.h"
#include "common/la/logs_ingestion_sender.h"
#include "common/stream.h"
#include "tools/la-post/options.h"
#include "tools/tool_support.h"

#include <memory>

namespace c42::la_post {

namespace {

// Stands in until common/azure has its token sources: every request then
// fails, fatally, with this message.
class NoTokenSource final : public azure::TokenProvider {
public:
  Result<azure::AccessToken> get_token(const std::string&) override {
    return make_error("this la-post has no Microsoft Entra token source built in "
                      "(azure::default_token_provider is missing)",
                      ErrorKind::kConfig);
  }
  std::string name() const override { return "no token source"; }
};

// The seam where la-post gets its Microsoft Entra tokens: managed identity,
// client secret or workload identity, as the environment configures, cached
// and refreshed before expiry. One provider serves every worker.
std::unique_ptr<azure::TokenProvider> entra_tokens(const Environment&, const Clock&) {
  return std::make_unique<NoTokenSource>();
}

} // namespace

Outcome run(const Config& config) {
  if (config.check_only) return Outcome::kOk;
  SystemClock clock;
  ProcessEnvironment env;
  HttpClientFactory http = [] { return std::make_unique<CurlHttpClient>(); };
  std::unique_ptr<azure::TokenProvider> tokens;
  ChunkSenderFactory senders;
  if (config.api == Api::kIngestion) {
    tokens = entra_tokens(env, clock);
    senders = [&config, &clock, &http, &tokens] {
      return std::unique_ptr<ChunkSender>(std::make_unique<la::LogsIngestionSender>(
          http(), config.ingestion, *tokens, clock, config.retry, real_sleeper(), config.timeouts));
    };
  } else {
    senders = [&config, &clock, &http] {
      return std::unique_ptr<ChunkSender>(std::make_unique<la::DataCollectorSender>(
          http(), config.target, clock, config.retry, real_sleeper(), config.timeouts));
    };
  }
  LineWriter out(STDOUT_FILENO);
  LineReader in(STDIN_FILENO, kMaxStreamLineBytes);
  Poster poster(config.post, senders, out, tool::stderr_report());
  return poster.run(in);
}

} // namespace c42::la_post

int main(int argc, char** argv) {
  return c42::tool::main("la-post", argc, argv, c42::la_post::parse_options, c42::la_post::run);
}
