#include "common/aws/static_credentials_provider.h"
#include "common/aws/sts_client.h"
#include "common/aws/xml_text.h"
#include "common/time_format.h"
#include "tests/unit/test_support.h"

#include <gtest/gtest.h>
#include <string>

namespace c42::aws {
namespace {

using test_support::reply;
using test_support::ScriptedHttp;

const char* const kToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzaGlwcGVyIn0.c2lnbmF0dXJl";
const char* const kRole = "arn:aws:iam::123456789012:role/c42-shipper";

// The shape of the API reference's example reply.
const char* const kAssumed =
    R"(<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:c42:shipper</SubjectFromWebIdentityToken>
    <Audience>api://c42-ship</Audience>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/c42-shipper/c42-ship-1</Arn>
      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:c42-ship-1</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE</SessionToken>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <Expiration>2024-05-01T13:00:00Z</Expiration>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
    </Credentials>
    <Provider>https://login.example/tenant/v2.0</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>)";

std::string sts_error(const std::string& code, const std::string& message) {
  return R"(<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>)" +
         code + "</Code><Message>" + message +
         "</Message></Error><RequestId>r-1</RequestId></ErrorResponse>";
}

TimePoint at(const char* iso) {
  return parse_iso8601(iso).value();
}

// --- xml_text ---

TEST(AwsXml, FindsAnElementsTextByName) {
  const std::string xml = R"(<R xmlns="x"><ArnList>no</ArnList><Arn>a</Arn><Empty/><Spaced
    attr="1">s</Spaced></R>)";
  EXPECT_EQ(xml_text(xml, "Arn"), "a"); // not <ArnList>
  EXPECT_EQ(xml_text(xml, "Empty"), "");
  EXPECT_EQ(xml_text(xml, "Spaced"), "s");
  EXPECT_EQ(xml_text(xml, "R").value().substr(0, 9), "<ArnList>");
  EXPECT_EQ(xml_text(xml, "Missing"), std::nullopt);
  EXPECT_EQ(xml_text("<A>unterminated", "A"), std::nullopt);
}

TEST(AwsXml, DecodesEntitiesAndCharacterReferences) {
  EXPECT_EQ(xml_text("<M>a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; &#65;&#x42;&#xe9;</M>", "M"),
            "a <b> & \"c\" 'd' AB\xc3\xa9");
  // What is not an entity stays as it came.
  EXPECT_EQ(xml_text("<M>&bogus; & &#0; &#xD800;</M>", "M"), "&bogus; & &#0; &#xD800;");
}

// --- AssumeRoleWithWebIdentity ---

class StsWebIdentity : public testing::Test {
protected:
  StsWebIdentity() : clock(at("2024-05-01T12:00:00Z")) {
    ctx.http = &http;
    ctx.clock = &clock;
    ctx.region = "eu-west-1";
    ctx.service = "sts";
    ctx.retry.max_attempts = 3;
    ctx.sleeper = [](Millis) {};
    request.role_arn = kRole;
    request.session_name = "c42-ship-1";
    request.token = kToken;
    request.token_origin = "the token in AWS_WEB_IDENTITY_TOKEN_FILE (/run/token)";
  }

  Result<AssumedRole> assume() {
    StsClient sts(ctx, parse_url("https://sts.eu-west-1.amazonaws.com").value());
    return sts.assume_role_with_web_identity(request);
  }

