#include "common/aws/s3_client.h"
#include "common/aws/static_credentials_provider.h"
#include "common/crypto.h"
#include "common/time_format.h"
#include "tests/unit/test_support.h"

#include <cstdint>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace c42::aws {
namespace {

using test_support::reply;
using test_support::ScriptedReply;

const std::string kData = "line one\nline two\nline three\n"; // 29 bytes
const std::string kETag = "\"9b2cf535f27731c974343645a3985328\"";

std::string total() {
  return std::to_string(kData.size());
}

// The first GET: 200 with the whole object announced, broken off after
// `delivered` bytes (or complete when delivered is the object's size).
ScriptedReply first_part(size_t delivered, const std::string& etag = kETag) {
  HttpHeaders headers = {{"Content-Length", total()},
                         {"Last-Modified", "Wed, 01 May 2024 10:00:00 GMT"}};
  if (!etag.empty()) headers.emplace_back("ETag", etag);
  ScriptedReply r = reply(200, kData.substr(0, delivered), headers);
  if (delivered < kData.size()) r.failure = test_support::connection_reset();
  return r;
}

// A resumed GET answered as Range asks: 206 from `from` to the end.
ScriptedReply rest_from(size_t from, const std::string& etag = kETag) {
  HttpHeaders headers = {{"Content-Range", "bytes " + std::to_string(from) + "-" +
                                               std::to_string(kData.size() - 1) + "/" + total()},
                         {"Content-Length", std::to_string(kData.size() - from)}};
  if (!etag.empty()) headers.emplace_back("ETag", etag);
  return reply(206, kData.substr(from), headers);
}

class S3ClientTest : public testing::Test {
protected:
  S3ClientTest() : clock(TimePoint(std::chrono::seconds(1714564800))) {
    http.piece = 4; // bytes arrive in several on_data calls
    auto endpoint = parse_url("https://s3.us-east-1.amazonaws.com");
    EXPECT_TRUE(endpoint.ok());
    addressing.endpoint = *endpoint;
    addressing.path_style = true;
  }

  Result<S3GetResult> get(S3GetOptions options = {}) {
    ServiceContext ctx = test_support::service_context(http, credentials, clock, "s3");
    ctx.retry.max_attempts = max_attempts;
    ctx.retry.deadline = deadline;
    ctx.sleeper = [this](Millis d) {
      sleeps.push_back(d);
      clock.set(clock.now() + d);
    };
    ctx.cancelled = cancelled;
    S3Client client(ctx, addressing);
    return client.get_object("bkt", "dir/obj.json", options, [this](const char* data, size_t n) {
      received.append(data, n);
      return received.size() < stop_after;
    });
  }

  Status put(const std::string& body) {
    ServiceContext ctx = test_support::service_context(http, credentials, clock, "s3");
    ctx.retry.max_attempts = max_attempts;
    ctx.sleeper = [this](Millis d) { sleeps.push_back(d); };
    S3Client client(ctx, addressing);
    return client.put_object("bkt", "q/m 1.json", body, "application/json");
  }

  Result<ListObjectsPage> list(const ListObjectsRequest& request) {
    ServiceContext ctx = test_support::service_context(http, credentials, clock, "s3");
    ctx.retry.max_attempts = max_attempts;
    ctx.sleeper = [this](Millis d) { sleeps.push_back(d); };
    S3Client client(ctx, addressing);
    return client.list_objects_v2("bkt", request);
  }

  std::optional<std::string> header(size_t request, const char* name) const {
    if (request >= http.requests.size()) return std::nullopt;
    return find_header(http.requests[request].headers, name);
  }

