#include "common/decompressor.h"
#include "common/la/logs_ingestion_sender.h"
#include "tests/unit/test_support.h"

#include <chrono>
#include <deque>
#include <gtest/gtest.h>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace c42::la {
namespace {

using test_support::ScriptedReply;

ScriptedReply response(long status, std::string body = "", HttpHeaders headers = {}) {
  return test_support::reply(status, std::move(body), std::move(headers));
}

ScriptedReply accepted() {
  return response(204);
}

// A token source that numbers its tokens ("token-1", "token-2", …): a new
// one after each invalidate(), so a test sees which one a request carried.
class FakeTokens final : public azure::TokenProvider {
public:
  Result<azure::AccessToken> get_token(const std::string& scope) override {
    scopes.push_back(scope);
    if (!failures.empty()) {
      Error e = failures.front();
      failures.pop_front();
      return e;
    }
    return azure::AccessToken{"token-" + std::to_string(generation), TimePoint()};
  }
  void invalidate(const std::string&) override {
    ++invalidated;
    ++generation;
  }
  std::string name() const override { return "fake identity"; }

  std::vector<std::string> scopes;
  std::deque<Error> failures; // returned first, in order
  int invalidated = 0;
  int generation = 1;
};

std::string gunzip(const std::string& data) {
  std::string out;
  Decompressor d([&](const char* p, size_t n) {
    out.append(p, n);
    return true;
  });
  EXPECT_TRUE(d.feed(data.data(), data.size()).ok());
  EXPECT_TRUE(d.finish().ok());
  EXPECT_TRUE(d.is_gzip());
  return out;
}

RecordBatch batch_of(const std::vector<std::string>& records) {
  RecordBatch batch;
  for (const std::string& r : records)
    batch.append(r);
  batch.close();
  return batch;
}

// `n` records {"i":<k>,"pad":"…"} of exactly `size` bytes each.
std::vector<std::string> records(size_t n, size_t size = 40) {
  std::vector<std::string> out;
  for (size_t k = 0; k < n; ++k) {
    std::string head = R"({"i":)" + std::to_string(k) + R"(,"pad":")";
    out.push_back(head + std::string(size - head.size() - 2, 'p') + R"("})");
  }
  return out;
}

// Printable characters that gzip cannot shrink much.
std::string noise(size_t n, unsigned seed = 7) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::mt19937 rng(seed);
  std::string s;
  for (size_t i = 0; i < n; ++i)
    s.push_back(alphabet[rng() % 64]);
  return s;
}

class LogsIngestionSenderTest : public testing::Test {
protected:
  LogsIngestionSenderTest() : clock(TimePoint(std::chrono::seconds(1714564800))) {
    target.endpoint = "https://dce-1.westeurope-1.ingest.monitor.azure.com/";
    target.dcr_id = "dcr-00112233445566778899aabbccddeeff";
    target.stream = "Custom-Code42Logs_CL";
    retry.max_attempts = 3;
  }

  SendResult send(std::deque<ScriptedReply> replies, const RecordBatch& batch) {
    auto fake = std::make_unique<test_support::ScriptedHttp>();
    fake->script = std::move(replies);
    test_support::ScriptedHttp* http = fake.get();
    LogsIngestionSender sender(
        std::move(fake), target, tokens, clock, retry,
        [this](Millis d) {
          sleeps.push_back(d);
          clock.set(clock.now() + d);
        },
        timeouts);
    SendResult r = sender.send(batch);
    requests = http->requests;
    EXPECT_TRUE(http->script.empty()) << http->script.size() << " scripted replies unused";
    return r;
  }

  // The JSON array each request carried, uncompressed.
  std::vector<std::string> bodies() const {
    std::vector<std::string> out;
    for (const HttpRequest& r : requests)
      out.push_back(gunzip(r.body));
    return out;
  }

  LogsIngestionTarget target;
  FakeTokens tokens;
  FixedClock clock;
  RetryPolicy retry;
  Timeouts timeouts;
  std::vector<HttpRequest> requests;
  std::vector<Millis> sleeps;
};

