#include "common/aws/aws_call.h"
#include "common/time_format.h"
#include "tests/unit/test_support.h"

#include <deque>
#include <gtest/gtest.h>
#include <set>
#include <string>
#include <vector>

namespace c42::aws {
namespace {

TimePoint at(const char* iso) {
  auto t = parse_iso8601(iso);
  EXPECT_TRUE(t.ok()) << iso;
  return t.ok() ? *t : TimePoint();
}

using test_support::ScriptedReply;
using FakeHttp = test_support::ScriptedHttp;

ScriptedReply status(long s, std::string body = "", HttpHeaders headers = {}) {
  return test_support::reply(s, std::move(body), std::move(headers));
}

// A connection that broke: no answer, worth another try.
ScriptedReply reset() {
  return test_support::transport_failure();
}

ScriptedReply timed_out() {
  return test_support::transport_failure(
      make_error("Operation timed out after 60000 milliseconds", ErrorKind::kTransient));
}

ScriptedReply aborted() {
  return test_support::transport_failure(make_error("cancelled", ErrorKind::kAborted));
}

class AwsCall : public testing::Test {
protected:
  AwsCall() : clock(at("2024-05-01T12:00:00Z")) {
    ctx = test_support::service_context(http, credentials, clock, "sqs");
    ctx.retry.max_attempts = 4;
    ctx.retry.base_delay = Millis(250);
    ctx.retry.max_delay = Millis(30000);
    // Sleeping only moves the fixed clock, so each attempt is signed later.
    ctx.sleeper = [this](Millis d) {
      sleeps.push_back(d);
      clock.set(clock.now() + d + std::chrono::seconds(1));
    };
    request.method = "POST";
    request.url = "https://sqs.us-east-1.amazonaws.com/";
    request.body = "{}";
    request.headers = {{"Content-Type", "application/x-amz-json-1.0"}};
  }

  std::vector<std::string> header_values(const char* name) const {
    std::vector<std::string> out;
    for (const HttpRequest& r : http.requests)
      out.push_back(find_header(r.headers, name).value_or(""));
    return out;
  }

  FakeHttp http;
  test_support::ScriptedCredentials credentials{"static", {test_support::example_credentials()}};
  FixedClock clock;
  std::vector<Millis> sleeps;
  ServiceContext ctx;
  HttpRequest request;
};

TEST_F(AwsCall, SuccessNeedsOneAttempt) {
  http.script = {status(200, "{\"ok\":1}")};
  auto outcome = call_with_retries(ctx, request, Signing::kSigV4);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->attempts, 1);
  EXPECT_EQ(outcome->response.status, 200);
  EXPECT_EQ(outcome->response.body, "{\"ok\":1}");
  EXPECT_TRUE(sleeps.empty());
  ASSERT_EQ(http.requests.size(), 1u);
  const HttpRequest& sent = http.requests[0];
  EXPECT_EQ(find_header(sent.headers, "X-Amz-Date"), "20240501T120000Z");
  auto auth = find_header(sent.headers, "Authorization");
  ASSERT_TRUE(auth.has_value());
  EXPECT_EQ(
      auth->rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/sqs/aws4_request", 0),
      0u)
      << *auth;
  // The caller's request is left as it was.
  EXPECT_FALSE(find_header(request.headers, "Authorization").has_value());
}

TEST_F(AwsCall, RetriesServerErrorsAndThrottling) {
  http.script = {status(500), status(503), status(429), status(200, "done")};
  auto outcome = call_with_retries(ctx, request, Signing::kSigV4);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->attempts, 4);
  EXPECT_EQ(outcome->response.status, 200);
  EXPECT_EQ(outcome->response.body, "done");
  ASSERT_EQ(sleeps.size(), 3u);
  // Full jitter under the exponential ceiling.
  EXPECT_LE(sleeps[0], Millis(250));
  EXPECT_LE(sleeps[1], Millis(500));
  EXPECT_LE(sleeps[2], Millis(1000));
}

// In a run with a deadline the call goes on through a storm far longer than
// six attempts, as long as the deadline leaves room.
TEST_F(AwsCall, UntilTheDeadlineRidesOutALongThrottlingStorm) {
  ctx.retry.max_attempts = kUntilDeadline;
  ctx.retry.deadline = clock.now() + std::chrono::hours(1);
  const std::string slow_down = "<Error><Code>SlowDown</Code><Message>Please reduce your request "
                                "rate.</Message></Error>";
  const std::string throttled = R"({"__type":"com.amazonaws.sqs#RequestThrottled"})";
  for (int i = 0; i < 10; ++i) {
    http.script.push_back(status(503, slow_down));
    http.script.push_back(status(400, throttled));
  }
  http.script.push_back(status(200, "done"));
  auto outcome = call_with_retries(ctx, request, Signing::kSigV4);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->attempts, 21);
  EXPECT_EQ(outcome->response.body, "done");
  EXPECT_LT(clock.now(), *ctx.retry.deadline);
}

