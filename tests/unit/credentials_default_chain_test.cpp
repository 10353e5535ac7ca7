// The default chain as the tools get it (sources in order, behind the
// cache) and Session::open, which checks or fetches from it.
#include "common/aws/default_chain.h"
#include "common/aws/session.h"
#include "common/aws/sqs_client.h"
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

const char* const kRole = "arn:aws:iam::123456789012:role/c42-shipper";

std::string assumed(const std::string& key_id, const std::string& expiration) {
  return "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
         "<AccessKeyId>" +
         key_id +
         "</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>session"
         "</SessionToken><Expiration>" +
         expiration + "</Expiration></Credentials></AssumeRoleWithWebIdentityResult>" +
         "</AssumeRoleWithWebIdentityResponse>";
}

class DefaultChain : public testing::Test {
protected:
  DefaultChain() : clock(parse_iso8601("2024-05-01T12:00:00Z").value()) {
    // Nothing from the machine running the tests: no shared files, and no
    // instance metadata unless a test asks for it.
    env.set("HOME", dir.path());
    env.set("AWS_EC2_METADATA_DISABLED", "true");
  }
  std::unique_ptr<CredentialsProvider> chain() {
    return default_credentials_provider(env, clock, peer.factory(), "us-east-1", [](Millis) {});
  }
  void use_token_file() {
    env.set("AWS_WEB_IDENTITY_TOKEN_FILE", dir.write("token", "file.token"));
    env.set("AWS_ROLE_ARN", kRole);
  }

  ScratchDir dir;
  MapEnvironment env;
  FixedClock clock;
  SharedScriptedHttp peer;
};