  ScriptedHttp http;
  FixedClock clock;
  ServiceContext ctx; // no credentials: the call is unsigned
  WebIdentityRequest request;
};

TEST_F(StsWebIdentity, SendsTheDocumentedUnsignedQueryRequest) {
  http.script.push_back(reply(200, kAssumed));
  ASSERT_TRUE(assume().ok());
  ASSERT_EQ(http.requests.size(), 1u);
  const HttpRequest& sent = http.requests[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, "https://sts.eu-west-1.amazonaws.com/");
  EXPECT_EQ(find_header(sent.headers, "Content-Type"),
            "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(sent.body, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15"
                       "&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fc42-shipper"
                       "&RoleSessionName=c42-ship-1&WebIdentityToken=" +
                           std::string(kToken));
  // Unsigned: no SigV4 header of any kind.
  for (const char* header :
       {"Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-Sha256"})
    EXPECT_FALSE(find_header(sent.headers, header).has_value()) << header;
}

TEST_F(StsWebIdentity, ReadsCredentialsAndIdentityFromTheReply) {
  http.script.push_back(reply(200, kAssumed));
  auto role = assume();
  ASSERT_TRUE(role.ok()) << role.error().message;
  EXPECT_EQ(role->credentials.access_key_id, "ASIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(role->credentials.secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
  EXPECT_EQ(role->credentials.session_token, "AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE");
  EXPECT_EQ(role->credentials.expiration, at("2024-05-01T13:00:00Z"));
  EXPECT_EQ(role->arn, "arn:aws:sts::123456789012:assumed-role/c42-shipper/c42-ship-1");
  EXPECT_EQ(role->subject, "system:serviceaccount:c42:shipper");
  EXPECT_EQ(role->audience, "api://c42-ship");
  EXPECT_EQ(role->provider, "https://login.example/tenant/v2.0");
}

struct Refusal {
  long status;
  const char* code;
  const char* fix; // a phrase of the fix the message must give
};

TEST_F(StsWebIdentity, EachDocumentedRefusalSaysWhatToFixOnceAndNeverShowsTheToken) {
  const Refusal refusals[] = {
      {400, "InvalidIdentityToken", "IAM OIDC provider that lists the token's audience"},
      {400, "ExpiredTokenException", "renew the token"},
      {403, "AccessDenied", "trust policy must allow sts:AssumeRoleWithWebIdentity"},
      {403, "IDPRejectedClaim", "trust policy must allow"},
      {403, "RegionDisabledException", "activate it in the IAM account settings"},
      {400, "ValidationError", "check the role ARN"},
      {400, "PackedPolicyTooLarge", "STS refused AssumeRoleWithWebIdentity for"},
  };
  for (const Refusal& r : refusals) {
    SCOPED_TRACE(r.code);
    http.requests.clear();
    // A careless service might echo what it was sent.
    http.script.push_back(reply(r.status, sts_error(r.code, std::string("bad ") + kToken)));
    auto result = assume();
    ASSERT_FALSE(result.ok());
    const std::string& message = result.error().message;
    EXPECT_NE(message.find(r.code), std::string::npos) << message;
    EXPECT_NE(message.find(r.fix), std::string::npos) << message;
    EXPECT_NE(message.find("HTTP " + std::to_string(r.status)), std::string::npos) << message;
    EXPECT_EQ(message.find(kToken), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos);
    EXPECT_EQ(result.error().kind, ErrorKind::kFailed);
    EXPECT_EQ(http.requests.size(), 1u); // a refusal is not retried
  }
}

TEST_F(StsWebIdentity, TheTokensOriginIsNamed) {
  http.script.push_back(reply(400, sts_error("InvalidIdentityToken", "Incorrect token audience")));
  auto result = assume();
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find(
                "STS refused the token in AWS_WEB_IDENTITY_TOKEN_FILE (/run/token) "
                "(InvalidIdentityToken: Incorrect token audience (HTTP 400))"),
            std::string::npos)
      << result.error().message;
}

TEST_F(StsWebIdentity, IdpCommunicationErrorIsRetriedAsDocumented) {
  http.script.push_back(reply(400, sts_error("IDPCommunicationError", "timed out")));
  http.script.push_back(reply(200, kAssumed));
  auto role = assume();
  ASSERT_TRUE(role.ok()) << role.error().message;
  EXPECT_EQ(http.requests.size(), 2u);
}

TEST_F(StsWebIdentity, AnUnreachableStsIsTriedTheContextsAttemptsAndNamed) {
  for (int i = 0; i < 3; ++i)
    http.script.push_back(test_support::transport_failure());
  auto result = assume();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(http.requests.size(), 3u);
  EXPECT_NE(result.error().message.find(
                "STS AssumeRoleWithWebIdentity at https://sts.eu-west-1.amazonaws.com failed"),
            std::string::npos)
      << result.error().message;
  EXPECT_NE(result.error().message.find("(after 3 attempts)"), std::string::npos);
}

TEST_F(StsWebIdentity, RepliesWithoutCredentialsOrWithABadExpirationAreUnreadable) {
  http.script.push_back(reply(200, "<AssumeRoleWithWebIdentityResult/>"));
  http.script.push_back(
      reply(200, std::string(kAssumed).replace(std::string(kAssumed).find("2024-05-01T13:00:00Z"),
                                               20, "tomorrow")));
  auto missing = assume();
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("unreadable response: no Credentials"), std::string::npos);
  auto bad_date = assume();
  ASSERT_FALSE(bad_date.ok());
  EXPECT_NE(bad_date.error().message.find("Expiration 'tomorrow'"), std::string::npos);
  EXPECT_EQ(bad_date.error().message.find("wJalrXUtnFEMI"), std::string::npos);
}