  test_support::ScriptedHttp http;
  StaticCredentialsProvider credentials{test_support::example_credentials()};
  FixedClock clock;
  S3Addressing addressing;
  int max_attempts = 6;
  std::optional<TimePoint> deadline;
  size_t stop_after = SIZE_MAX; // the reader stops once it has this many bytes
  std::function<bool()> cancelled;
  std::vector<Millis> sleeps;
  std::string received;
};

TEST_F(S3ClientTest, WholeObjectInOneGet) {
  http.script = {first_part(kData.size())};
  auto r = get();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(received, kData);
  EXPECT_EQ(r->bytes, kData.size());
  EXPECT_EQ(r->resumes, 0);
  EXPECT_FALSE(r->skipped);
  ASSERT_EQ(http.requests.size(), 1u);
  EXPECT_FALSE(header(0, "Range").has_value());
  EXPECT_FALSE(header(0, "If-Match").has_value());
}

TEST_F(S3ClientTest, PutObjectSendsTheBodySignedWithItsHash) {
  http.script = {reply(200, "")};
  Status done = put("{\"a\":1}\n");
  ASSERT_TRUE(done.ok()) << done.error().message;
  ASSERT_EQ(http.requests.size(), 1u);
  EXPECT_EQ(http.requests[0].method, "PUT");
  EXPECT_EQ(http.requests[0].url, "https://s3.us-east-1.amazonaws.com/bkt/q/m%201.json");
  EXPECT_EQ(http.requests[0].body, "{\"a\":1}\n");
  EXPECT_EQ(header(0, "Content-Type"), "application/json");
  EXPECT_EQ(header(0, "x-amz-content-sha256"), sha256_hex("{\"a\":1}\n"));
  EXPECT_TRUE(header(0, "Authorization").has_value());
}

TEST_F(S3ClientTest, PutObjectRefusedIsAnErrorNamingTheObject) {
  http.script = {reply(403, "<Error><Code>AccessDenied</Code><Message>no</Message></Error>")};
  Status done = put("x");
  ASSERT_FALSE(done.ok());
  EXPECT_NE(done.error().message.find("s3://bkt/q/m 1.json"), std::string::npos);
  EXPECT_NE(done.error().message.find("AccessDenied"), std::string::npos);
}

TEST_F(S3ClientTest, PutObjectIsRetriedOnAServerFault) {
  http.script = {reply(503, ""), reply(200, "")};
  EXPECT_TRUE(put("x").ok());
  EXPECT_EQ(http.requests.size(), 2u);
}

// (a) A correct 206 continues exactly where the transfer stopped.
TEST_F(S3ClientTest, ResumeWithACorrect206DeliversEveryByteOnce) {
  for (size_t k : {1u, 9u, 12u, 28u}) {
    http.requests.clear();
    received.clear();
    http.script = {first_part(k), rest_from(k)};
    auto r = get();
    ASSERT_TRUE(r.ok()) << k << ": " << r.error().message;
    EXPECT_EQ(received, kData) << k;
    EXPECT_EQ(r->bytes, kData.size()) << k;
    EXPECT_EQ(r->resumes, 1) << k;
    ASSERT_EQ(http.requests.size(), 2u) << k;
    EXPECT_EQ(header(1, "Range"), "bytes=" + std::to_string(k) + "-") << k;
    EXPECT_EQ(header(1, "If-Match"), kETag) << k;
  }
}

// (b) A server that ignores Range sends the whole object again with 200:
// appending it would splice the half line and repeat everything before it.
TEST_F(S3ClientTest, FullBodyOnResumeFailsTheObject) {
  http.script = {first_part(12), reply(200, kData, {{"Content-Length", total()}, {"ETag", kETag}}),
                 rest_from(12)};
  auto r = get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(received, kData.substr(0, 12)) << "no byte of the 200 may reach on_data";
  EXPECT_NE(r.error().message.find("s3://bkt/dir/obj.json"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("did not honour the Range request"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("HTTP 200"), std::string::npos) << r.error().message;
  EXPECT_EQ(http.requests.size(), 2u) << "ignoring Range is not worth another try";
}

// (c) A 206 from anywhere but the first missing byte is refused too.
TEST_F(S3ClientTest, PartialContentFromTheWrongOffsetFailsTheObject) {
  const std::vector<HttpHeaders> wrong = {
      {{"Content-Range", "bytes 0-28/29"}, {"ETag", kETag}},
      {{"Content-Range", "bytes 11-28/29"}, {"ETag", kETag}},
      {{"Content-Range", "bytes 13-28/29"}, {"ETag", kETag}},
      {{"ETag", kETag}}, // no Content-Range at all
      {{"Content-Range", "bytes */29"}, {"ETag", kETag}},
      {{"Content-Range", "bytes 12-/29"}, {"ETag", kETag}},
      {{"Content-Range", "items 12-28/29"}, {"ETag", kETag}},
      {{"Content-Range", "bytes 12-28/29x"}, {"ETag", kETag}},
      {{"Content-Range", "bytes 012x-28/29"}, {"ETag", kETag}},
      {{"Content-Range", "bytes 99999999999999999999999-28/29"}, {"ETag", kETag}},
  };
  for (const HttpHeaders& headers : wrong) {
    std::string shown = headers.size() > 1 ? headers[0].second : "(none)";
    http.requests.clear();
    received.clear();
    http.script = {first_part(12), reply(206, kData, headers)};
    auto r = get();
    ASSERT_FALSE(r.ok()) << shown;
    EXPECT_EQ(received, kData.substr(0, 12)) << shown;
    EXPECT_NE(r.error().message.find("did not honour the Range request"), std::string::npos)
        << shown << ": " << r.error().message;
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos) << r.error().message;
    EXPECT_EQ(http.requests.size(), 2u) << shown;
  }
}

// A 206 that does start at the right byte, but of an object of another size
// or ETag, is of another version (a server ignoring If-Match).
TEST_F(S3ClientTest, PartialContentOfAnotherVersionFailsTheObject) {
  const std::vector<HttpHeaders> other = {
      {{"Content-Range", "bytes 12-33/34"}, {"ETag", kETag}},
      {{"Content-Range", "bytes 12-28/29"}, {"ETag", "\"another\""}},
  };
  for (const HttpHeaders& headers : other) {
    http.requests.clear();
    received.clear();
    http.script = {first_part(12), reply(206, kData.substr(12), headers)};
    auto r = get();
    ASSERT_FALSE(r.ok()) << headers[1].second;
    EXPECT_EQ(received, kData.substr(0, 12));
    EXPECT_NE(r.error().message.find("object changed while it was being read"), std::string::npos)
        << r.error().message;
  }
}

// (d) Without an ETag nothing pins the version the first bytes came from.
TEST_F(S3ClientTest, NoETagMeansNoResume) {
  http.script = {first_part(12, "")};
  auto r = get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(received, kData.substr(0, 12));
  EXPECT_EQ(http.requests.size(), 1u) << "no resume request may be sent";
  EXPECT_NE(r.error().message.find("s3://bkt/dir/obj.json"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("ETag"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("connection reset"), std::string::npos) << r.error().message;
}

// Before any byte was delivered a retry is a fresh GET, ETag or not.
TEST_F(S3ClientTest, NoETagIsFineWhileNothingWasDelivered) {
  http.script = {first_part(0, ""), first_part(kData.size(), "")};
  auto r = get();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(received, kData);
  ASSERT_EQ(http.requests.size(), 2u);
  EXPECT_FALSE(header(1, "Range").has_value());
}

// (e) Every byte arrived but the connection broke before the end was seen:
// the resume asks for nothing that exists, and that means done.
TEST_F(S3ClientTest, RangeNotSatisfiableAfterEveryByteIsSuccess) {
  ScriptedReply all_then_reset = first_part(kData.size());
  all_then_reset.failure = test_support::connection_reset();
  // Total known from the 416's Content-Range, from the first Content-Length,
  // or from both.
  const std::vector<HttpHeaders> answers = {
      {{"Content-Range", "bytes */29"}},
      {},
  };
  for (const HttpHeaders& headers : answers) {
    http.requests.clear();
    received.clear();
    http.script = {all_then_reset,
                   reply(416,
                         "<Error><Code>InvalidRange</Code><Message>The requested range is not "
                         "satisfiable</Message></Error>",
                         headers)};
    auto r = get();
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(received, kData);
    EXPECT_EQ(r->bytes, kData.size());
    ASSERT_EQ(http.requests.size(), 2u);
    EXPECT_EQ(header(1, "Range"), "bytes=29-");
  }
}

TEST_F(S3ClientTest, RangeNotSatisfiableAfterTheLastByteFromThe416Alone) {
  // A first response without Content-Length (chunked): the 416 tells.
  ScriptedReply chunked = reply(200, kData, {{"ETag", kETag}});
  chunked.failure = test_support::connection_reset();
  http.script = {chunked, reply(416, "", {{"Content-Range", "bytes */29"}})};
  auto r = get();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(received, kData);
}

TEST_F(S3ClientTest, RangeNotSatisfiableBeforeTheEndIsAnError) {
  http.script = {first_part(12), reply(416, "", {{"Content-Range", "bytes */29"}})};
  auto r = get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(received, kData.substr(0, 12));
  // Nothing says how long the object is: not provably finished.
  ScriptedReply chunked = reply(200, kData, {{"ETag", kETag}});
  chunked.failure = test_support::connection_reset();
  http.requests.clear();
  received.clear();
  http.script = {chunked, reply(416, "")};
  EXPECT_FALSE(get().ok());
}

// (f) Every resume is pinned to the ETag of the response the first byte came
// from, however many times the transfer breaks.
TEST_F(S3ClientTest, IfMatchCarriesTheFirstETag) {
  ScriptedReply middle = rest_from(10, "");
  middle.body = kData.substr(10, 10);
  middle.failure = test_support::connection_reset();
  http.script = {first_part(0, "\"v0\""), first_part(10, kETag), middle, rest_from(20)};
  auto r = get();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(received, kData);
  EXPECT_EQ(r->resumes, 2);
  ASSERT_EQ(http.requests.size(), 4u);
  EXPECT_FALSE(header(0, "If-Match").has_value());
  EXPECT_FALSE(header(1, "If-Match").has_value()) << "nothing delivered yet: a fresh GET";
  EXPECT_FALSE(header(1, "Range").has_value());
  EXPECT_EQ(header(2, "Range"), "bytes=10-");
  EXPECT_EQ(header(2, "If-Match"), kETag);
  EXPECT_EQ(header(3, "Range"), "bytes=20-");
  EXPECT_EQ(header(3, "If-Match"), kETag);
}

TEST_F(S3ClientTest, ObjectReplacedDuringTheTransferFails) {
  http.script = {first_part(12), reply(412, "<Error><Code>PreconditionFailed</Code></Error>", {})};
  auto r = get();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("object changed while it was being read"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(received, kData.substr(0, 12));
}

// --- error text ---

TEST_F(S3ClientTest, NetworkFailureNamesTheAttemptsOnce) {
  for (int i = 0; i < 6; ++i)
    http.script.push_back(test_support::transport_failure());
  auto r = get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "cannot get s3://bkt/dir/obj.json: connection reset by peer (after 6 attempts)");
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient);
  EXPECT_EQ(http.requests.size(), 6u);
  EXPECT_EQ(sleeps.size(), 5u);
}

TEST_F(S3ClientTest, OneAttemptIsSingular) {
  max_attempts = 1;
  http.script = {test_support::transport_failure()};
  auto r = get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "cannot get s3://bkt/dir/obj.json: connection reset by peer (after 1 attempt)");
}

TEST_F(S3ClientTest, ServerErrorsAreRetriedThenReported) {
  http.script = {reply(503, "<Error><Code>SlowDown</Code><Message>Reduce</Message></Error>"),
                 first_part(kData.size())};
  auto r = get();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(received, kData);

  max_attempts = 2;
  http.requests.clear();
  received.clear();
  http.script = {reply(500), reply(503, "<Error><Code>SlowDown</Code></Error>")};
  auto failed = get();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message,
            "cannot get s3://bkt/dir/obj.json: SlowDown (HTTP 503) (after 2 attempts)");
}

TEST_F(S3ClientTest, ClientErrorsAreNotRetried) {
  http.script = {
      reply(404, "<Error><Code>NoSuchKey</Code><Message>The key does not exist</Message></Error>")};
  auto r = get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "cannot get s3://bkt/dir/obj.json: NoSuchKey: The key does not exist (HTTP 404)");
  EXPECT_EQ(http.requests.size(), 1u);
}