TEST_F(LogsIngestionSenderTest, PostsTheBatchGzipdToTheStreamWithABearerToken) {
  RecordBatch batch = batch_of({R"({"a":1})", "{\"caf\xC3\xA9\":\"\\u2028 \\\"q\\\"\"}"});
  SendResult r = send({accepted()}, batch);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.attempts, 1);
  ASSERT_EQ(requests.size(), 1u);
  const HttpRequest& q = requests[0];
  EXPECT_EQ(q.method, "POST");
  EXPECT_EQ(q.url, "https://dce-1.westeurope-1.ingest.monitor.azure.com/dataCollectionRules/"
                   "dcr-00112233445566778899aabbccddeeff/streams/Custom-Code42Logs_CL"
                   "?api-version=2023-01-01");
  EXPECT_EQ(find_header(q.headers, "Content-Type"), "application/json");
  EXPECT_EQ(find_header(q.headers, "Content-Encoding"), "gzip");
  EXPECT_EQ(find_header(q.headers, "Authorization"), "Bearer token-1");
  EXPECT_EQ(gunzip(q.body), batch.body) << "byte for byte";
  EXPECT_EQ(tokens.scopes, std::vector<std::string>{kMonitorScope});
  EXPECT_EQ(q.timeout_ms, 0) << "bounded by the stall limit and the deadline";
}

// The request borrows the gzip'd body the sender keeps for all attempts, so
// no attempt copies it.
TEST_F(LogsIngestionSenderTest, TheRequestBorrowsTheBody) {
  const std::string gzipped = gzip_compress("[{\"a\":1}]");
  HttpRequest q = build_logs_ingestion_request(target, gzipped, "token-1");
  EXPECT_EQ(q.payload().data(), gzipped.data());
  EXPECT_EQ(q.payload().size(), gzipped.size());
  EXPECT_TRUE(q.body.empty());
}

TEST_F(LogsIngestionSenderTest, RetriesSendTheSameBytes) {
  RecordBatch batch = batch_of({R"({"a":1})", R"({"b":2})"});
  SendResult r = send({response(503), response(500), accepted()}, batch);
  EXPECT_TRUE(r.ok) << r.error;
  ASSERT_EQ(requests.size(), 3u);
  for (const std::string& body : bodies())
    EXPECT_EQ(body, batch.body);
}

TEST_F(LogsIngestionSenderTest, AnySuccessStatusAccepts) {
  EXPECT_TRUE(send({response(200)}, batch_of({"{}"})).ok);
  EXPECT_TRUE(send({response(202)}, batch_of({"{}"})).ok);
}

TEST_F(LogsIngestionSenderTest, GzipRoundTripsLargeAndEmptyInput) {
  for (const std::string& data : {std::string(), noise(3000000), std::string(2000000, 'x')})
    EXPECT_EQ(gunzip(gzip_compress(data)), data);
  EXPECT_LT(gzip_compress(std::string(1000000, 'x')).size(), 10000u);
}

TEST_F(LogsIngestionSenderTest, TheSovereignCloudScopeIsAskedFor) {
  target.token_scope = "https://monitor.azure.us/.default";
  ASSERT_TRUE(send({accepted()}, batch_of({"{}"})).ok);
  EXPECT_EQ(tokens.scopes, std::vector<std::string>{"https://monitor.azure.us/.default"});
}

// --- the 1 MB limit -------------------------------------------------------

TEST_F(LogsIngestionSenderTest, ABatchOverTheLimitUncompressedIsPostedInHalves) {
  // 30 records of 40 kB: 1.2 MB uncompressed, a few kB gzip'd. The limit
  // holds for the uncompressed data too, so it goes in two calls.
  std::vector<std::string> recs = records(30, 40000);
  RecordBatch batch = batch_of(recs);
  ASSERT_GT(batch.body.size(), kLogsIngestionMaxRequestBytes);
  SendResult r = send({accepted(), accepted()}, batch);
  EXPECT_TRUE(r.ok) << r.error;
  std::vector<std::string> got = bodies();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], batch.slice(0, 15).body);
  EXPECT_EQ(got[1], batch.slice(15, 15).body);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_LE(got[i].size(), kLogsIngestionMaxRequestBytes);
    EXPECT_LE(requests[i].body.size(), kLogsIngestionMaxRequestBytes);
  }
}