TEST_F(StsWebIdentity, AnEchoedTokenInAQuotedFieldIsRedactedAndTheQuoteStaysOneLine) {
  const std::string echoed = std::string(kToken) + "\n" + std::string(kToken);
  http.script.push_back(
      reply(200, std::string(kAssumed).replace(std::string(kAssumed).find("2024-05-01T13:00:00Z"),
                                               20, echoed)));
  auto result = assume();
  ASSERT_FALSE(result.ok());
  const std::string& message = result.error().message;
  EXPECT_NE(message.find("Expiration '[token]"), std::string::npos) << message;
  EXPECT_EQ(message.find(std::string(kToken).substr(0, 12)), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

// --- GetCallerIdentity ---

TEST(StsCallerIdentity, IsSignedForStsAndReadsTheIdentity) {
  ScriptedHttp http;
  FixedClock clock(at("2024-05-01T12:00:00Z"));
  StaticCredentialsProvider credentials(test_support::example_credentials());
  auto ctx = test_support::service_context(http, credentials, clock, "sts", "eu-west-1");
  http.script.push_back(
      reply(200, R"(<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:sts::123456789012:assumed-role/c42-shipper/c42-ship-1</Arn>
    <UserId>AROACLKWSDQRAOEXAMPLE:c42-ship-1</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
</GetCallerIdentityResponse>)"));
  StsClient sts(ctx, parse_url("https://sts.eu-west-1.amazonaws.com").value());
  auto identity = sts.get_caller_identity();
  ASSERT_TRUE(identity.ok()) << identity.error().message;
  EXPECT_EQ(identity->arn, "arn:aws:sts::123456789012:assumed-role/c42-shipper/c42-ship-1");
  EXPECT_EQ(identity->account, "123456789012");
  EXPECT_EQ(identity->user_id, "AROACLKWSDQRAOEXAMPLE:c42-ship-1");
  const HttpRequest& sent = http.requests.at(0);
  EXPECT_EQ(sent.body, "Action=GetCallerIdentity&Version=2011-06-15");
  std::string authorization = find_header(sent.headers, "Authorization").value_or("");
  EXPECT_NE(authorization.find("Credential=AKIDEXAMPLE/20240501/eu-west-1/sts/aws4_request"),
            std::string::npos)
      << authorization;
}

TEST(StsCallerIdentity, ARefusalIsDescribed) {
  ScriptedHttp http;
  FixedClock clock(at("2024-05-01T12:00:00Z"));
  StaticCredentialsProvider credentials(test_support::example_credentials());
  auto ctx = test_support::service_context(http, credentials, clock, "sts");
  http.script.push_back(
      reply(403, sts_error("InvalidClientTokenId", "The security token included "
                                                   "in the request is invalid.")));
  StsClient sts(ctx, parse_url("https://sts.us-east-1.amazonaws.com").value());
  auto identity = sts.get_caller_identity();
  ASSERT_FALSE(identity.ok());
  EXPECT_EQ(identity.error().message,
            "STS GetCallerIdentity failed: InvalidClientTokenId: The security token included in "
            "the request is invalid. (HTTP 403)");
}

// --- endpoint ---

TEST(StsEndpoint, FollowsTheSameConventionsAsSqsAndS3) {
  MapEnvironment env;
  EXPECT_EQ(resolve_sts_endpoint(env, "eu-west-1")->origin(),
            "https://sts.eu-west-1.amazonaws.com");
  env.set("AWS_ENDPOINT_URL", "http://127.0.0.1:4566");
  EXPECT_EQ(resolve_sts_endpoint(env, "eu-west-1")->origin(), "http://127.0.0.1:4566");
  env.set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:5000");
  EXPECT_EQ(resolve_sts_endpoint(env, "eu-west-1")->origin(), "http://127.0.0.1:5000");
  env.set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
  EXPECT_EQ(resolve_sts_endpoint(env, "eu-west-1")->origin(),
            "https://sts.eu-west-1.amazonaws.com");
  env.set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "");
  env.set("AWS_ENDPOINT_URL_STS", "not a url");
  auto bad = resolve_sts_endpoint(env, "eu-west-1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kConfig);
}

} // namespace
} // namespace c42::aws