// ... but a refusal no retry cures is answered at once, whatever the policy.
TEST_F(AwsCall, RefusalsAreNotRetriedUntilTheDeadlineEither) {
  ctx.retry.max_attempts = kUntilDeadline;
  ctx.retry.deadline = clock.now() + std::chrono::hours(1);
  const std::vector<std::pair<long, std::string>> refusals = {
      {403, "<Error><Code>AccessDenied</Code></Error>"},
      {404, "<Error><Code>NoSuchKey</Code></Error>"},
      {400, R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist"})"},
      {400, R"({"__type":"com.amazon.coral.validate#ValidationException"})"}};
  for (const auto& [code, body] : refusals) {
    http.requests.clear();
    http.script = {status(code, body), status(200)};
    auto outcome = call_with_retries(ctx, request, Signing::kSigV4);
    ASSERT_TRUE(outcome.ok()) << outcome.error().message;
    EXPECT_EQ(outcome->response.status, code) << "the refusal is the caller's to read";
    EXPECT_EQ(outcome->attempts, 1) << body;
    EXPECT_EQ(http.requests.size(), 1u) << body;
  }
  EXPECT_TRUE(sleeps.empty());
  http.script.clear();
}

// A tool told to stop (SIGTERM) does not sit out a two-minute Retry-After.
TEST_F(AwsCall, AStopRequestEndsTheWaitForARetry) {
  ctx.retry.deadline = clock.now() + std::chrono::hours(1);
  int looks = 0;
  ctx.cancelled = [&looks] { return ++looks > 3; };
  http.script = {status(503, "", {{"Retry-After", "120"}}), status(200)};
  auto outcome = call_with_retries(ctx, request, Signing::kSigV4);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().kind, ErrorKind::kAborted);
  EXPECT_NE(outcome.error().message.find("a stop was requested (after 1 attempt)"),
            std::string::npos)
      << outcome.error().message;
  EXPECT_EQ(http.requests.size(), 1u);
  Millis slept{0};
  for (Millis d : sleeps)
    slept += d;
  EXPECT_LE(slept, 3 * kStopCheckInterval);
  http.script.clear();
}

TEST_F(AwsCall, RetriesNetworkErrors) {
  http.script = {reset(), timed_out(), status(200)};
  auto outcome = call_with_retries(ctx, request, Signing::kSigV4);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->attempts, 3);
  EXPECT_EQ(sleeps.size(), 2u);
}

TEST_F(AwsCall, HonoursRetryAfter) {
  http.script = {status(503, "", {{"Retry-After", "7"}}), status(200)};
  auto outcome = call_with_retries(ctx, request, Signing::kSigV4);
  ASSERT_TRUE(outcome.ok());
  ASSERT_EQ(sleeps.size(), 1u);
  EXPECT_EQ(sleeps[0], Millis(7000));
}

TEST_F(AwsCall, HonoursRetryAfterAsHttpDate) {
  http.script = {status(429, "", {{"retry-after", "Wed, 01 May 2024 12:00:09 GMT"}}), status(200)};
  auto outcome = call_with_retries(ctx, request, Signing::kSigV4);
  ASSERT_TRUE(outcome.ok());
  ASSERT_EQ(sleeps.size(), 1u);
  EXPECT_EQ(sleeps[0], Millis(9000));
}

TEST_F(AwsCall, NeverRetriesClientErrors) {
  for (long s : {400L, 401L, 403L, 404L, 413L}) {
    http.requests.clear();
    sleeps.clear();
    http.script = {status(s, R"({"__type":"AccessDenied","message":"no"})"), status(200)};
    auto outcome = call_with_retries(ctx, request, Signing::kSigV4);
    ASSERT_TRUE(outcome.ok()) << s;
    EXPECT_EQ(outcome->attempts, 1) << s;
    EXPECT_EQ(outcome->response.status, s);
    EXPECT_EQ(http.requests.size(), 1u) << s;
    EXPECT_TRUE(sleeps.empty()) << s;
    http.script.clear();
  }
}