TEST_F(LogsIngestionSenderTest, ABatchOverTheLimitCompressedIsPostedInHalves) {
  // JSON text always shrinks under gzip but for its 18 bytes of framing, so
  // a small body is where the compressed form is the larger one.
  RecordBatch batch = batch_of({R"({"a":1})", R"({"b":2})"});
  target.max_request_bytes = gzip_compress(batch.body).size() - 1;
  ASSERT_LE(batch.body.size(), target.max_request_bytes);
  ASSERT_LE(gzip_compress(batch.slice(0, 1).body).size(), target.max_request_bytes);
  SendResult r = send({accepted(), accepted()}, batch);
  EXPECT_TRUE(r.ok) << r.error;
  ASSERT_EQ(requests.size(), 2u);
  for (const HttpRequest& q : requests)
    EXPECT_LE(q.body.size(), target.max_request_bytes);
}

TEST_F(LogsIngestionSenderTest, ARecordThatCanNeverFitFailsAloneUnsent) {
  target.max_request_bytes = 4000;
  std::string huge = R"({"n":")" + noise(3995) + R"("})";
  RecordBatch batch = batch_of({R"({"a":1})", huge, R"({"b":2})"});
  SendResult r = send({accepted(), accepted()}, batch);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.fatal) << "the stream goes on";
  ASSERT_EQ(r.failed.size(), 1u);
  EXPECT_EQ(r.failed[0].first, 1u);
  EXPECT_EQ(r.failed[0].count, 1u);
  EXPECT_NE(r.failed[0].error.find("larger than the Logs Ingestion API's limit of 4000 bytes"),
            std::string::npos)
      << r.failed[0].error;
  EXPECT_EQ(r.error, r.failed[0].error);
  EXPECT_EQ(bodies(), (std::vector<std::string>{"[{\"a\":1}]", "[{\"b\":2}]"}));
}

// --- 413 ------------------------------------------------------------------

TEST_F(LogsIngestionSenderTest, A413IsAnsweredByHalvingDownToSingleRecords) {
  std::vector<std::string> recs = records(4);
  RecordBatch batch = batch_of(recs);
  SendResult r = send({response(413), response(413), accepted(), accepted(), accepted()}, batch);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(bodies(),
            (std::vector<std::string>{batch.body, batch.slice(0, 2).body, batch.slice(0, 1).body,
                                      batch.slice(1, 1).body, batch.slice(2, 2).body}));
  EXPECT_TRUE(sleeps.empty()) << "a 413 is no reason to wait";
}

TEST_F(LogsIngestionSenderTest, ASingleRecordRefusedAsTooLargeFailsAlone) {
  RecordBatch batch = batch_of(records(3));
  // [0,1,2] -> 413; [0] -> 204; [1,2] -> 413; [1] -> 413; [2] -> 204.
  SendResult r =
      send({response(413), accepted(), response(413),
            response(413, R"({"error":{"code":"ContentLengthLimitExceeded"}})"), accepted()},
           batch);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.fatal);
  ASSERT_EQ(r.failed.size(), 1u);
  EXPECT_EQ(r.failed[0].first, 1u);
  EXPECT_EQ(r.failed[0].count, 1u);
  EXPECT_NE(r.failed[0].error.find("refused a record of 40 bytes as too large: HTTP 413"),
            std::string::npos)
      << r.failed[0].error;
  EXPECT_EQ(requests.size(), 5u);
}

// --- tokens ---------------------------------------------------------------

TEST_F(LogsIngestionSenderTest, A401GetsOneImmediateRetryWithAFreshToken) {
  SendResult r = send({response(401), accepted()}, batch_of({"{}"}));
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.attempts, 1) << "the refresh is part of the attempt";
  EXPECT_EQ(tokens.invalidated, 1);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(find_header(requests[0].headers, "Authorization"), "Bearer token-1");
  EXPECT_EQ(find_header(requests[1].headers, "Authorization"), "Bearer token-2");
  EXPECT_TRUE(sleeps.empty());
}

TEST_F(LogsIngestionSenderTest, A401ForTheFreshTokenToo) {
  SendResult r = send({response(401, R"({"error":{"code":"InvalidToken"}})"), response(401)},
                      batch_of({"{}"}));
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.fatal);
  EXPECT_EQ(tokens.invalidated, 1) << "once";
  EXPECT_EQ(requests.size(), 2u);
  EXPECT_NE(r.error.find("HTTP 401"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("refused a fresh token (from fake identity) too"), std::string::npos)
      << r.error;
}

TEST_F(LogsIngestionSenderTest, EveryRequestMayRefreshOnce) {
  // Halves of a split batch each get their own refresh.
  RecordBatch batch = batch_of(records(2));
  SendResult r = send({response(413), response(401), accepted(), response(401), accepted()}, batch);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(tokens.invalidated, 2);
}

