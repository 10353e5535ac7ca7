// The two web identity sources: a token file (AWS_WEB_IDENTITY_TOKEN_FILE)
// and an Azure identity (C42_AZURE_TOKEN_AUDIENCE), both exchanged at STS.
#include "common/aws/azure_credentials_provider.h"
#include "common/aws/web_identity_credentials_provider.h"
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
  return "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><AssumedRoleUser>"
         "<Arn>arn:aws:sts::123456789012:assumed-role/c42-shipper/s</Arn></AssumedRoleUser>"
         "<Credentials><AccessKeyId>" +
         key_id +
         "</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>session"
         "</SessionToken><Expiration>" +
         expiration +
         "</Expiration></Credentials></AssumeRoleWithWebIdentityResult>"
         "</AssumeRoleWithWebIdentityResponse>";
}

std::string refusal(const std::string& code) {
  return "<ErrorResponse><Error><Type>Sender</Type><Code>" + code +
         "</Code><Message>no</Message></Error></ErrorResponse>";
}

// The form value of `name` in a Query body, still encoded.
std::string form_value(const std::string& body, const std::string& name) {
  size_t at = body.find(name + "=");
  if (at == std::string::npos) return "";
  at += name.size() + 1;
  return body.substr(at, body.find('&', at) - at);
}

class WebIdentityFile : public testing::Test {
protected:
  WebIdentityFile() : clock(parse_iso8601("2024-05-01T12:00:00Z").value()) {
    token_file = dir.write("token", "first.token.value\n");
    env.set("AWS_WEB_IDENTITY_TOKEN_FILE", token_file);
    env.set("AWS_ROLE_ARN", kRole);
  }
  WebIdentityCredentialsProvider provider() {
    return WebIdentityCredentialsProvider(env, test_support::network(peer, clock));
  }

  ScratchDir dir;
  std::string token_file;
  MapEnvironment env;
  FixedClock clock;
  SharedScriptedHttp peer;
};

TEST_F(WebIdentityFile, SetupIsAbsentWithoutTheTokenFileVariable) {
  MapEnvironment only_role(std::map<std::string, std::string>{{"AWS_ROLE_ARN", kRole}});
  WebIdentityCredentialsProvider p(only_role, test_support::network(peer, clock));
  EXPECT_EQ(p.setup().state, State::kAbsent);
  EXPECT_EQ(p.setup().detail, "AWS_WEB_IDENTITY_TOKEN_FILE is not set");
}

TEST_F(WebIdentityFile, SetupNamesWhatIsMissingOrWrongBeforeAnyCall) {
  struct Case {
    const char* variable;
    const char* value; // "" unsets
    const char* says;
  } cases[] = {
      {"AWS_ROLE_ARN", "",
       "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not: set it to the ARN of the role"},
      {"AWS_ROLE_ARN", "c42-shipper", "AWS_ROLE_ARN 'c42-shipper' is not an IAM role ARN"},
      {"AWS_ROLE_SESSION_NAME", "has space", "AWS_ROLE_SESSION_NAME 'has space' must be 2 to 64"},
      {"AWS_ROLE_SESSION_NAME", "x", "must be 2 to 64"},
      {"AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token",
       "cannot read AWS_WEB_IDENTITY_TOKEN_FILE (/nonexistent/token): No such file"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.variable);
    MapEnvironment saved = env;
    env.set(c.variable, c.value);
    SourceSetup setup = provider().setup();
    EXPECT_EQ(setup.state, State::kBroken);
    EXPECT_TRUE(contains(setup.detail, c.says)) << setup.detail;
    auto fetched = provider().get_credentials();
    ASSERT_FALSE(fetched.ok());
    EXPECT_EQ(fetched.error().kind, ErrorKind::kConfig);
    env = saved;
  }
  dir.write("token", " \n");
  EXPECT_TRUE(contains(provider().setup().detail, "is empty"));
  EXPECT_TRUE(peer.http.requests.empty());
}

