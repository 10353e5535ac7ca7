// The two sources that ask a local endpoint: container credentials and
// EC2 instance metadata (IMDSv2).
#include "common/aws/container_credentials_provider.h"
#include "common/aws/imds_credentials_provider.h"
#include "common/time_format.h"
#include "tests/unit/credentials_support.h"

#include <gtest/gtest.h>

namespace c42::aws {
namespace {

using test_support::contains;
using test_support::reply;
using test_support::ScratchDir;
using test_support::SharedScriptedHttp;
using State = SourceSetup::State;

const char* const kEndpointCredentials =
    R"({"AccessKeyId": "ASIAENDPOINT", "SecretAccessKey": "endpoint-secret", "Token": "endpoint-token", "Expiration": "2024-05-01T18:00:00Z", "RoleArn": "arn:aws:iam::1:role/r"})";

class Container : public testing::Test {
protected:
  Container() : clock(parse_iso8601("2024-05-01T12:00:00Z").value()) {}
  ContainerCredentialsProvider provider() {
    return ContainerCredentialsProvider(env, test_support::network(peer, clock));
  }

  ScratchDir dir;
  MapEnvironment env;
  FixedClock clock;
  SharedScriptedHttp peer;
};

TEST(ContainerHosts, OnlyTheDocumentedHostsMayBeReachedOverHttp) {
  for (const char* allowed : {"127.0.0.1", "127.10.20.30", "localhost", "::1", "169.254.170.2",
                              "169.254.170.23", "fd00:ec2::23", "fd00:ec2:0::23"})
    EXPECT_TRUE(container_host_allowed(allowed)) << allowed;
  for (const char* refused : {"10.0.0.1", "169.254.169.254", "128.0.0.1", "example.com",
                              "localhost.example.com", "fd00:ec2::24", "::2", ""})
    EXPECT_FALSE(container_host_allowed(refused)) << refused;
}

TEST_F(Container, SetupIsAbsentReadyOrBrokenByTheUriVariables) {
  EXPECT_EQ(provider().setup().state, State::kAbsent);
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://10.0.0.5/creds");
  SourceSetup setup = provider().setup();
  EXPECT_EQ(setup.state, State::kBroken);
  EXPECT_TRUE(contains(setup.detail, "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http "
                                     "to a loopback address, 169.254.170.2, 169.254.170.23 or "
                                     "fd00:ec2::23 (not 10.0.0.5)"))
      << setup.detail;
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "https://creds.example.com/v1");
  EXPECT_EQ(source_label(provider().name(), provider().setup()),
            "container (AWS_CONTAINER_CREDENTIALS_FULL_URI)");
  env.set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "v2/credentials");
  EXPECT_TRUE(contains(provider().setup().detail, "must be a path starting with '/'"));
  env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir.path() + "/missing");
  env.set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials");
  EXPECT_TRUE(
      contains(provider().setup().detail, "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"));
  EXPECT_EQ(peer.clients, 0);
}

TEST_F(Container, TheRelativeUriGoesToTheEcsEndpointAndWins) {
  env.set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc?x=1");
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/ignored");
  peer.http.script.push_back(reply(200, kEndpointCredentials));
  auto c = provider().get_credentials();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->access_key_id, "ASIAENDPOINT");
  EXPECT_EQ(c->secret_access_key, "endpoint-secret");
  EXPECT_EQ(c->session_token, "endpoint-token");
  EXPECT_EQ(c->expiration, parse_iso8601("2024-05-01T18:00:00Z").value());
  const HttpRequest& sent = peer.http.requests.at(0);
  EXPECT_EQ(sent.method, "GET");
  EXPECT_EQ(sent.url, "http://169.254.170.2/v2/credentials/abc?x=1");
  EXPECT_FALSE(find_header(sent.headers, "Authorization"));
  EXPECT_EQ(sent.connect_timeout_ms, 2000);
}

TEST_F(Container, TheTokenFileWinsOverTheTokenAndIsReadAfreshEachTime) {
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:8080/creds");
  env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "from-variable");
  env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir.write("token", "from-file-1\n"));
  auto p = provider();
  peer.http.script.push_back(reply(200, kEndpointCredentials));
  ASSERT_TRUE(p.get_credentials().ok());
  dir.write("token", "from-file-2");
  peer.http.script.push_back(reply(200, kEndpointCredentials));
  ASSERT_TRUE(p.get_credentials().ok());
  EXPECT_EQ(find_header(peer.http.requests.at(0).headers, "Authorization"), "from-file-1");
  EXPECT_EQ(find_header(peer.http.requests.at(1).headers, "Authorization"), "from-file-2");
  EXPECT_EQ(peer.http.requests.at(0).url, "http://127.0.0.1:8080/creds");
  env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "");
  peer.http.script.push_back(reply(200, kEndpointCredentials));
  ASSERT_TRUE(p.get_credentials().ok());
  EXPECT_EQ(find_header(peer.http.requests.at(2).headers, "Authorization"), "from-variable");
}

TEST_F(Container, ATokenThatWouldBreakTheHeaderIsRefused) {
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:8080/creds");
  env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "a\r\nX-Injected: 1");
  EXPECT_TRUE(contains(provider().setup().detail, "holds a line break"));
  EXPECT_FALSE(provider().get_credentials().ok());
  EXPECT_TRUE(peer.http.requests.empty());
}