TEST_F(LogsIngestionSenderTest, NoTokenIsFatalAndSendsNothing) {
  tokens.failures.push_back(make_error("client secret: AADSTS7000215 invalid client secret; "
                                       "check AZURE_CLIENT_SECRET",
                                       ErrorKind::kConfig));
  SendResult r = send({}, batch_of({"{}"}));
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.fatal);
  EXPECT_TRUE(requests.empty());
  EXPECT_EQ(r.error.find("no Microsoft Entra token for https://monitor.azure.com/.default: "
                         "client secret: AADSTS7000215"),
            0u)
      << r.error;
}

TEST_F(LogsIngestionSenderTest, ATokenEndpointHiccupIsRetried) {
  tokens.failures.push_back(make_error("IMDS: connection refused", ErrorKind::kTransient));
  SendResult r = send({accepted()}, batch_of({"{}"}));
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.attempts, 2);
}

TEST_F(LogsIngestionSenderTest, TheTokenNeverAppearsInErrors) {
  tokens.generation = 987654;
  // Each status with as many replies as the sender asks for.
  const std::vector<std::pair<long, int>> cases = {{400, 1}, {401, 2}, {403, 1},
                                                   {404, 1}, {413, 1}, {500, 3}};
  for (const auto& [status, replies] : cases) {
    std::deque<ScriptedReply> script(replies, response(status, "refused"));
    SendResult r = send(script, batch_of({"{}"}));
    EXPECT_FALSE(r.ok) << status;
    EXPECT_EQ(r.error.find("98765"), std::string::npos) << r.error;
  }
}

// --- retries and refusals --------------------------------------------------

TEST_F(LogsIngestionSenderTest, ThrottlingAndServerErrorsAreRetriedHonouringRetryAfter) {
  SendResult r = send({response(429, "", {{"Retry-After", "7"}}), response(503), accepted()},
                      batch_of({"{}"}));
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.attempts, 3);
  ASSERT_EQ(sleeps.size(), 2u);
  EXPECT_EQ(sleeps[0], Millis(7000));
  EXPECT_LE(sleeps[1], Millis(500));
}

TEST_F(LogsIngestionSenderTest, PersistentServerErrorsFailTheBatchNotTheRun) {
  SendResult r = send({response(500), response(500), response(500)}, batch_of({"{}", "{}"}));
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.fatal);
  ASSERT_EQ(r.failed.size(), 1u);
  EXPECT_EQ(r.failed[0].count, 2u);
  EXPECT_TRUE(r.failed[0].transient) << "the service's fault, not the records'";
  EXPECT_NE(r.error.find("after 3 attempts"), std::string::npos) << r.error;
}

TEST_F(LogsIngestionSenderTest, RefusedDataFailsAndTheRunGoesOn) {
  SendResult r = send({response(400, R"({"error":{"code":"RecordsTimeRangeIsMoreThan30Minutes",)"
                                     R"("message":"x"}})")},
                      batch_of({"{}"}));
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.fatal);
  EXPECT_EQ(requests.size(), 1u) << "not retried";
  EXPECT_NE(r.error.find("RecordsTimeRangeIsMoreThan30Minutes"), std::string::npos);
  ASSERT_EQ(r.failed.size(), 1u);
  EXPECT_FALSE(r.failed[0].transient) << "the records' own fault";
}

// One bad record must not fail the records posted with it (other
// messages', which would otherwise count towards their quarantine).
TEST_F(LogsIngestionSenderTest, ARefusedPartIsHalvedDownToTheRecordRefused) {
  RecordBatch batch = batch_of(records(4));
  const ScriptedReply refused = response(400, R"({"error":{"code":"InvalidPayload"}})");
  // [0..3] refused; [0,1] accepted; [2,3] refused; [2] accepted; [3] refused.
  SendResult r = send({refused, accepted(), refused, accepted(), refused}, batch);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.fatal);
  ASSERT_EQ(r.failed.size(), 1u);
  EXPECT_EQ(r.failed[0].first, 3u);
  EXPECT_EQ(r.failed[0].count, 1u);
  EXPECT_FALSE(r.failed[0].transient);
  EXPECT_NE(r.failed[0].error.find("InvalidPayload"), std::string::npos) << r.failed[0].error;
  EXPECT_EQ(bodies(),
            (std::vector<std::string>{batch.body, batch.slice(0, 2).body, batch.slice(2, 2).body,
                                      batch.slice(2, 1).body, batch.slice(3, 1).body}));
  EXPECT_TRUE(sleeps.empty()) << "a refusal is no reason to wait";
}