TEST_F(WebIdentityFile, ExchangesTheFilesTokenAtTheRegionalEndpoint) {
  EXPECT_EQ(provider().setup().state, State::kReady);
  EXPECT_EQ(source_label(provider().name(), provider().setup()),
            "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)");
  peer.http.script.push_back(reply(200, assumed("ASIAFIRST", "2024-05-01T13:00:00Z")));
  auto p = provider();
  auto credentials = p.get_credentials();
  ASSERT_TRUE(credentials.ok()) << credentials.error().message;
  EXPECT_EQ(credentials->access_key_id, "ASIAFIRST");
  EXPECT_EQ(credentials->session_token, "session");
  EXPECT_EQ(credentials->expiration, parse_iso8601("2024-05-01T13:00:00Z").value());
  const HttpRequest& sent = peer.http.requests.at(0);
  EXPECT_EQ(sent.url, "https://sts.us-east-1.amazonaws.com/");
  EXPECT_EQ(form_value(sent.body, "WebIdentityToken"), "first.token.value");
  // No AWS_ROLE_SESSION_NAME: one that says which tool and when.
  EXPECT_EQ(form_value(sent.body, "RoleSessionName"), "c42-ship-1714564800");
  EXPECT_FALSE(find_header(sent.headers, "Authorization"));
}

TEST_F(WebIdentityFile, RereadsTheTokenFileAtEachRefreshAndHonoursTheSessionName) {
  env.set("AWS_ROLE_SESSION_NAME", "shipper@eu");
  env.set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:5000");
  auto p = provider();
  peer.http.script.push_back(reply(200, assumed("ASIAFIRST", "2024-05-01T13:00:00Z")));
  ASSERT_TRUE(p.get_credentials().ok());
  dir.write("token", "second.token.value"); // the issuer rotated it
  peer.http.script.push_back(reply(200, assumed("ASIASECOND", "2024-05-01T14:00:00Z")));
  auto second = p.get_credentials();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->access_key_id, "ASIASECOND");
  ASSERT_EQ(peer.http.requests.size(), 2u);
  EXPECT_EQ(form_value(peer.http.requests[1].body, "WebIdentityToken"), "second.token.value");
  EXPECT_EQ(form_value(peer.http.requests[1].body, "RoleSessionName"), "shipper%40eu");
  EXPECT_EQ(peer.http.requests[1].url, "http://127.0.0.1:5000/");
  EXPECT_EQ(peer.clients, 1); // one client, kept
}

TEST_F(WebIdentityFile, ARefusalNamesTheTokenFileButNeverTheToken) {
  peer.http.script.push_back(reply(400, refusal("ExpiredTokenException")));
  auto result = provider().get_credentials();
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(
      contains(result.error().message, "STS says the token in AWS_WEB_IDENTITY_TOKEN_FILE (" +
                                           token_file + ") has expired"))
      << result.error().message;
  EXPECT_FALSE(contains(result.error().message, "first.token.value"));
}

TEST_F(WebIdentityFile, StsIsTriedThreeTimesWithShortLimits) {
  for (int i = 0; i < 3; ++i)
    peer.http.script.push_back(reply(503, refusal("ServiceUnavailable")));
  auto result = provider().get_credentials();
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(peer.http.requests.size(), 3u);
  EXPECT_EQ(peer.http.requests[0].connect_timeout_ms, 5000);
  EXPECT_EQ(peer.http.requests[0].stall_timeout_ms, 10000);
}

// --- Azure identity ---

class FakeTokens final : public azure::TokenProvider {
public:
  Result<azure::AccessToken> get_token(const std::string& scope) override {
    scopes.push_back(scope);
    if (!next.ok()) return next.error();
    return next;
  }
  void invalidate(const std::string& scope) override { invalidated.push_back(scope); }
  std::string name() const override { return "managed identity (App Service)"; }

  Result<azure::AccessToken> next = azure::AccessToken{"entra.jwt.token", TimePoint()};
  std::vector<std::string> scopes;
  std::vector<std::string> invalidated;
};

class AzureIdentity : public testing::Test {
protected:
  AzureIdentity() : clock(parse_iso8601("2024-05-01T12:00:00Z").value()) {
    env.set("AWS_ROLE_ARN", kRole);
    env.set("C42_AZURE_TOKEN_AUDIENCE", "api://c42-ship-aws");
    auto fake = std::make_unique<FakeTokens>();
    tokens = fake.get();
    provider = std::make_unique<AzureCredentialsProvider>(env, std::move(fake),
                                                          test_support::network(peer, clock));
  }