TEST_F(AwsCall, ReSignsEveryAttempt) {
  http.script = {status(500), reset(), status(503, "", {{"Retry-After", "3"}}), status(200)};
  auto outcome = call_with_retries(ctx, request, Signing::kSigV4);
  ASSERT_TRUE(outcome.ok());
  ASSERT_EQ(http.requests.size(), 4u);
  auto dates = header_values("X-Amz-Date");
  auto auths = header_values("Authorization");
  EXPECT_EQ(dates[0], "20240501T120000Z");
  EXPECT_EQ(std::set<std::string>(dates.begin(), dates.end()).size(), 4u);
  EXPECT_EQ(std::set<std::string>(auths.begin(), auths.end()).size(), 4u);
  // Each date is the clock's time when that attempt was made.
  TimePoint expected = at("2024-05-01T12:00:00Z");
  for (size_t i = 0; i < dates.size(); ++i) {
    EXPECT_EQ(dates[i], format_amz_date(expected)) << i;
    if (i < sleeps.size()) expected += sleeps[i] + std::chrono::seconds(1);
  }
  for (const HttpRequest& r : http.requests) {
    // One signature per request: an old Authorization is never carried along.
    int count = 0;
    for (const auto& [name, value] : r.headers)
      count += name == "Authorization";
    EXPECT_EQ(count, 1);
  }
  EXPECT_EQ(credentials.calls, 4);
}

// Statuses that retries did not cure end as an error like any other, so
// every caller's message names the attempts the same way.
TEST_F(AwsCall, GivesUpAfterMaxAttemptsDescribingTheLastResponse) {
  http.script = {status(503), status(503), status(500),
                 status(503, "<Error><Code>SlowDown</Code></Error>")};
  auto outcome = call_with_retries(ctx, request, Signing::kSigV4);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().message, "SlowDown (HTTP 503) (after 4 attempts)");
  EXPECT_EQ(outcome.error().kind, ErrorKind::kTransient);
  EXPECT_EQ(http.requests.size(), 4u);
  EXPECT_EQ(sleeps.size(), 3u); // no sleep after the last attempt
}

TEST_F(AwsCall, GivesUpAfterMaxAttemptsOfNetworkErrors) {
  ctx.retry.max_attempts = 3;
  http.script = {reset(), reset(), reset()};
  auto outcome = call_with_retries(ctx, request, Signing::kSigV4);
  ASSERT_FALSE(outcome.ok());
  EXPECT_NE(outcome.error().message.find("connection reset"), std::string::npos);
  EXPECT_NE(outcome.error().message.find("after 3 attempts"), std::string::npos)
      << outcome.error().message;
  EXPECT_EQ(http.requests.size(), 3u);
  EXPECT_EQ(sleeps.size(), 2u);
}

TEST_F(AwsCall, OneAttemptIsSingular) {
  ctx.retry.max_attempts = 1;
  http.script = {reset()};
  auto outcome = call_with_retries(ctx, request, Signing::kSigV4);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().message, "connection reset by peer (after 1 attempt)");
}

TEST_F(AwsCall, NetworkErrorOnTheLastAttemptIsAnError) {
  ctx.retry.max_attempts = 2;
  http.script = {status(503), reset()};
  auto outcome = call_with_retries(ctx, request, Signing::kSigV4);
  EXPECT_FALSE(outcome.ok());
}

TEST_F(AwsCall, AbortedTransferIsNotRetried) {
  http.script = {aborted(), status(200)};
  auto outcome = call_with_retries(ctx, request, Signing::kSigV4);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().kind, ErrorKind::kAborted);
  EXPECT_EQ(outcome.error().message, "cancelled");
  EXPECT_EQ(http.requests.size(), 1u);
  EXPECT_TRUE(sleeps.empty());
}

TEST_F(AwsCall, MissingCredentialsStopBeforeSending) {
  test_support::ScriptedCredentials none("broken", {make_error("no credentials here")});
  ctx.credentials = &none;
  http.script.clear();
  auto outcome = call_with_retries(ctx, request, Signing::kSigV4);
  ASSERT_FALSE(outcome.ok());
  EXPECT_NE(outcome.error().message.find("no credentials"), std::string::npos);
  EXPECT_TRUE(http.requests.empty());
}

