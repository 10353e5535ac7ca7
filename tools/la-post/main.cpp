// la-post: post records to Azure Log Analytics (HTTP Data Collector API) and
// re-emit each message's end line with ok and delivered set from the result.
#include "common/curl_http.h"
#include "common/environment.h"
#include "common/la/data_collector_sender.h"
#include "common/stages/poster.h"
#include "common/stream.h"
#include "tools/tool_support.h"

#include <cstdlib>
#include <memory>

using namespace c42;

namespace {

struct Config {
  la::DataCollectorTarget target;
  std::string shared_key_file;
  PostConfig post;
  int max_attempts = 6;
  tool::NetworkOptions network;
  bool check_config = false;
};

int run(int argc, char** argv) {
  Config config;
  config.post.chunk_bytes = la::kDataCollectorMaxBodyBytes;
  CLI::App app{"Post the records on standard input to an Azure Log Analytics workspace through "
               "the HTTP Data Collector API, and write each c42-stream(7) 'end' line with "
               "'ok' true only when every record of its message was accepted."};
  app.add_option("--workspace-id", config.target.workspace_id,
                 "Workspace (customer) ID, a GUID (or LA_WORKSPACE_ID).")
      ->envname("LA_WORKSPACE_ID")
      ->required();
  app.add_option("--shared-key-file", config.shared_key_file,
                 "File holding the workspace's primary or secondary key. Without it the key "
                 "is read from LA_SHARED_KEY; it is never taken as a flag value.");
  app.add_option("--log-type", config.target.log_type,
                 "Record type: letters, digits and underscores, at most 100; Azure stores it "
                 "in the table <log-type>_CL (or LA_LOG_TYPE).")
      ->envname("LA_LOG_TYPE")
      ->required();
  app.add_option("--time-generated-field", config.target.time_generated_field,
                 "Record field whose ISO 8601 value becomes TimeGenerated.");
  app.add_option("--chunk-records", config.post.chunk_records,
                 "Most records per request, 1 to 10000.")
      ->check(tool::whole_number(1, 10000))
      ->capture_default_str();
  app.add_option("--chunk-bytes", config.post.chunk_bytes,
                 "Most bytes per request body, up to the API's 30 MB limit.")
      ->check(tool::whole_number(1024, la::kDataCollectorMaxBodyBytes))
      ->capture_default_str();
  app.add_option("--in-flight", config.post.in_flight, "Requests sent at once, 1 to 32.")
      ->check(tool::whole_number(1, 32))
      ->capture_default_str();
  app.add_option("--max-attempts", config.max_attempts,
                 "Tries per chunk for 429, 5xx and network errors (with exponential backoff, "
                 "jitter and Retry-After), 1 to 20.")
      ->check(tool::whole_number(1, 20))
      ->capture_default_str();
  app.add_option("--endpoint", config.target.endpoint,
                 "Base URL (http or https) to post to instead of "
                 "https://<workspace-id>.ods.opinsights.azure.com (or LA_ENDPOINT).")
      ->envname("LA_ENDPOINT");
  app.add_option("--resource-id", config.target.resource_id,
                 "Azure resource ID to associate the data with (x-ms-AzureResourceId).");
  tool::add_network_options(app, config.network);
  tool::add_check_config(app, config.check_config);
  app.footer("See la-post(1) and c42-stream(7).");
  if (int status = tool::parse(app, argc, argv); status >= 0) return status;

  // An empty override must never fall back to the production endpoint.
  if (app.count("--endpoint") > 0 && config.target.endpoint.empty())
    return tool::usage_error("--endpoint must not be empty");
  if (const char* set = std::getenv("LA_ENDPOINT");
      set != nullptr && *set == '\0' && app.count("--endpoint") == 0) {
    tool::error("LA_ENDPOINT is set but empty; unset it to post to Azure");
    return kExitConfig;
  }
  if (!la::valid_workspace_id(config.target.workspace_id))
    return tool::usage_error("--workspace-id must be a GUID");
  if (!la::valid_log_type(config.target.log_type))
    return tool::usage_error("--log-type takes letters, digits and underscores, at most 100");
  auto deadline = tool::deadline_of(config.network);
  if (!deadline.ok()) return tool::usage_error(deadline.error().message);
  auto timeouts = tool::timeouts_of(config.network);
  if (!timeouts.ok()) return tool::usage_error(timeouts.error().message);

  ProcessEnvironment env;
  if (!config.shared_key_file.empty()) {
    std::string error;
    config.target.shared_key = tool::read_secret_file(config.shared_key_file, &error);
    if (!error.empty()) {
      tool::error("--shared-key-file: " + error);
      return kExitConfig;
    }
  } else if (auto key = env.get("LA_SHARED_KEY")) {
    config.target.shared_key = *key;
  } else {
    tool::error("no shared key: set LA_SHARED_KEY or use --shared-key-file");
    return kExitConfig;
  }

  SystemClock clock;
  RetryPolicy retry;
  retry.max_attempts = config.max_attempts;
  retry.deadline = *deadline;
  // Checks the key decodes before any data is read.
  if (auto probe = la::build_data_collector_request(config.target, "[]", clock.now());
      !probe.ok()) {
    tool::error(probe.error().message);
    return kExitConfig;
  }
  if (config.check_config) return kExitOk;
  ChunkSenderFactory senders = [&config, &clock, retry, timeouts = *timeouts] {
    return std::unique_ptr<ChunkSender>(std::make_unique<la::DataCollectorSender>(
        std::make_unique<CurlHttpClient>(), config.target, clock, retry, real_sleeper(), timeouts));
  };

  LineWriter out(STDOUT_FILENO);
  LineReader in(STDIN_FILENO, kMaxStreamLineBytes);
  Poster poster(config.post, senders, out, tool::stderr_report());
  PostOutcome outcome = poster.run(in);
  if (poster.unattributed() > 0)
    tool::error(std::to_string(poster.unattributed()) +
                " records outside any message were not posted");
  switch (outcome) {
  case PostOutcome::kOk:
    return kExitOk;
  case PostOutcome::kPartial:
    return kExitPartial;
  case PostOutcome::kBadInput:
    return kExitBadInput;
  case PostOutcome::kFatal:
    return kExitService;
  case PostOutcome::kOutputFailed:
    tool::error("cannot write output");
    return kExitOutput;
  }
  return kExitOk;
}

} // namespace

int main(int argc, char** argv) {
  c42::tool::init("la-post");
  return c42::tool::guarded([&] { return run(argc, argv); });
}
