#include "tools/la-post/options.h"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace c42::la_post {
namespace {

const char* const kDcr = "dcr-00112233445566778899aabbccddeeff";
const char* const kWorkspace = "12345678-90ab-cdef-1234-567890abcdef";

Result<Config> parse(std::vector<std::string> args, const MapEnvironment& env = MapEnvironment()) {
  args.insert(args.begin(), "la-post");
  std::vector<char*> argv;
  for (std::string& a : args)
    argv.push_back(a.data());
  return parse_options(static_cast<int>(argv.size()), argv.data(), env);
}

// What a Logs Ingestion configuration gives a process.
MapEnvironment ingestion_env() {
  return MapEnvironment(
      {{"LA_INGESTION_ENDPOINT", "https://dce.westeurope-1.ingest.monitor.azure.com"},
       {"LA_DCR_ID", kDcr},
       {"LA_STREAM", "Custom-Code42Logs_CL"}});
}

// What a Data Collector configuration gives a process.
MapEnvironment collector_env() {
  return MapEnvironment({{"LA_WORKSPACE_ID", kWorkspace},
                         {"LA_SHARED_KEY", "c2VjcmV0LWtleS1mb3ItdGVzdHM="},
                         {"LA_LOG_TYPE", "Code42Logs"}});
}

// Both, as while migrating from one API to the other.
MapEnvironment both_env() {
  MapEnvironment env = collector_env();
  for (const char* name : {"LA_INGESTION_ENDPOINT", "LA_DCR_ID", "LA_STREAM"})
    env.set(name, *ingestion_env().get(name));
  return env;
}

void expect_error(const Result<Config>& r, ErrorKind kind, const std::string& part) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, kind) << r.error().message;
  EXPECT_NE(r.error().message.find(part), std::string::npos) << r.error().message;
}

TEST(LaPostOptionsTest, TheApiFollowsTheDcrIdUnlessNamed) {
  auto collector = parse({}, collector_env());
  ASSERT_TRUE(collector.ok()) << collector.error().message;
  EXPECT_EQ(collector->api, Api::kDataCollector);

  auto ingestion = parse({}, ingestion_env());
  ASSERT_TRUE(ingestion.ok()) << ingestion.error().message;
  EXPECT_EQ(ingestion->api, Api::kIngestion);

  EXPECT_EQ(parse({}, both_env())->api, Api::kIngestion) << "a DCR ID chooses ingestion";
  EXPECT_EQ(parse({"--api", "data-collector"}, both_env())->api, Api::kDataCollector);
  MapEnvironment named = both_env();
  named.set("LA_API", "data-collector");
  EXPECT_EQ(parse({}, named)->api, Api::kDataCollector);
  EXPECT_EQ(parse({"--api", "ingestion"}, named)->api, Api::kIngestion) << "the flag wins";

  MapEnvironment by_flag = collector_env();
  auto flagged = parse({"--api", "ingestion", "--endpoint", "http://127.0.0.1:9", "--dcr-id", kDcr,
                        "--stream", "Custom-X"},
                       by_flag);
  ASSERT_TRUE(flagged.ok()) << flagged.error().message;
  EXPECT_EQ(flagged->ingestion.endpoint, "http://127.0.0.1:9");
  EXPECT_EQ(flagged->ingestion.stream, "Custom-X");
  auto dcr_flag =
      parse({"--dcr-id", kDcr, "--endpoint", "http://127.0.0.1:9", "--stream", "Custom-X"});
  ASSERT_TRUE(dcr_flag.ok()) << dcr_flag.error().message;
  EXPECT_EQ(dcr_flag->api, Api::kIngestion);
}

TEST(LaPostOptionsTest, BadApiNames) {
  expect_error(parse({"--api", "both"}, both_env()), ErrorKind::kUsage, "--api");
  MapEnvironment env = both_env();
  env.set("LA_API", "v2");
  expect_error(parse({}, env), ErrorKind::kUsage, "LA_API must be ingestion or data-collector");
}

