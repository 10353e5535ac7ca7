// la-post: post records to Azure Log Analytics (HTTP Data Collector API) and
// re-emit each message's end line with ok and delivered set from the result.
#include "common/curl_http.h"
#include "common/la/data_collector_sender.h"
#include "common/stream.h"
#include "tools/la-post/options.h"
#include "tools/tool_support.h"

#include <memory>

namespace c42::la_post {

Outcome run(const Config& config) {
  if (config.check_only) return Outcome::kOk;
  SystemClock clock;
  ChunkSenderFactory senders = [&config, &clock] {
    return std::unique_ptr<ChunkSender>(std::make_unique<la::DataCollectorSender>(
        std::make_unique<CurlHttpClient>(), config.target, clock, config.retry, real_sleeper(),
        config.timeouts));
  };
  LineWriter out(STDOUT_FILENO);
  LineReader in(STDIN_FILENO, kMaxStreamLineBytes);
  Poster poster(config.post, senders, out, tool::stderr_report());
  return poster.run(in);
}

} // namespace c42::la_post

int main(int argc, char** argv) {
  return c42::tool::main("la-post", argc, argv, c42::la_post::parse_options, c42::la_post::run);
}
