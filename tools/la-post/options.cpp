#include "tools/la-post/options.h"

#include "tools/tool_support.h"

namespace c42::la_post {

Result<Config> parse_options(int argc, char** argv, const Environment& env) {
  Config config;
  config.post.chunk_bytes = la::kDataCollectorMaxBodyBytes;
  std::string shared_key_file;
  tool::NetworkOptions network;
  CLI::App app{"Post the records on standard input to an Azure Log Analytics workspace through "
               "the HTTP Data Collector API, and write each c42-stream(7) 'end' line with "
               "'ok' true only when every record of its message was accepted."};
  app.add_option("--workspace-id", config.target.workspace_id,
                 "Workspace (customer) ID, a GUID (or LA_WORKSPACE_ID).")
      ->envname("LA_WORKSPACE_ID")
      ->required();
  app.add_option("--shared-key-file", shared_key_file,
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
                 "Most bytes per request body, 1024 up to the API's limit of 30000000.")
      ->check(tool::whole_number(1024, la::kDataCollectorMaxBodyBytes))
      ->capture_default_str();
  app.add_option("--in-flight", config.post.in_flight, "Requests sent at once, 1 to 32.")
      ->check(tool::whole_number(1, 32))
      ->capture_default_str();
  app.add_option("--max-attempts", config.retry.max_attempts,
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
  tool::add_network_options(app, network);
  tool::add_check_config(app, config.check_only);
  app.footer("See la-post(1) and c42-stream(7).");
  Status parsed = tool::parse(app, argc, argv);
  if (!parsed.ok()) return parsed.error();

  // An empty override must never fall back to the production endpoint.
  if (app.count("--endpoint") > 0 && config.target.endpoint.empty())
    return tool::usage("--endpoint must not be empty");
  if (app.count("--endpoint") == 0 && env.defined("LA_ENDPOINT") && !env.get("LA_ENDPOINT"))
    return make_error("LA_ENDPOINT is set but empty; unset it to post to Azure",
                      ErrorKind::kConfig);
  if (!la::valid_workspace_id(config.target.workspace_id))
    return tool::usage("--workspace-id must be a GUID");
  if (!la::valid_log_type(config.target.log_type))
    return tool::usage("--log-type takes letters, digits and underscores, at most 100");
  auto limits = tool::network_limits(network);
  if (!limits.ok()) return limits.error();
  config.retry.deadline = limits->deadline;
  config.timeouts = limits->timeouts;

  if (!shared_key_file.empty()) {
    std::string error;
    config.target.shared_key = tool::read_secret_file(shared_key_file, &error);
    if (!error.empty()) return make_error("--shared-key-file: " + error, ErrorKind::kConfig);
  } else if (auto key = env.get("LA_SHARED_KEY")) {
    config.target.shared_key = *key;
  } else {
    return make_error("no shared key: set LA_SHARED_KEY or use --shared-key-file",
                      ErrorKind::kConfig);
  }
  // The key must decode and the endpoint parse before any data is read.
  if (auto probe = la::build_data_collector_request(config.target, "[]", SystemClock().now());
      !probe.ok())
    return make_error(probe.error().message, ErrorKind::kConfig);
  return config;
}

} // namespace c42::la_post