TEST_F(Container, RefusalsAndFailuresNameTheEndpointNotTheToken) {
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://localhost:8080/creds");
  env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-token");
  peer.http.script.push_back(reply(401, R"({"code": "Unauthorized", "message": "bad token"})"));
  auto refused = provider().get_credentials();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message,
            "the endpoint in AWS_CONTAINER_CREDENTIALS_FULL_URI (http://localhost:8080) refused "
            "the request (Unauthorized: bad token (HTTP 401)): check "
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or AWS_CONTAINER_AUTHORIZATION_TOKEN");
  for (int i = 0; i < 3; ++i)
    peer.http.script.push_back(reply(500, "{}"));
  auto failed = provider().get_credentials();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(peer.http.requests.size(), 4u); // three attempts for the 500s
  peer.http.script.push_back(reply(200, "not json container-token"));
  auto garbled = provider().get_credentials();
  ASSERT_FALSE(garbled.ok());
  EXPECT_FALSE(contains(garbled.error().message, "container-token"));
}

// --- IMDSv2 ---

class Imds : public testing::Test {
protected:
  Imds() : clock(parse_iso8601("2024-05-01T12:00:00Z").value()) {}
  ImdsCredentialsProvider provider() {
    return ImdsCredentialsProvider(env, test_support::network(peer, clock));
  }
  void script_success() {
    peer.http.script.push_back(reply(200, "imds-session-token"));
    peer.http.script.push_back(reply(200, "c42-instance-role\n"));
    peer.http.script.push_back(
        reply(200, R"({"Code": "Success", "LastUpdated": "2024-05-01T11:00:00Z", "Type": "AWS-HMAC",
"AccessKeyId": "ASIAIMDS", "SecretAccessKey": "imds-secret", "Token": "imds-token",
"Expiration": "2024-05-01T18:00:00Z"})"));
  }

  MapEnvironment env;
  FixedClock clock;
  SharedScriptedHttp peer;
};

TEST_F(Imds, OpensASessionThenReadsTheRoleAndItsCredentials) {
  script_success();
  auto c = provider().get_credentials();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->access_key_id, "ASIAIMDS");
  EXPECT_EQ(c->session_token, "imds-token");
  EXPECT_EQ(c->expiration, parse_iso8601("2024-05-01T18:00:00Z").value());
  const auto& sent = peer.http.requests;
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].method, "PUT");
  EXPECT_EQ(sent[0].url, "http://169.254.169.254/latest/api/token");
  EXPECT_EQ(find_header(sent[0].headers, "X-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(sent[1].method, "GET");
  EXPECT_EQ(sent[1].url, "http://169.254.169.254/latest/meta-data/iam/security-credentials/");
  EXPECT_EQ(sent[2].url,
            "http://169.254.169.254/latest/meta-data/iam/security-credentials/c42-instance-role");
  for (size_t i = 1; i < 3; ++i)
    EXPECT_EQ(find_header(sent[i].headers, "X-aws-ec2-metadata-token"), "imds-session-token");
  // A machine without IMDS must not hold a tool for long.
  EXPECT_EQ(sent[0].connect_timeout_ms, 1000);
  EXPECT_EQ(sent[0].stall_timeout_ms, 1000);
  EXPECT_LE(sent[0].timeout_ms, 2000);
}

TEST_F(Imds, SetupFollowsTheDocumentedVariables) {
  SourceSetup setup = provider().setup();
  EXPECT_EQ(setup.state, State::kReady);
  EXPECT_TRUE(setup.by_default);
  EXPECT_EQ(source_label(provider().name(), setup),
            "instance metadata (IMDSv2 at http://169.254.169.254)");
  env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6");
  EXPECT_EQ(provider().setup().detail, "IMDSv2 at http://[fd00:ec2::254]");
  env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ipv5");
  EXPECT_EQ(provider().setup().state, State::kBroken);
  env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1338");
  setup = provider().setup();
  EXPECT_EQ(setup.state, State::kReady);
  EXPECT_FALSE(setup.by_default);
  EXPECT_EQ(setup.detail, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
  env.set("AWS_EC2_METADATA_DISABLED", "TRUE");
  EXPECT_EQ(provider().setup().state, State::kAbsent);
  EXPECT_EQ(peer.clients, 0);
}

TEST_F(Imds, TheEndpointVariableMovesEveryRequest) {
  env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1338");
  script_success();
  ASSERT_TRUE(provider().get_credentials().ok());
  for (const HttpRequest& sent : peer.http.requests)
    EXPECT_EQ(sent.url.rfind("http://127.0.0.1:1338/latest/", 0), 0u) << sent.url;
}

TEST_F(Imds, NoAnswerGivesUpAfterTwoShortAttemptsAndSaysWhatToDo) {
  peer.http.script.push_back(test_support::transport_failure());
  peer.http.script.push_back(test_support::transport_failure());
  auto result = provider().get_credentials();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(peer.http.requests.size(), 2u);
  EXPECT_TRUE(contains(result.error().message, "http://169.254.169.254 did not answer"))
      << result.error().message;
  EXPECT_TRUE(contains(result.error().message, "AWS_EC2_METADATA_DISABLED=true"));
}

TEST_F(Imds, RefusalsSayWhatTheInstanceLacks) {
  peer.http.script.push_back(reply(403, ""));
  EXPECT_TRUE(contains(provider().get_credentials().error().message, "turned off"));
  peer.http.script.push_back(reply(200, "t"));
  peer.http.script.push_back(reply(404, ""));
  EXPECT_TRUE(contains(provider().get_credentials().error().message, "attach an instance profile"));
  peer.http.script.push_back(reply(200, "t"));
  peer.http.script.push_back(reply(200, "role"));
  peer.http.script.push_back(
      reply(200, R"({"Code": "AssumeRoleUnauthorizedAccess", "Message": "denied"})"));
  EXPECT_TRUE(contains(provider().get_credentials().error().message,
                       "reported AssumeRoleUnauthorizedAccess: denied"));
}

} // namespace
} // namespace c42::aws