TEST_F(AwsCall, S3ModeAddsThePayloadHash) {
  ctx.service = "s3";
  request.method = "GET";
  request.body.clear();
  request.url = "https://b.s3.us-east-1.amazonaws.com/k";
  http.script = {status(200)};
  ASSERT_TRUE(call_with_retries(ctx, request, Signing::kSigV4S3).ok());
  EXPECT_TRUE(find_header(http.requests[0].headers, "x-amz-content-sha256").has_value());
}

TEST_F(AwsCall, NoRetryOnceBodyBytesReachedTheSink) {
  std::string received;
  BodySink sink;
  sink.on_headers = [](const HttpResponse&) { return true; };
  sink.on_data = [&](const char* data, size_t size) {
    received.append(data, size);
    return true;
  };
  ScriptedReply broken = reset();
  broken.body = "partial";
  http.script = {broken, status(200)};
  auto outcome = call_with_retries(ctx, request, Signing::kSigV4S3, &sink);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().kind, ErrorKind::kFailed);
  EXPECT_EQ(received, "partial");
  EXPECT_EQ(http.requests.size(), 1u);
}

TEST_F(AwsCall, RetriesWithASinkWhileNothingWasDelivered) {
  BodySink sink;
  sink.on_headers = [](const HttpResponse&) { return true; };
  sink.on_data = [](const char*, size_t) { return true; };
  http.script = {reset(), status(200)};
  auto outcome = call_with_retries(ctx, request, Signing::kSigV4S3, &sink);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->attempts, 2);
}

// STS AssumeRoleWithWebIdentity is how a provider gets credentials: it goes
// out unsigned, with none to hand.
TEST_F(AwsCall, UnsignedCallsCarryNoSignatureAndNeedNoCredentials) {
  ctx.service = "sts";
  ctx.credentials = nullptr;
  request.url = "https://sts.amazonaws.com/";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  request.body = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&WebIdentityToken=t";
  http.script = {status(500), status(200, "<AssumeRoleWithWebIdentityResponse/>")};
  auto outcome = call_with_retries(ctx, request, Signing::kUnsigned);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->attempts, 2) << "retried like any call";
  ASSERT_EQ(http.requests.size(), 2u);
  for (const HttpRequest& sent : http.requests) {
    EXPECT_EQ(sent.headers, request.headers) << "nothing added: no Host, date, token or hash";
    for (const auto& [name, value] : sent.headers) {
      EXPECT_NE(name, "Authorization");
      EXPECT_NE(name.rfind("X-Amz-", 0), 0u) << name;
      EXPECT_NE(name.rfind("x-amz-", 0), 0u) << name;
    }
  }

  // A provider that is there is not asked either.
  test_support::ScriptedCredentials unused("unused", {make_error("must not be asked")});
  ctx.credentials = &unused;
  http.script = {status(200)};
  ASSERT_TRUE(call_with_retries(ctx, request, Signing::kUnsigned).ok());
  EXPECT_EQ(unused.calls, 0);
}

TEST_F(AwsCall, SignedCallsWithoutAProviderAreAConfigurationError) {
  ctx.credentials = nullptr;
  auto outcome = call_with_retries(ctx, request, Signing::kSigV4);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().kind, ErrorKind::kConfig);
  EXPECT_TRUE(http.requests.empty());
}

// --- parse_service_error / describe_service_error ---

// SQS answers throttling with HTTP 400 and a code; the SDKs retry on the
// code, and so do we. Other 400s stay permanent.
TEST_F(AwsCall, RetriesThrottlingCodesSentAsHttp400) {
  for (const char* type :
       {"com.amazonaws.sqs#RequestThrottled", "ThrottlingException", "KmsThrottled"}) {
    http.requests.clear();
    http.script = {status(400, std::string(R"({"__type":")") + type + R"(","message":"slow"})"),
                   status(200, "{}")};
    auto outcome = call_with_retries(ctx, request, Signing::kSigV4);
    ASSERT_TRUE(outcome.ok());
    EXPECT_EQ(outcome->response.status, 200) << type;
    EXPECT_EQ(http.requests.size(), 2u) << type;
  }
  // The query API's name for the error, in the header SQS adds.
  http.requests.clear();
  http.script = {
      status(400, "{}", {{"x-amzn-query-error", "AWS.SimpleQueueService.RequestThrottled;Sender"}}),
      status(200, "{}")};
  auto by_header = call_with_retries(ctx, request, Signing::kSigV4);
  ASSERT_TRUE(by_header.ok());
  EXPECT_EQ(by_header->response.status, 200);

  http.requests.clear();
  http.script = {status(400, R"({"__type":"com.amazonaws.sqs#InvalidParameterValue"})"),
                 status(200, "{}")};
  auto outcome = call_with_retries(ctx, request, Signing::kSigV4);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->response.status, 400);
  EXPECT_EQ(http.requests.size(), 1u);
  http.script.clear();
}

TEST_F(AwsCall, EachAttemptEndsByTheDeadline) {
  request.timeout_ms = 60000;
  ctx.retry.deadline = clock.now() + std::chrono::seconds(10);
  http.script = {status(200, "{}")};
  ASSERT_TRUE(call_with_retries(ctx, request, Signing::kSigV4).ok());
  ASSERT_EQ(http.requests.size(), 1u);
  EXPECT_EQ(http.requests[0].timeout_ms, 10000);
}

TEST_F(AwsCall, NoAttemptStartsAfterTheDeadline) {
  ctx.retry.deadline = clock.now() - std::chrono::seconds(1);
  http.script = {status(200, "{}")};
  auto outcome = call_with_retries(ctx, request, Signing::kSigV4);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().message, kDeadlinePassed);
  EXPECT_EQ(outcome.error().kind, ErrorKind::kOutOfTime);
  EXPECT_TRUE(http.requests.empty());
}