TEST(LaPostOptionsTest, IngestionTakesItsSettingsFromFlagsOrItsOwnVariables) {
  MapEnvironment env = both_env();
  env.set("LA_ENDPOINT", "http://127.0.0.1:1"); // the Data Collector's: not used
  auto r = parse({}, env);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const la::LogsIngestionTarget& t = r->ingestion;
  EXPECT_EQ(t.endpoint, "https://dce.westeurope-1.ingest.monitor.azure.com");
  EXPECT_EQ(t.dcr_id, kDcr);
  EXPECT_EQ(t.stream, "Custom-Code42Logs_CL");
  EXPECT_EQ(t.token_scope, "https://monitor.azure.com/.default");
  EXPECT_EQ(r->post.chunk_bytes, 1000000u) << "the API's limit per call";

  auto flags = parse({"--endpoint", "http://127.0.0.1:2", "--stream", "Custom-Other",
                      "--token-scope", "https://monitor.azure.us/.default"},
                     env);
  ASSERT_TRUE(flags.ok()) << flags.error().message;
  EXPECT_EQ(flags->ingestion.endpoint, "http://127.0.0.1:2");
  EXPECT_EQ(flags->ingestion.stream, "Custom-Other");
  EXPECT_EQ(flags->ingestion.token_scope, "https://monitor.azure.us/.default");

  env.set("LA_TOKEN_SCOPE", "https://monitor.azure.cn/.default");
  EXPECT_EQ(parse({}, env)->ingestion.token_scope, "https://monitor.azure.cn/.default");
}

TEST(LaPostOptionsTest, IngestionNeedsAnEndpointADcrAndAStream) {
  for (const char* missing : {"LA_INGESTION_ENDPOINT", "LA_DCR_ID", "LA_STREAM"}) {
    SCOPED_TRACE(missing);
    MapEnvironment env;
    env.set("LA_API", "ingestion");
    for (const char* name : {"LA_INGESTION_ENDPOINT", "LA_DCR_ID", "LA_STREAM"})
      if (std::string(name) != missing) env.set(name, *ingestion_env().get(name));
    expect_error(parse({}, env), ErrorKind::kUsage, missing);
  }
}

TEST(LaPostOptionsTest, IngestionSettingsAreChecked) {
  expect_error(parse({"--dcr-id", "my-dcr"}, ingestion_env()), ErrorKind::kUsage,
               "--dcr-id takes the DCR's immutable ID");
  expect_error(parse({"--stream", "Code42Logs_CL"}, ingestion_env()), ErrorKind::kUsage,
               "--stream takes a stream the DCR declares");
  expect_error(parse({"--token-scope", "https://monitor.azure.com"}, ingestion_env()),
               ErrorKind::kUsage, "--token-scope takes https://<resource>/.default");
  expect_error(parse({"--endpoint", "dce.example"}, ingestion_env()), ErrorKind::kConfig,
               "Logs Ingestion endpoint");
  expect_error(parse({"--endpoint", "https://dce.example/?x=1"}, ingestion_env()),
               ErrorKind::kConfig, "query");
  expect_error(parse({"--endpoint", ""}, ingestion_env()), ErrorKind::kUsage,
               "--endpoint must not be empty");
}

TEST(LaPostOptionsTest, FlagsOfTheOtherApiAreMistakesItsVariablesAreNot) {
  expect_error(parse({"--log-type", "X"}, ingestion_env()), ErrorKind::kUsage,
               "--log-type is an option of --api data-collector");
  expect_error(parse({"--shared-key-file", "/dev/null"}, ingestion_env()), ErrorKind::kUsage,
               "--shared-key-file");
  expect_error(parse({"--api", "data-collector", "--stream", "Custom-X"}, both_env()),
               ErrorKind::kUsage, "--stream is an option of --api ingestion");
  expect_error(parse({"--api", "data-collector", "--dcr-id", kDcr}, both_env()), ErrorKind::kUsage,
               "--dcr-id is an option of --api ingestion");
  EXPECT_TRUE(parse({}, both_env()).ok());
  EXPECT_TRUE(parse({"--api", "data-collector"}, both_env()).ok());
}

TEST(LaPostOptionsTest, ChunkBytesFollowTheApi) {
  EXPECT_EQ(parse({}, collector_env())->post.chunk_bytes, 2000000u);
  EXPECT_EQ(parse({}, ingestion_env())->post.chunk_bytes, 1000000u);
  EXPECT_EQ(parse({"--chunk-bytes", "30000000"}, collector_env())->post.chunk_bytes, 30000000u);
  EXPECT_EQ(parse({"--chunk-bytes", "500000"}, ingestion_env())->post.chunk_bytes, 500000u);
  expect_error(parse({"--chunk-bytes", "1000001"}, ingestion_env()), ErrorKind::kUsage,
               "--chunk-bytes is at most 1000000 for --api ingestion");
  expect_error(parse({"--chunk-bytes", "30000001"}, collector_env()), ErrorKind::kUsage,
               "--chunk-bytes");
}