// A termination request cancels the transfer; trying again would only be
// cancelled in turn, holding the tool up for every backoff.
TEST_F(S3ClientTest, CancelledTransferIsNotRetried) {
  http.script = {test_support::transport_failure(make_error("cancelled", ErrorKind::kAborted)),
                 first_part(kData.size())};
  auto r = get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "cannot get s3://bkt/dir/obj.json: cancelled");
  EXPECT_EQ(r.error().kind, ErrorKind::kAborted);
  EXPECT_EQ(http.requests.size(), 1u);
  EXPECT_TRUE(sleeps.empty());
  http.script.clear();
}

TEST_F(S3ClientTest, AReaderThatStopsIsNotResumed) {
  stop_after = 12;
  http.script = {first_part(kData.size()), rest_from(12)};
  auto r = get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "reading s3://bkt/dir/obj.json was stopped");
  EXPECT_EQ(r.error().kind, ErrorKind::kAborted);
  EXPECT_EQ(http.requests.size(), 1u);
  http.script.clear();
}

// A resumed 206 that breaks off too, after `delivered` more bytes.
ScriptedReply rest_broken_off(size_t from, size_t delivered) {
  ScriptedReply r = rest_from(from);
  r.body = r.body.substr(0, delivered);
  r.failure = test_support::connection_reset();
  return r;
}

