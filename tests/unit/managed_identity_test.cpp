#include "common/azure/managed_identity.h"
#include "common/time_format.h"
#include "tests/unit/test_support.h"

#include <gtest/gtest.h>
#include <string>

namespace c42::azure {
namespace {

using test_support::reply;
using test_support::ScriptedHttp;

const std::string kScope = "https://monitor.azure.com/.default";

class ManagedIdentityTest : public testing::Test {
protected:
  ManagedIdentityTest() : clock(TimePoint(std::chrono::seconds(1714564800))) {}

  FixedClock clock;
  ScriptedHttp http;
  MapEnvironment env;
  Sleeper no_sleep = [](Millis) {};
};

TEST_F(ManagedIdentityTest, AppServiceAsksForTheResourceWithItsHeader) {
  env.set("IDENTITY_ENDPOINT", "http://127.0.0.1:41000/msi/token");
  env.set("IDENTITY_HEADER", "header-secret");
  ASSERT_TRUE(AppServiceManagedIdentity::configured(env));
  AppServiceManagedIdentity mi(env, test_support::factory_of(http), clock, no_sleep);
  http.script = {reply(200, R"({"access_token":"tok","expires_on":"1714568400",)"
                            R"("resource":"https://monitor.azure.com","token_type":"Bearer"})")};
  auto token = mi.get_token(kScope);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->token, "tok");
  EXPECT_EQ(token->expires_on, TimePoint(std::chrono::seconds(1714568400)));
  ASSERT_EQ(http.requests.size(), 1u);
  EXPECT_EQ(http.requests[0].method, "GET");
  EXPECT_EQ(http.requests[0].url,
            "http://127.0.0.1:41000/msi/token?api-version=2019-08-01&resource="
            "https%3A%2F%2Fmonitor.azure.com");
  EXPECT_EQ(find_header(http.requests[0].headers, "X-IDENTITY-HEADER"), "header-secret");
}

TEST_F(ManagedIdentityTest, UserAssignedIdentityIsNamedByClientId) {
  env.set("IDENTITY_ENDPOINT", "http://127.0.0.1:41000/msi/token");
  env.set("IDENTITY_HEADER", "h");
  env.set("AZURE_CLIENT_ID", "0000-user");
  AppServiceManagedIdentity mi(env, test_support::factory_of(http), clock, no_sleep);
  http.script = {reply(200, R"({"access_token":"t","expires_on":"1714568400"})")};
  ASSERT_TRUE(mi.get_token("api://AzureADTokenExchange/.default").ok());
  EXPECT_NE(http.requests[0].url.find("resource=api%3A%2F%2FAzureADTokenExchange&client_id="
                                      "0000-user"),
            std::string::npos)
      << http.requests[0].url;
}

TEST_F(ManagedIdentityTest, ImdsAsksWithMetadataAndFailsFast) {
  env.set("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:41001/");
  ImdsManagedIdentity mi(env, test_support::factory_of(http), clock, no_sleep);
  http.script = {reply(200, R"({"access_token":"imds","expires_in":"3599",)"
                            R"("expires_on":"1714568399","token_type":"Bearer"})")};
  auto token = mi.get_token(kScope);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->token, "imds");
  const HttpRequest& sent = http.requests[0];
  EXPECT_EQ(sent.url, "http://127.0.0.1:41001/metadata/identity/oauth2/token?api-version="
                      "2018-02-01&resource=https%3A%2F%2Fmonitor.azure.com");
  EXPECT_EQ(find_header(sent.headers, "Metadata"), "true");
  EXPECT_LE(sent.connect_timeout_ms, 1000) << "a machine without IMDS must fail fast";
}

TEST_F(ManagedIdentityTest, NoImdsIsAConfigurationErrorThatSaysWhatToSet) {
  ImdsManagedIdentity mi(env, test_support::factory_of(http), clock, no_sleep);
  http.script = {test_support::transport_failure(), test_support::transport_failure()};
  auto token = mi.get_token(kScope);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().kind, ErrorKind::kConfig);
  EXPECT_NE(token.error().message.find("managed identity (IMDS)"), std::string::npos);
  EXPECT_NE(token.error().message.find("IDENTITY_ENDPOINT"), std::string::npos)
      << token.error().message;
}

TEST_F(ManagedIdentityTest, RefusalNamesEntrasErrorButNotTheHeader) {
  env.set("IDENTITY_ENDPOINT", "http://127.0.0.1:41000/msi/token");
  env.set("IDENTITY_HEADER", "header-secret");
  AppServiceManagedIdentity mi(env, test_support::factory_of(http), clock, no_sleep);
  http.script = {
      reply(400, R"({"error":"invalid_request","error_description":"Identity not found"})")};
  auto token = mi.get_token(kScope);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().kind, ErrorKind::kConfig);
  EXPECT_NE(token.error().message.find("HTTP 400 invalid_request: Identity not found"),
            std::string::npos)
      << token.error().message;
  EXPECT_EQ(token.error().message.find("header-secret"), std::string::npos);
  EXPECT_EQ(http.requests.size(), 1u) << "a refusal is not retried";
}

TEST_F(ManagedIdentityTest, ServerErrorsAreRetriedAndNeverEndTransient) {
  env.set("IDENTITY_ENDPOINT", "http://127.0.0.1:41000/msi/token");
  env.set("IDENTITY_HEADER", "h");
  AppServiceManagedIdentity mi(env, test_support::factory_of(http), clock, no_sleep);
  http.script = {reply(503), reply(200, R"({"access_token":"t","expires_on":"1714568400"})")};
  ASSERT_TRUE(mi.get_token(kScope).ok());
  http.script = {reply(503), reply(503), reply(503)};
  auto token = mi.get_token(kScope);
  ASSERT_FALSE(token.ok());
  EXPECT_NE(token.error().kind, ErrorKind::kTransient)
      << "an outer retry loop must not multiply these";
}

TEST_F(ManagedIdentityTest, ReplyWithoutTokenOrExpiryIsAnError) {
  env.set("IDENTITY_ENDPOINT", "http://127.0.0.1:41000/msi/token");
  env.set("IDENTITY_HEADER", "h");
  AppServiceManagedIdentity mi(env, test_support::factory_of(http), clock, no_sleep);
  for (const char* body : {"{}", R"({"access_token":"t"})",
                           R"({"access_token":"t","expires_on":"soon"})", "not json"}) {
    http.script = {reply(200, body)};
    EXPECT_FALSE(mi.get_token(kScope).ok()) << body;
  }
}

} // namespace
} // namespace c42::azure