TEST(LaPostOptionsTest, DataCollectorSettingsAsBefore) {
  auto r = parse({"--time-generated-field", "Event_Time"}, collector_env());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->target.workspace_id, kWorkspace);
  EXPECT_EQ(r->target.log_type, "Code42Logs");
  EXPECT_EQ(r->target.time_generated_field, "Event_Time");
  EXPECT_EQ(r->target.endpoint, "");

  MapEnvironment no_key = collector_env();
  no_key.set("LA_SHARED_KEY", "");
  expect_error(parse({}, no_key), ErrorKind::kConfig, "no shared key");
  MapEnvironment no_workspace;
  no_workspace.set("LA_LOG_TYPE", "X");
  no_workspace.set("LA_SHARED_KEY", "a2V5");
  expect_error(parse({}, no_workspace), ErrorKind::kUsage, "--workspace-id");
  expect_error(parse({"--workspace-id", "nope"}, collector_env()), ErrorKind::kUsage, "GUID");
  MapEnvironment empty_endpoint = collector_env();
  empty_endpoint.set("LA_ENDPOINT", "");
  expect_error(parse({}, empty_endpoint), ErrorKind::kConfig, "LA_ENDPOINT is set but empty");
  MapEnvironment endpoint = collector_env();
  endpoint.set("LA_ENDPOINT", "http://127.0.0.1:3");
  EXPECT_EQ(parse({}, endpoint)->target.endpoint, "http://127.0.0.1:3");
}

// Retries go on until --deadline unless --max-attempts caps them; without
// a deadline the retry loop falls back to a small count.
TEST(LaPostOptionsTest, RetriesAreBoundedByTheDeadlineUnlessCounted) {
  auto plain = parse({}, collector_env());
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(plain->retry.max_attempts, kUntilDeadline);
  EXPECT_FALSE(plain->retry.deadline.has_value());
  EXPECT_EQ(attempt_limit(plain->retry), kAttemptsWithoutDeadline);

  auto timed = parse({"--deadline", "2030-01-01T00:00:00Z"}, collector_env());
  ASSERT_TRUE(timed.ok()) << timed.error().message;
  EXPECT_TRUE(timed->retry.deadline.has_value());
  EXPECT_EQ(attempt_limit(timed->retry), std::nullopt) << "only the deadline bounds retries";

  auto capped =
      parse({"--deadline", "2030-01-01T00:00:00Z", "--max-attempts", "3"}, collector_env());
  ASSERT_TRUE(capped.ok()) << capped.error().message;
  EXPECT_EQ(attempt_limit(capped->retry), 3);

  for (const char* bad : {"0", "101", "-1", "3.5"})
    expect_error(parse({"--max-attempts", bad}, collector_env()), ErrorKind::kUsage,
                 "--max-attempts");

  EXPECT_EQ(plain->retry.max_delay, RetryPolicy{}.max_delay);
  auto quick = parse({"--max-backoff", "2.5"}, collector_env());
  ASSERT_TRUE(quick.ok()) << quick.error().message;
  EXPECT_EQ(quick->retry.max_delay, Millis(2500));
  for (const char* bad : {"0", "0.05", "301", "nan", "1e2"})
    expect_error(parse({"--max-backoff", bad}, collector_env()), ErrorKind::kUsage,
                 "--max-backoff");
}

TEST(LaPostOptionsTest, PassRecordsAndCheckConfig) {
  EXPECT_FALSE(parse({}, ingestion_env())->post.pass_records);
  EXPECT_TRUE(parse({"--pass-records"}, ingestion_env())->post.pass_records);
  EXPECT_TRUE(parse({"--check-config"}, ingestion_env())->check_only);
}

TEST(LaPostOptionsTest, OutputNeedsNoCredentialsOrEndpoint) {
  auto collector = parse({"--output", "bodies.ndjson"});
  ASSERT_TRUE(collector.ok()) << collector.error().message;
  EXPECT_EQ(collector->api, Api::kDataCollector);
  EXPECT_TRUE(collector->post.dry_run);
  EXPECT_EQ(collector->post.dry_run_target, "bodies.ndjson");
  EXPECT_EQ(collector->post.chunk_bytes, 2000000u);

  auto ingestion = parse({"--api", "ingestion", "--output", "bodies.ndjson"});
  ASSERT_TRUE(ingestion.ok()) << ingestion.error().message;
  EXPECT_EQ(ingestion->api, Api::kIngestion);
  EXPECT_EQ(ingestion->post.chunk_bytes, la::kLogsIngestionMaxRequestBytes)
      << "the bodies are cut as the API would have them";
}

TEST(LaPostOptionsTest, OutputNeedsAName) {
  expect_error(parse({"--output", ""}), ErrorKind::kUsage, "--output needs a file name");
  auto posting = parse({}, collector_env());
  ASSERT_TRUE(posting.ok());
  EXPECT_FALSE(posting->post.dry_run);
}

} // namespace
} // namespace c42::la_post
