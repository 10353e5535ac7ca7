#include "tools/la-post/options.h"

#include "tools/tool_support.h"

#include <optional>
#include <vector>

namespace c42::la_post {

namespace {

// The Data Collector API takes 30 MB a post, but la-post holds up to
// 3 x --in-flight + 1 chunks: chunks of rows split at 32 KB would fill 16 MB
// each at 500 records. 2 MB keeps la-post near 64 MB on any input, and is
// more than 500 records of ordinary events (about 0.8 MB) need.
constexpr size_t kDataCollectorDefaultChunkBytes = 2u * 1000u * 1000u;

// An option's value: the flag when given, else its environment variable.
// The variables are read here, not by CLI11, so that those of the API not
// in use are ignored: one configuration may serve both (la-post(1),
// EXAMPLES).
std::optional<std::string> flag_or_env(const CLI::App& app, const char* flag,
                                       const std::string& value, const Environment& env,
                                       const char* variable) {
  if (app.count(flag) > 0) return value;
  return env.get(variable);
}

} // namespace

Result<Config> parse_options(int argc, char** argv, const Environment& env) {
  Config config;
  std::string api, workspace_id, log_type, endpoint, dcr_id, stream, token_scope;
  std::string shared_key_file;
  tool::NetworkOptions network;
  CLI::App app{"Post the records on standard input to Azure Log Analytics, through the Logs "
               "Ingestion API (a data collection rule's stream, with a Microsoft Entra token) or "
               "the HTTP Data Collector API (a workspace's shared key), and write each "
               "c42-stream(7) 'end' line with 'ok' true only when every record of its message "
               "was accepted."};
  app.add_option("--api", api,
                 "ingestion or data-collector (or LA_API). Default: ingestion when a DCR ID is "
                 "given, else data-collector.")
      ->check(CLI::IsMember({"ingestion", "data-collector"}));
  // --api ingestion
  app.add_option("--endpoint", endpoint,
                 "Base URL (http or https). For ingestion: the data collection endpoint or the "
                 "DCR's logs ingestion endpoint (or LA_INGESTION_ENDPOINT). For data-collector: "
                 "replaces https://<workspace-id>.ods.opinsights.azure.com (or LA_ENDPOINT).");
  app.add_option("--dcr-id", dcr_id,
                 "Immutable ID of the data collection rule, dcr-<32 hex digits> (or LA_DCR_ID).");
  app.add_option("--stream", stream,
                 "Stream the DCR declares, e.g. Custom-Code42Logs_CL (or LA_STREAM).");
  app.add_option("--token-scope", token_scope,
                 "Microsoft Entra scope of the token (or LA_TOKEN_SCOPE). Default: " +
                     std::string(la::kMonitorScope) +
                     "; https://monitor.azure.us/.default for Azure US Government, "
                     "https://monitor.azure.cn/.default for Azure operated by 21Vianet.");
  // --api data-collector
  app.add_option("--workspace-id", workspace_id,
                 "Workspace (customer) ID, a GUID (or LA_WORKSPACE_ID).");
  app.add_option("--shared-key-file", shared_key_file,
                 "File holding the workspace's primary or secondary key. Without it the key "
                 "is read from LA_SHARED_KEY; it is never taken as a flag value.");
  app.add_option("--log-type", log_type,
                 "Record type: letters, digits and underscores, at most 100; Azure stores it "
                 "in the table <log-type>_CL (or LA_LOG_TYPE).");
  app.add_option("--time-generated-field", config.target.time_generated_field,
                 "Record field whose ISO 8601 value becomes TimeGenerated.");
  app.add_option("--resource-id", config.target.resource_id,
                 "Azure resource ID to associate the data with (x-ms-AzureResourceId).");
  // Both
  app.add_option("--chunk-records", config.post.chunk_records,
                 "Most records per chunk, 1 to 10000.")
      ->check(tool::whole_number(1, 10000))
      ->capture_default_str();
  app.add_option("--chunk-bytes", config.post.chunk_bytes,
                 "Most bytes per chunk, 1024 up to the API's limit: 1000000 for ingestion "
                 "(gzip'd or not; the default), 30000000 for data-collector (default "
                 "2000000).")
      ->check(tool::whole_number(1024, la::kDataCollectorMaxBodyBytes));
  app.add_option("--in-flight", config.post.in_flight, "Chunks posted at once, 1 to 32.")
      ->check(tool::whole_number(1, 32))
      ->capture_default_str();
  app.add_flag("--pass-records", config.post.pass_records,
               "Write every record to standard output too, in order with the control lines, so "
               "that a second la-post can post them to the other API.");
  app.add_option("--output", config.output,
                 "Post nothing: write each request body that would be sent (a JSON array of "
                 "records, before any compression) to FILE, one per line, and write every end "
                 "line not ok with interrupted \"dry-run\", so that sqs-ack deletes nothing and "
                 "releases the messages. Needs no credentials, endpoint or network.")
      ->type_name("FILE");
  tool::add_network_options(app, network);
  tool::add_check_config(app, config.check_only);
  app.footer("See la-post(1) and c42-stream(7).");
  Status parsed = tool::parse(app, argc, argv);
  if (!parsed.ok()) return parsed.error();

  if (app.count("--api") == 0) {
    if (auto from_env = env.get("LA_API")) {
      api = *from_env;
      if (api != "ingestion" && api != "data-collector")
        return tool::usage("LA_API must be ingestion or data-collector, not '" + api + "'");
    } else {
      api = app.count("--dcr-id") > 0 || env.get("LA_DCR_ID") ? "ingestion" : "data-collector";
    }
  }
  config.api = api == "ingestion" ? Api::kIngestion : Api::kDataCollector;
  // Flags of the other API are a mistake; its variables are not.
  const std::vector<const char*> ingestion_only = {"--dcr-id", "--stream", "--token-scope"};
  const std::vector<const char*> collector_only = {"--workspace-id", "--shared-key-file",
                                                   "--log-type", "--time-generated-field",
                                                   "--resource-id"};
  for (const char* flag : config.api == Api::kIngestion ? collector_only : ingestion_only)
    if (app.count(flag) > 0)
      return tool::usage(std::string(flag) + " is an option of --api " +
                         (config.api == Api::kIngestion ? "data-collector" : "ingestion"));
  // An empty override must never fall back to the production endpoint.
  if (app.count("--endpoint") > 0 && endpoint.empty())
    return tool::usage("--endpoint must not be empty");
  const size_t api_limit = config.api == Api::kIngestion ? la::kLogsIngestionMaxRequestBytes
                                                         : la::kDataCollectorMaxBodyBytes;
  if (app.count("--chunk-bytes") == 0)
    config.post.chunk_bytes = config.api == Api::kIngestion ? la::kLogsIngestionMaxRequestBytes
                                                            : kDataCollectorDefaultChunkBytes;
  if (config.post.chunk_bytes > api_limit)
    return tool::usage("--chunk-bytes is at most " + std::to_string(api_limit) + " for --api " +
                       api);
  auto limits = tool::network_limits(network);
  if (!limits.ok()) return limits.error();
  config.retry = limits->retry;
  config.timeouts = limits->timeouts;
  if (app.count("--output") > 0) {
    if (config.output.empty()) return tool::usage("--output needs a file name");
    // Only the API's limits shape the bodies; where they would go and the
    // credentials are not needed to write them.
    config.post.dry_run = true;
    config.post.dry_run_target = config.output;
    return config;
  }

  if (config.api == Api::kIngestion) {
    la::LogsIngestionTarget& target = config.ingestion;
    auto given_endpoint = flag_or_env(app, "--endpoint", endpoint, env, "LA_INGESTION_ENDPOINT");
    auto given_dcr = flag_or_env(app, "--dcr-id", dcr_id, env, "LA_DCR_ID");
    auto given_stream = flag_or_env(app, "--stream", stream, env, "LA_STREAM");
    if (!given_endpoint)
      return tool::usage("no endpoint: give --endpoint or set LA_INGESTION_ENDPOINT (the data "
                         "collection endpoint or the DCR's logs ingestion endpoint)");
    if (!given_dcr) return tool::usage("no DCR: give --dcr-id or set LA_DCR_ID");
    if (!given_stream) return tool::usage("no stream: give --stream or set LA_STREAM");
    target.endpoint = *given_endpoint;
    target.dcr_id = *given_dcr;
    target.stream = *given_stream;
    if (auto scope = flag_or_env(app, "--token-scope", token_scope, env, "LA_TOKEN_SCOPE"))
      target.token_scope = *scope;
    if (!la::valid_dcr_id(target.dcr_id))
      return tool::usage("--dcr-id takes the DCR's immutable ID, dcr- and 32 hexadecimal digits "
                         "(from its overview page; not its name or resource ID)");
    if (!la::valid_stream_name(target.stream))
      return tool::usage("--stream takes a stream the DCR declares: Custom- or Microsoft- and "
                         "letters, digits, '_' or '-', e.g. Custom-Code42Logs_CL");
    if (!la::valid_token_scope(target.token_scope))
      return tool::usage("--token-scope takes https://<resource>/.default, e.g. " +
                         std::string(la::kMonitorScope));
    Status endpoint_ok = la::check_logs_ingestion_endpoint(target.endpoint);
    if (!endpoint_ok.ok()) return make_error(endpoint_ok.error().message, ErrorKind::kConfig);
    return config;
  }

  la::DataCollectorTarget& target = config.target;
  auto given_workspace = flag_or_env(app, "--workspace-id", workspace_id, env, "LA_WORKSPACE_ID");
  auto given_log_type = flag_or_env(app, "--log-type", log_type, env, "LA_LOG_TYPE");
  if (!given_workspace)
    return tool::usage("no workspace: give --workspace-id or set LA_WORKSPACE_ID");
  if (!given_log_type) return tool::usage("no record type: give --log-type or set LA_LOG_TYPE");
  target.workspace_id = *given_workspace;
  target.log_type = *given_log_type;
  if (app.count("--endpoint") > 0) {
    target.endpoint = endpoint;
  } else if (env.defined("LA_ENDPOINT")) {
    if (!env.get("LA_ENDPOINT"))
      return make_error("LA_ENDPOINT is set but empty; unset it to post to Azure",
                        ErrorKind::kConfig);
    target.endpoint = *env.get("LA_ENDPOINT");
  }
  if (!la::valid_workspace_id(target.workspace_id))
    return tool::usage("--workspace-id must be a GUID");
  if (!la::valid_log_type(target.log_type))
    return tool::usage("--log-type takes letters, digits and underscores, at most 100");

  if (!shared_key_file.empty()) {
    std::string error;
    target.shared_key = tool::read_secret_file(shared_key_file, &error);
    if (!error.empty()) return make_error("--shared-key-file: " + error, ErrorKind::kConfig);
  } else if (auto key = env.get("LA_SHARED_KEY")) {
    target.shared_key = *key;
  } else {
    return make_error("no shared key: set LA_SHARED_KEY or use --shared-key-file",
                      ErrorKind::kConfig);
  }
  // The key must decode and the endpoint parse before any data is read.
  if (auto probe = la::build_data_collector_request(target, "[]", SystemClock().now()); !probe.ok())
    return make_error(probe.error().message, ErrorKind::kConfig);
  return config;
}

} // namespace c42::la_post