TEST_F(AwsCall, NoRetryThatWouldStartAfterTheDeadline) {
  ctx.retry.max_attempts = 10;
  ctx.retry.deadline = clock.now() + std::chrono::seconds(3);
  http.script = {reset(), reset(), reset(), reset()};
  auto outcome = call_with_retries(ctx, request, Signing::kSigV4);
  ASSERT_FALSE(outcome.ok());
  // Every retry moves the clock by its delay and a second: at most three
  // attempts fit in three seconds.
  EXPECT_LE(http.requests.size(), 3u);
  EXPECT_NE(outcome.error().message.find("deadline"), std::string::npos) << outcome.error().message;
  EXPECT_EQ(outcome.error().kind, ErrorKind::kOutOfTime);
}

TEST(ParseServiceError, JsonTypeWithNamespace) {
  ServiceError e = parse_service_error(
      400,
      R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."})");
  EXPECT_EQ(e.code, "QueueDoesNotExist");
  EXPECT_EQ(e.message, "The specified queue does not exist.");
}

TEST(ParseServiceError, JsonCapitalisedMessage) {
  ServiceError e =
      parse_service_error(400, R"({"__type":"InvalidParameterValue","Message":"bad"})");
  EXPECT_EQ(e.code, "InvalidParameterValue");
  EXPECT_EQ(e.message, "bad");
}

TEST(ParseServiceError, XmlCodeAndMessage) {
  ServiceError e = parse_service_error(
      403,
      "<?xml version=\"1.0\"?>\n<Error><Code>AccessDenied</Code>\n<Message>Access\nDenied</Message>"
      "<RequestId>X</RequestId></Error>");
  EXPECT_EQ(e.code, "AccessDenied");
  EXPECT_EQ(e.message, "Access Denied"); // flattened to one line
}

TEST(ParseServiceError, FallsBackToTheStatus) {
  ServiceError empty = parse_service_error(503, "");
  EXPECT_EQ(empty.code, "HTTP 503");
  EXPECT_EQ(empty.message, "");
  ServiceError html = parse_service_error(502, "<html><body>Bad Gateway</body></html>");
  EXPECT_EQ(html.code, "HTTP 502");
  ServiceError json_without_type = parse_service_error(500, R"({"message":"oops"})");
  EXPECT_EQ(json_without_type.code, "HTTP 500");
  EXPECT_EQ(json_without_type.message, "oops");
}

TEST(ParseServiceError, LongMessagesAreShortened) {
  ServiceError e = parse_service_error(400, "<Error><Code>X</Code><Message>" +
                                                std::string(2000, 'm') + "</Message></Error>");
  EXPECT_LT(e.message.size(), 400u);
  EXPECT_GE(e.message.size(), 300u);
}

TEST(DescribeServiceError, Forms) {
  EXPECT_EQ(describe_service_error(
                403, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"),
            "AccessDenied: Access Denied (HTTP 403)");
  EXPECT_EQ(describe_service_error(400, R"({"__type":"a#QueueDoesNotExist"})"),
            "QueueDoesNotExist (HTTP 400)");
  EXPECT_EQ(describe_service_error(500, ""), "HTTP 500");
  EXPECT_EQ(describe_service_error(500, R"({"message":"oops"})"), "HTTP 500: oops");
}

} // namespace
} // namespace c42::aws