// In a run with a deadline a body cut short again and again (a flaky proxy,
// a truncating middlebox) is resumed from where it stopped each time, far
// beyond six attempts, and every byte arrives once.
TEST_F(S3ClientTest, UntilTheDeadlineEveryTruncationIsResumed) {
  max_attempts = kUntilDeadline;
  deadline = clock.now() + std::chrono::hours(1);
  http.script = {first_part(2)};
  for (size_t at = 2; at < 22; at += 2)
    http.script.push_back(rest_broken_off(at, 2));
  http.script.push_back(rest_from(22));
  auto r = get();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(received, kData);
  EXPECT_EQ(r->resumes, 11);
  EXPECT_EQ(http.requests.size(), 12u);
  EXPECT_EQ(header(11, "Range"), "bytes=22-");
  EXPECT_EQ(header(11, "If-Match"), kETag);
}

TEST_F(S3ClientTest, AStopRequestEndsTheWaitForARetry) {
  deadline = clock.now() + std::chrono::hours(1);
  int looks = 0;
  cancelled = [&looks] { return ++looks > 2; };
  http.script = {reply(503, "<Error><Code>SlowDown</Code></Error>", {{"Retry-After", "60"}}),
                 first_part(kData.size())};
  auto r = get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kAborted);
  EXPECT_EQ(r.error().message, "cannot get s3://bkt/dir/obj.json: SlowDown (HTTP 503); not "
                               "retried: a stop was requested (after 1 attempt)");
  EXPECT_EQ(http.requests.size(), 1u);
  http.script.clear();
}

