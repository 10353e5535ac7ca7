// la-post: post records to Azure Log Analytics (the Logs Ingestion API or the
// HTTP Data Collector API) and re-emit each message's end line with ok and
// delivered set from the result.
#include "common/azure/default_token_provider.h"
#include "common/body_file_sender.h"
#include "common/curl_http.h"
#include "common/la/data_collector_sender.h"
#include "common/la/logs_ingestion_sender.h"
#include "common/stream.h"
#include "tools/la-post/options.h"
#include "tools/tool_support.h"

#include <cerrno>
#include <cstring>
#include <memory>
#include <unistd.h>

namespace c42::la_post {

// --output: the same delivery engine, with a sender that writes each body
// instead of posting it.
Outcome write_bodies(const Config& config) {
  auto opened = tool::open_output_file(config.output);
  if (!opened.ok()) {
    tool::error("--output: " + opened.error().message);
    return Outcome::kConfig;
  }
  Outcome outcome;
  {
    LineWriter bodies(*opened);
    ChunkSenderFactory senders = [&bodies, &config] {
      return std::unique_ptr<ChunkSender>(std::make_unique<BodyFileSender>(bodies, config.output));
    };
    LineWriter out(STDOUT_FILENO);
    LineReader in(STDIN_FILENO, kMaxStreamLineBytes);
    Poster poster(config.post, senders, out, tool::stderr_report());
    outcome = poster.run(in);
    if (!bodies.flush().ok() && outcome != Outcome::kOutputFailed) {
      tool::error("--output: cannot write " + config.output);
      outcome = Outcome::kService;
    }
  }
  if (::close(*opened) != 0 && outcome == Outcome::kOk) {
    tool::error("--output: cannot write " + config.output + ": " + std::strerror(errno));
    outcome = Outcome::kService;
  }
  return outcome;
}

Outcome run(const Config& config) {
  if (config.check_only) return Outcome::kOk;
  if (!config.output.empty()) return write_bodies(config);
  SystemClock clock;
  ProcessEnvironment env;
  HttpClientFactory http = [] { return std::make_unique<CurlHttpClient>(); };
  std::unique_ptr<azure::TokenProvider> tokens;
  ChunkSenderFactory senders;
  if (config.api == Api::kIngestion) {
    // Managed identity, client secret or workload identity, as the
    // environment configures, cached and renewed before expiry; one
    // provider serves every worker.
    tokens = azure::default_token_provider(env, clock, http);
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