  MapEnvironment env;
  FixedClock clock;
  SharedScriptedHttp peer;
  FakeTokens* tokens = nullptr;
  std::unique_ptr<AzureCredentialsProvider> provider;
};

TEST_F(AzureIdentity, SetupNeedsBothTheRoleAndTheAudience) {
  EXPECT_EQ(provider->setup().state, State::kReady);
  EXPECT_EQ(source_label(provider->name(), provider->setup()),
            "Azure identity (C42_AZURE_TOKEN_AUDIENCE)");
  env.set("C42_AZURE_TOKEN_AUDIENCE", "");
  EXPECT_EQ(provider->setup().state, State::kBroken);
  EXPECT_TRUE(contains(provider->setup().detail,
                       "AWS_ROLE_ARN is set but neither AWS_WEB_IDENTITY_TOKEN_FILE nor "
                       "C42_AZURE_TOKEN_AUDIENCE is"));
  env.set("C42_AZURE_TOKEN_AUDIENCE", "api://c42-ship-aws");
  env.set("AWS_ROLE_ARN", "");
  EXPECT_TRUE(contains(provider->setup().detail,
                       "C42_AZURE_TOKEN_AUDIENCE is set but AWS_ROLE_ARN is not"));
  env.set("C42_AZURE_TOKEN_AUDIENCE", "");
  EXPECT_EQ(provider->setup().state, State::kAbsent);
  EXPECT_TRUE(tokens->scopes.empty()); // setup asks Entra nothing
}

TEST_F(AzureIdentity, WithoutATokenSourceInTheBuildItIsBrokenNotSilent) {
  AzureCredentialsProvider none(env, nullptr, test_support::network(peer, clock));
  EXPECT_EQ(none.setup().state, State::kBroken);
  EXPECT_TRUE(contains(none.setup().detail, "has no Azure token source"));
}

TEST_F(AzureIdentity, ExchangesAnEntraTokenForTheAudienceAtSts) {
  peer.http.script.push_back(reply(200, assumed("ASIAAZURE", "2024-05-01T13:00:00Z")));
  auto credentials = provider->get_credentials();
  ASSERT_TRUE(credentials.ok()) << credentials.error().message;
  EXPECT_EQ(credentials->access_key_id, "ASIAAZURE");
  EXPECT_EQ(tokens->scopes, std::vector<std::string>{"api://c42-ship-aws/.default"});
  const std::string& body = peer.http.requests.at(0).body;
  EXPECT_EQ(form_value(body, "WebIdentityToken"), "entra.jwt.token");
  EXPECT_EQ(form_value(body, "Action"), "AssumeRoleWithWebIdentity");
  EXPECT_EQ(form_value(body, "RoleSessionName"), "c42-ship-1714564800");
  // An audience already given as a scope is not extended twice.
  env.set("C42_AZURE_TOKEN_AUDIENCE", "api://other/.default");
  peer.http.script.push_back(reply(200, assumed("ASIAAZURE", "2024-05-01T13:00:00Z")));
  ASSERT_TRUE(provider->get_credentials().ok());
  EXPECT_EQ(tokens->scopes.back(), "api://other/.default");
}

TEST_F(AzureIdentity, ARefusedTokenIsForgottenAndItsOriginNamed) {
  peer.http.script.push_back(reply(400, refusal("InvalidIdentityToken")));
  auto result = provider->get_credentials();
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(contains(result.error().message,
                       "STS refused the Azure token for C42_AZURE_TOKEN_AUDIENCE "
                       "(api://c42-ship-aws/.default) from managed identity (App Service)"))
      << result.error().message;
  EXPECT_FALSE(contains(result.error().message, "entra.jwt.token"));
  EXPECT_EQ(tokens->invalidated, std::vector<std::string>{"api://c42-ship-aws/.default"});
}

TEST_F(AzureIdentity, AnEntraFailureIsPassedOnWithTheScope) {
  tokens->next = make_error("managed identity (App Service): IDENTITY_HEADER was refused");
  auto result = provider->get_credentials();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "no Azure token for api://c42-ship-aws/.default: managed "
                                    "identity (App Service): IDENTITY_HEADER was refused");
  EXPECT_TRUE(peer.http.requests.empty());
}

} // namespace
} // namespace c42::aws