TEST_F(S3ClientTest, HonoursRetryAfter) {
  http.script = {reply(503, "<Error><Code>SlowDown</Code></Error>", {{"Retry-After", "3"}}),
                 first_part(kData.size())};
  auto r = get();
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(sleeps.size(), 1u);
  EXPECT_EQ(sleeps[0], Millis(3000));
}

TEST_F(S3ClientTest, NothingIsSentOnceTheDeadlineHasPassed) {
  deadline = clock.now();
  auto r = get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "cannot get s3://bkt/dir/obj.json: the run's deadline has passed");
  EXPECT_EQ(r.error().kind, ErrorKind::kOutOfTime);
  EXPECT_TRUE(http.requests.empty());
}

// --- modified_since ---

TEST_F(S3ClientTest, OlderObjectIsSkippedWithoutData) {
  S3GetOptions options;
  options.modified_since = parse_iso8601("2024-05-02T00:00:00Z").value();
  http.script = {first_part(kData.size())}; // Last-Modified 2024-05-01T10:00:00Z
  auto r = get(options);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->skipped);
  EXPECT_TRUE(received.empty());
  EXPECT_EQ(header(0, "If-Modified-Since"), "Wed, 01 May 2024 23:59:59 GMT");
}

TEST_F(S3ClientTest, NotModifiedIsSkipped) {
  S3GetOptions options;
  options.modified_since = parse_iso8601("2024-05-02T00:00:00Z").value();
  http.script = {reply(304)};
  auto r = get(options);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->skipped);
}

// --- ListObjectsV2 ---

// A ListBucketResult as S3 sends it with encoding-type=url: keys encoded
// like a form, '+' for a space.
const std::string kListPage =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>bkt</Name><Prefix>in%2F</Prefix><KeyCount>3</KeyCount><MaxKeys>3</MaxKeys>"
    "<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>"
    "<Contents><Key>in%2Fa+b%2Bc.gz</Key><LastModified>2026-11-01T10:00:00.000Z</LastModified>"
    "<ETag>&quot;abc&quot;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>"
    "<Contents><Key>in%2F%C3%A9t%C3%A9%0Aline%26amp</Key>"
    "<LastModified>2026-11-01T11:00:00.500Z</LastModified><ETag>&quot;d&quot;</ETag>"
    "<Size>0</Size></Contents>"
    "<Contents><Key>in/plain</Key><LastModified>2026-11-02T00:00:00.000Z</LastModified>"
    "<Size>7</Size></Contents>"
    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
    "</ListBucketResult>";

