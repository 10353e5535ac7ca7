// Request signing per call: AWS SigV4 for an S3 GetObject and an SQS
// ReceiveMessage (common/aws/sigv4.h), and the Data Collector API's
// SharedKey (common/la/shared_key.h), with and without building the request
// around a chunk body of the size la-post sends.
#include "common/aws/sigv4.h"
#include "common/la/shared_key.h"

#include <benchmark/benchmark.h>
#include <chrono>

namespace {

const c42::TimePoint kNow{std::chrono::seconds(1795000000)};

c42::aws::Credentials credentials() {
  c42::aws::Credentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  return c;
}

void BM_SigV4_S3GetObject(benchmark::State& state) {
  const auto creds = credentials();
  c42::aws::SigningConfig config{"us-east-1", "s3", kNow, true, std::nullopt};
  for (auto _ : state) {
    c42::HttpRequest request;
    request.url = "https://bench-bucket.s3.us-east-1.amazonaws.com/code42/exports/2026-11-25/"
                  "file-events-00001.json.gz";
    request.headers = {{"Range", "bytes=0-8388607"}};
    auto status = c42::aws::sign_request(request, creds, config);
    if (!status.ok()) state.SkipWithError("sign_request failed");
    benchmark::DoNotOptimize(request.headers.data());
  }
}
BENCHMARK(BM_SigV4_S3GetObject);

void BM_SigV4_SqsReceive(benchmark::State& state) {
  const auto creds = credentials();
  c42::aws::SigningConfig config{"us-east-1", "sqs", kNow, false, std::nullopt};
  for (auto _ : state) {
    c42::HttpRequest request;
    request.method = "POST";
    request.url = "https://sqs.us-east-1.amazonaws.com/";
    request.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                       {"X-Amz-Target", "AmazonSQS.ReceiveMessage"}};
    request.body = R"({"QueueUrl":"https://sqs.us-east-1.amazonaws.com/123456789012/code42",)"
                   R"("MaxNumberOfMessages":10,"WaitTimeSeconds":20,"VisibilityTimeout":330})";
    auto status = c42::aws::sign_request(request, creds, config);
    if (!status.ok()) state.SkipWithError("sign_request failed");
    benchmark::DoNotOptimize(request.headers.data());
  }
}
BENCHMARK(BM_SigV4_SqsReceive);

const char* const kSharedKey =
    "ZmFrZS1rZXktZm9yLWJlbmNobWFya2luZy1vbmx5LW5vdC1hLXJlYWwtd29ya3NwYWNlLWtleS0wMTIzNDU2Nzg5YWJj"
    "ZGVm";

void BM_SharedKey_Signature(benchmark::State& state) {
  for (auto _ : state) {
    auto to_sign =
        c42::la::data_collector_string_to_sign(29000000, "Mon, 30 Nov 2026 11:00:00 GMT");
    auto signature = c42::la::data_collector_signature(kSharedKey, to_sign);
    if (!signature.ok()) state.SkipWithError("signature failed");
    benchmark::DoNotOptimize(signature);
  }
}
BENCHMARK(BM_SharedKey_Signature);

void BM_SharedKey_BuildRequest(benchmark::State& state) {
  c42::la::DataCollectorTarget target;
  target.workspace_id = "8b7e5a3c-1d2f-4e6a-9b0c-7d8e9f0a1b2c";
  target.shared_key = kSharedKey;
  target.log_type = "Code42Logs";
  const std::string body(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    auto request = c42::la::build_data_collector_request(target, body, kNow);
    if (!request.ok()) state.SkipWithError("build_data_collector_request failed");
    benchmark::DoNotOptimize(request);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_SharedKey_BuildRequest)->Arg(1 << 20)->Arg(25 << 20);

} // namespace