TEST_F(LogsIngestionSenderTest, HalvingRefusedPartsStopsAtItsBudget) {
  RecordBatch batch = batch_of(records(500));
  std::deque<ScriptedReply> replies(1 + kRefusalSplitRequests,
                                    response(400, R"({"error":{"code":"InvalidPayload"}})"));
  SendResult r = send(replies, batch);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(requests.size(), 1u + kRefusalSplitRequests);
  ASSERT_EQ(r.failed.size(), 1u) << "the refused parts join";
  EXPECT_EQ(r.failed[0].first, 0u);
  EXPECT_EQ(r.failed[0].count, 500u);
}

TEST_F(LogsIngestionSenderTest, RefusalsOfTheRequestItselfAreFatalAndSayWhatToFix) {
  struct Case {
    ScriptedReply reply;
    std::string fix;
  };
  std::vector<Case> cases = {
      {response(403, R"({"error":{"code":"OperationFailed","message":"The authentication token )"
                     R"(provided does not have access to ingest data"}})"),
       "the identity (fake identity) needs the Monitoring Metrics Publisher role on the data "
       "collection rule"},
      {response(404, R"({"error":{"code":"NotFound"}})"),
       "check the endpoint and the DCR's immutable ID"},
      {response(400, "", {{"x-ms-error-code", "InvalidStream"}}),
       "check the stream name and that the DCR declares it"},
      {response(400, R"({"error":{"code":"InvalidApiVersion"}})"), ""},
      {response(405), ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reply.status);
    SendResult r = send({c.reply}, batch_of({"{}"}));
    EXPECT_FALSE(r.ok);
    EXPECT_TRUE(r.fatal);
    EXPECT_EQ(requests.size(), 1u);
    EXPECT_NE(r.error.find("HTTP " + std::to_string(c.reply.status)), std::string::npos) << r.error;
    EXPECT_NE(r.error.find(c.fix), std::string::npos) << r.error;
    EXPECT_EQ(r.error.find('\n'), std::string::npos);
  }
}

TEST_F(LogsIngestionSenderTest, AFatalAnswerLeavesTheRestOfASplitBatchUnsent) {
  RecordBatch batch = batch_of(records(4));
  SendResult r = send({response(413), response(403)}, batch);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.fatal);
  EXPECT_EQ(requests.size(), 2u);
  ASSERT_EQ(r.failed.size(), 1u) << "the two halves' failures join";
  EXPECT_EQ(r.failed[0].first, 0u);
  EXPECT_EQ(r.failed[0].count, 4u);
}

TEST_F(LogsIngestionSenderTest, PartsAcceptedBeforeAFailureStayAccepted) {
  RecordBatch batch = batch_of(records(4));
  SendResult r = send({response(413), accepted(), response(403)}, batch);
  EXPECT_TRUE(r.fatal);
  ASSERT_EQ(r.failed.size(), 1u);
  EXPECT_EQ(r.failed[0].first, 2u);
  EXPECT_EQ(r.failed[0].count, 2u);
}

TEST_F(LogsIngestionSenderTest, UnreachableServiceIsFatal) {
  auto refused =
      test_support::transport_failure(make_error("connection refused", ErrorKind::kTransient));
  SendResult r = send({refused, refused, refused}, batch_of({"{}"}));
  EXPECT_TRUE(r.fatal);
  EXPECT_NE(r.error.find("connection refused"), std::string::npos);
}

TEST_F(LogsIngestionSenderTest, NoRetryStartsAfterTheDeadline) {
  retry.max_attempts = 10;
  retry.deadline = clock.now() + std::chrono::milliseconds(600);
  SendResult r = send({response(429, "", {{"Retry-After", "1"}})}, batch_of({"{}"}));
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.out_of_time);
  EXPECT_FALSE(r.fatal);
  EXPECT_NE(r.error.find("deadline"), std::string::npos) << r.error;

  clock.set(*retry.deadline);
  SendResult late = send({}, batch_of({"{}", "{}"}));
  EXPECT_TRUE(late.out_of_time);
  EXPECT_TRUE(requests.empty()) << "nothing is sent once the deadline has passed";
  ASSERT_EQ(late.failed.size(), 1u);
  EXPECT_EQ(late.failed[0].count, 2u);
}