// Keys in the environment are used as they are: no provider makes an HTTP
// client for them, whatever else is configured.
TEST_F(DefaultChain, EnvironmentKeysComeFirstAndNeedNoNetwork) {
  use_token_file();
  env.set("C42_AZURE_TOKEN_AUDIENCE", "api://c42");
  env.set("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
  env.set("AWS_SECRET_ACCESS_KEY", "s");
  auto provider = chain();
  auto credentials = provider->get_credentials();
  ASSERT_TRUE(credentials.ok()) << credentials.error().message;
  EXPECT_EQ(credentials->access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(provider->name(), "environment");
  EXPECT_EQ(peer.clients, 0);
}

TEST_F(DefaultChain, ATokenFileComesBeforeAnAzureIdentity) {
  use_token_file();
  env.set("C42_AZURE_TOKEN_AUDIENCE", "api://c42");
  EXPECT_EQ(chain()->name(), "web identity");
  env.set("AWS_WEB_IDENTITY_TOKEN_FILE", "");
  EXPECT_EQ(chain()->name(), "Azure identity");
}

TEST_F(DefaultChain, TemporaryCredentialsAreCachedAndRefreshedFromAFreshToken) {
  use_token_file();
  auto provider = chain();
  peer.http.script.push_back(reply(200, assumed("ASIAFIRST", "2024-05-01T13:00:00Z")));
  ASSERT_EQ(provider->get_credentials()->access_key_id, "ASIAFIRST");
  ASSERT_EQ(provider->get_credentials()->access_key_id, "ASIAFIRST");
  EXPECT_EQ(peer.http.requests.size(), 1u);
  dir.write("token", "rotated.token");
  clock.set(parse_iso8601("2024-05-01T12:56:00Z").value()); // inside the refresh margin
  peer.http.script.push_back(reply(200, assumed("ASIASECOND", "2024-05-01T14:00:00Z")));
  EXPECT_EQ(provider->get_credentials()->access_key_id, "ASIASECOND");
  ASSERT_EQ(peer.http.requests.size(), 2u);
  EXPECT_TRUE(contains(peer.http.requests[1].body, "WebIdentityToken=rotated.token"));
}

// STS's own attempts are all there is: the SQS call that asked for
// credentials does not repeat the exchange (which would make 3 x 6).
TEST_F(DefaultChain, AFailingStsExchangeIsNotRetriedByTheCallThatAskedForCredentials) {
  use_token_file();
  auto provider = chain();
  for (int i = 0; i < 3; ++i)
    peer.http.script.push_back(reply(503, "<Error><Code>ServiceUnavailable</Code></Error>"));
  test_support::ScriptedHttp sqs_http;
  auto ctx = test_support::service_context(sqs_http, *provider, clock, "sqs");
  HttpRequest receive;
  receive.method = "POST";
  receive.url = "https://sqs.us-east-1.amazonaws.com/";
  auto outcome = call_with_retries(ctx, receive, Signing::kSigV4);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(peer.http.requests.size(), 3u);
  EXPECT_TRUE(sqs_http.requests.empty());
  EXPECT_EQ(outcome.error().kind, ErrorKind::kFailed);
  EXPECT_TRUE(contains(outcome.error().message, "web identity (AWS_WEB_IDENTITY_TOKEN_FILE): STS "
                                                "AssumeRoleWithWebIdentity at "
                                                "https://sts.us-east-1.amazonaws.com failed"))
      << outcome.error().message;
}

TEST_F(DefaultChain, NothingConfiguredSaysWhatEachSourceWouldNeed) {
  auto result = chain()->get_credentials();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kConfig);
  const std::string& message = result.error().message;
  for (const char* says : {"environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set",
                           "web identity: AWS_WEB_IDENTITY_TOKEN_FILE is not set",
                           "Azure identity: AWS_ROLE_ARN and C42_AZURE_TOKEN_AUDIENCE are not set",
                           "profile default: no profile default in ",
                           "container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                           "instance metadata: AWS_EC2_METADATA_DISABLED is true"})
    EXPECT_TRUE(contains(message, says)) << message;
  EXPECT_EQ(peer.clients, 0);
}

// Each source, once configured, is chosen over every later one.
TEST_F(DefaultChain, SourcesAreChosenInTheDocumentedOrder) {
  env.set("AWS_EC2_METADATA_DISABLED", "");
  EXPECT_EQ(chain()->name(), "instance metadata");
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/creds");
  EXPECT_EQ(chain()->name(), "container");
  dir.write("credentials", "[default]\naws_access_key_id = A\naws_secret_access_key = S\n");
  env.set("AWS_SHARED_CREDENTIALS_FILE", dir.path() + "/credentials");
  EXPECT_EQ(chain()->name(), "profile default");
  env.set("AWS_ROLE_ARN", kRole);
  env.set("C42_AZURE_TOKEN_AUDIENCE", "api://c42");
  EXPECT_EQ(chain()->name(), "Azure identity");
  env.set("AWS_WEB_IDENTITY_TOKEN_FILE", dir.write("token", "t"));
  EXPECT_EQ(chain()->name(), "web identity");
  env.set("AWS_ACCESS_KEY_ID", "AKID");
  env.set("AWS_SECRET_ACCESS_KEY", "S");
  EXPECT_EQ(chain()->name(), "environment");
  EXPECT_EQ(peer.clients, 0);
}

// Where nothing is configured, instance metadata is asked; when it does
// not answer either, the message says what else could have been set.
TEST_F(DefaultChain, UnansweredInstanceMetadataListsTheOtherSources) {
  env.set("AWS_EC2_METADATA_DISABLED", "");
  peer.http.script.push_back(test_support::transport_failure());
  peer.http.script.push_back(test_support::transport_failure());
  auto result = chain()->get_credentials();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kFailed);
  const std::string& message = result.error().message;
  EXPECT_EQ(message.rfind("instance metadata (IMDSv2 at http://169.254.169.254): ", 0), 0u)
      << message;
  EXPECT_TRUE(contains(message, "; no other source is configured (environment: "
                                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set; "))
      << message;
  EXPECT_TRUE(contains(message, "container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and "
                                "AWS_CONTAINER_CREDENTIALS_FULL_URI are not set)"));
}

// --- Session::open ---

TEST_F(DefaultChain, CheckingTheSetupContactsNothing) {
  use_token_file();
  auto session = Session::open(env, clock, peer.factory(), "", CredentialCheck::kSetupOnly);
  ASSERT_FALSE(session.ok()); // no region yet
  env.set("AWS_REGION", "eu-west-1");
  session = Session::open(env, clock, peer.factory(), "", CredentialCheck::kSetupOnly);
  ASSERT_TRUE(session.ok()) << session.error().message;
  EXPECT_EQ(session->credentials_source(), "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)");
  EXPECT_EQ(peer.clients, 0);
  EXPECT_TRUE(peer.http.requests.empty());

  env.set("AWS_ROLE_ARN", "");
  session = Session::open(env, clock, peer.factory(), "", CredentialCheck::kSetupOnly);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.error().kind, ErrorKind::kConfig);
  EXPECT_TRUE(contains(session.error().message,
                       "web identity: AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not"))
      << session.error().message;
  EXPECT_EQ(peer.clients, 0);
}

TEST_F(DefaultChain, OpeningForARunFetchesAtTheSessionsRegion) {
  use_token_file();
  env.set("AWS_REGION", "eu-west-1");
  peer.http.script.push_back(reply(200, assumed("ASIAFIRST", "2024-05-01T13:00:00Z")));
  auto session = Session::open(env, clock, peer.factory());
  ASSERT_TRUE(session.ok()) << session.error().message;
  ASSERT_EQ(peer.http.requests.size(), 1u);
  EXPECT_EQ(peer.http.requests[0].url, "https://sts.eu-west-1.amazonaws.com/");

  peer.http.script.push_back(reply(403, "<Error><Code>AccessDenied</Code></Error>"));
  auto refused = Session::open(env, clock, peer.factory());
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(contains(refused.error().message, "STS denied assuming " + std::string(kRole)))
      << refused.error().message;
}

} // namespace
} // namespace c42::aws