TEST_F(S3ClientTest, ListObjectsV2AsksForUrlEncodedKeysAfterStartAfter) {
  http.script = {reply(200, kListPage)};
  ListObjectsRequest request;
  request.prefix = "in/";
  request.start_after = "in/0 a+b";
  request.max_keys = 3;
  auto page = list(request);
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(http.requests.size(), 1u);
  EXPECT_EQ(http.requests[0].method, "GET");
  EXPECT_EQ(http.requests[0].url,
            "https://s3.us-east-1.amazonaws.com/bkt?list-type=2&encoding-type=url&max-keys=3"
            "&prefix=in%2F&start-after=in%2F0%20a%2Bb");
  EXPECT_TRUE(find_header(http.requests[0].headers, "Authorization").has_value());
  ASSERT_EQ(page->objects.size(), 3u);
  EXPECT_EQ(page->objects[0].key, "in/a b+c.gz");
  EXPECT_EQ(page->objects[0].etag, "\"abc\"");
  EXPECT_EQ(page->objects[0].size, 12u);
  EXPECT_EQ(page->objects[0].last_modified, parse_iso8601("2026-11-01T10:00:00Z").value());
  EXPECT_EQ(page->objects[1].key, "in/\xc3\xa9t\xc3\xa9\nline&amp");
  EXPECT_EQ(page->objects[1].last_modified, parse_iso8601("2026-11-01T11:00:00.500Z").value());
  EXPECT_EQ(page->objects[2].key, "in/plain");
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST_F(S3ClientTest, ListObjectsV2ContinuesWithTheTokenAlone) {
  http.script = {reply(200, "<ListBucketResult><IsTruncated>false</IsTruncated>"
                            "</ListBucketResult>")};
  ListObjectsRequest request;
  request.start_after = "ignored once a token is given";
  request.continuation_token = "a/b+c=";
  auto page = list(request);
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(http.requests[0].url,
            "https://s3.us-east-1.amazonaws.com/bkt?list-type=2&encoding-type=url&max-keys=1000"
            "&continuation-token=a%2Fb%2Bc%3D");
  EXPECT_TRUE(page->objects.empty());
  EXPECT_FALSE(page->truncated);
}

TEST_F(S3ClientTest, ListObjectsV2VirtualHostedAddressesTheBucketInTheHost) {
  addressing.path_style = false;
  http.script = {reply(200, "<ListBucketResult><IsTruncated>false</IsTruncated>"
                            "</ListBucketResult>")};
  ASSERT_TRUE(list(ListObjectsRequest{}).ok());
  EXPECT_EQ(http.requests[0].url, "https://bkt.s3.us-east-1.amazonaws.com/"
                                  "?list-type=2&encoding-type=url&max-keys=1000");
}

TEST_F(S3ClientTest, ListObjectsV2RefusalIsNotRetriedAndNamesTheListing) {
  http.script = {reply(403, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message>"
                            "</Error>")};
  ListObjectsRequest request;
  request.prefix = "in/";
  auto page = list(request);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(http.requests.size(), 1u);
  EXPECT_NE(page.error().message.find("cannot list s3://bkt/in/: AccessDenied"), std::string::npos)
      << page.error().message;
}

TEST_F(S3ClientTest, ListObjectsV2ServerErrorsAreRetried) {
  http.script = {reply(503), reply(200, "<ListBucketResult><IsTruncated>false</IsTruncated>"
                                        "</ListBucketResult>")};
  ASSERT_TRUE(list(ListObjectsRequest{}).ok());
  EXPECT_EQ(http.requests.size(), 2u);
}

TEST(ParseListObjectsV2Test, RefusesWhatCannotBeFollowed) {
  EXPECT_FALSE(parse_list_objects_v2("<Error><Code>x</Code></Error>").ok());
  // Truncated without a token: no next page could be asked for.
  EXPECT_FALSE(
      parse_list_objects_v2("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>")
          .ok());
  EXPECT_FALSE(parse_list_objects_v2("<ListBucketResult><EncodingType>url</EncodingType>"
                                     "<Contents><Key>bad%zz</Key></Contents></ListBucketResult>")
                   .ok());
  EXPECT_FALSE(parse_list_objects_v2("<ListBucketResult><Contents><Key>k</Key>"
                                     "<LastModified>yesterday</LastModified></Contents>"
                                     "</ListBucketResult>")
                   .ok());
  // Without EncodingType the keys are taken as they are.
  auto raw = parse_list_objects_v2(
      "<ListBucketResult><Contents><Key>a+b%41</Key></Contents></ListBucketResult>");
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->objects[0].key, "a+b%41");
}

} // namespace
} // namespace c42::aws