// --- retries bounded by the run's deadline (la-post's default) ---

TEST_F(LogsIngestionSenderTest, UntilTheDeadlineAStormIsRiddenOut) {
  retry.max_attempts = kUntilDeadline;
  retry.deadline = clock.now() + std::chrono::minutes(5);
  SendResult r = send(test_support::storm_then(accepted()), batch_of({"{}", "{}"}));
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.attempts, 13);
  EXPECT_EQ(requests.size(), 13u);
}

// What no retry cures fails at once with a whole run's time left: 400, 403,
// 404, a 401 after the one refresh, a 413 for a single record.
TEST_F(LogsIngestionSenderTest, UntilTheDeadlineRefusalsStillFailAtOnce) {
  retry.max_attempts = kUntilDeadline;
  retry.deadline = clock.now() + std::chrono::minutes(5);
  struct Case {
    std::deque<ScriptedReply> replies;
    bool fatal;
  };
  const std::vector<Case> cases = {
      {{response(400, R"({"error":{"code":"InvalidPayload"}})")}, false},
      {{response(403, R"({"error":{"code":"OperationFailed"}})")}, true},
      {{response(404, R"({"error":{"code":"NotFound"}})")}, true},
      {{response(401), response(401)}, true},
      {{response(413)}, false}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.replies.front().status);
    sleeps.clear();
    SendResult r = send(c.replies, batch_of({"{}"}));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.fatal, c.fatal);
    EXPECT_FALSE(r.out_of_time);
    EXPECT_EQ(requests.size(), c.replies.size());
    EXPECT_TRUE(sleeps.empty());
  }
}

TEST_F(LogsIngestionSenderTest, TheDeadlineCutsTheRequestShort) {
  retry.deadline = clock.now() + std::chrono::seconds(90);
  ASSERT_TRUE(send({accepted()}, batch_of({"{}"})).ok);
  EXPECT_EQ(requests[0].timeout_ms, 90000);
}

// --- settings -------------------------------------------------------------

TEST(LogsIngestionTargetTest, DcrIdsStreamsScopesAndEndpoints) {
  EXPECT_TRUE(valid_dcr_id("dcr-000a00a000a00000a000000aa000a0aa"));
  EXPECT_TRUE(valid_dcr_id("dcr-00112233445566778899AABBCCDDEEFF"));
  for (const char* bad :
       {"", "dcr-", "dcr-0011223344556677889", "DCR-00112233445566778899aabbccddeeff",
        "dcr-00112233445566778899aabbccddeefg", "dcr-00112233445566778899aabbccddeeff0",
        "/subscriptions/x/resourceGroups/y/providers/Microsoft.Insights/dataCollectionRules/z",
        "my-dcr"})
    EXPECT_FALSE(valid_dcr_id(bad)) << bad;
  EXPECT_TRUE(valid_stream_name("Custom-Code42Logs_CL"));
  EXPECT_TRUE(valid_stream_name("Microsoft-Syslog"));
  for (const char* bad : {"", "Custom-", "Code42Logs_CL", "Custom-a/b", "Custom-a b", "Custom-é"})
    EXPECT_FALSE(valid_stream_name(bad)) << bad;
  EXPECT_TRUE(valid_token_scope(kMonitorScope));
  EXPECT_TRUE(valid_token_scope("https://monitor.azure.cn/.default"));
  for (const char* bad : {"", "https://monitor.azure.com", "monitor.azure.com/.default",
                          "http://monitor.azure.com/.default", "https:///.default"})
    EXPECT_FALSE(valid_token_scope(bad)) << bad;
  EXPECT_TRUE(check_logs_ingestion_endpoint("http://127.0.0.1:8080/prefix").ok());
  EXPECT_TRUE(
      check_logs_ingestion_endpoint("https://x.westeurope-1.ingest.monitor.azure.com").ok());
  for (const char* bad : {"", "ftp://x", "https://x/?a=b", "https://x/#f", "https://x y"})
    EXPECT_FALSE(check_logs_ingestion_endpoint(bad).ok()) << bad;
}

} // namespace
} // namespace c42::la
