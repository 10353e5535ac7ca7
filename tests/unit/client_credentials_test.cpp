#include "common/azure/client_credentials.h"
#include "tests/unit/test_support.h"

#include <cstdio>
#include <gtest/gtest.h>
#include <string>

namespace c42::azure {
namespace {

using test_support::reply;
using test_support::ScriptedHttp;

class ClientCredentialsTest : public testing::Test {
protected:
  ClientCredentialsTest() : clock(TimePoint(std::chrono::seconds(1714564800))) {
    env.set("AZURE_TENANT_ID", "tenant-1");
    env.set("AZURE_CLIENT_ID", "client-1");
    env.set("AZURE_AUTHORITY_HOST", "http://127.0.0.1:42000/");
  }

  FixedClock clock;
  ScriptedHttp http;
  MapEnvironment env;
  Sleeper no_sleep = [](Millis) {};
};

TEST_F(ClientCredentialsTest, ClientSecretPostsTheFormToTheTenantsV2Endpoint) {
  env.set("AZURE_CLIENT_SECRET", "s3cr3t~&=");
  ASSERT_TRUE(ClientSecretCredential::configured(env));
  ClientSecretCredential credential(env, test_support::factory_of(http), clock, no_sleep);
  http.script = {reply(200, R"({"token_type":"Bearer","expires_in":3599,"access_token":"t1"})")};
  auto token = credential.get_token("https://monitor.azure.com/.default");
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->token, "t1");
  EXPECT_EQ(token->expires_on, clock.now() + std::chrono::seconds(3599));
  const HttpRequest& sent = http.requests.at(0);
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, "http://127.0.0.1:42000/tenant-1/oauth2/v2.0/token");
  EXPECT_EQ(find_header(sent.headers, "Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(sent.body, "grant_type=client_credentials&client_id=client-1&client_secret="
                       "s3cr3t~%26%3D&scope=https%3A%2F%2Fmonitor.azure.com%2F.default");
}

TEST_F(ClientCredentialsTest, DefaultAuthorityIsThePublicCloud) {
  env.set("AZURE_CLIENT_SECRET", "s");
  MapEnvironment plain;
  plain.set("AZURE_TENANT_ID", "t");
  plain.set("AZURE_CLIENT_ID", "c");
  plain.set("AZURE_CLIENT_SECRET", "s");
  ClientSecretCredential credential(plain, test_support::factory_of(http), clock, no_sleep);
  http.script = {reply(200, R"({"expires_in":60,"access_token":"x"})")};
  ASSERT_TRUE(credential.get_token("https://monitor.azure.com/.default").ok());
  EXPECT_EQ(http.requests.at(0).url, "https://login.microsoftonline.com/t/oauth2/v2.0/token");
}

TEST_F(ClientCredentialsTest, AWrongSecretIsOneLineWithoutTheSecret) {
  env.set("AZURE_CLIENT_SECRET", "the-wrong-secret");
  ClientSecretCredential credential(env, test_support::factory_of(http), clock, no_sleep);
  http.script = {reply(401, R"({"error":"invalid_client","error_description":"AADSTS7000215: )"
                            R"(Invalid client secret provided."})")};
  auto token = credential.get_token("https://monitor.azure.com/.default");
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().kind, ErrorKind::kConfig);
  EXPECT_NE(token.error().message.find("AADSTS7000215"), std::string::npos);
  EXPECT_NE(token.error().message.find("client secret (AZURE_CLIENT_SECRET)"), std::string::npos);
  EXPECT_EQ(token.error().message.find("the-wrong-secret"), std::string::npos);
}

TEST_F(ClientCredentialsTest, WorkloadIdentityReadsTheTokenFileForEveryRequest) {
  char path[] = "/tmp/c42-federated-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  env.set("AZURE_FEDERATED_TOKEN_FILE", path);
  ASSERT_TRUE(WorkloadIdentityCredential::configured(env));
  WorkloadIdentityCredential credential(env, test_support::factory_of(http), clock, no_sleep);
  auto write = [&](const std::string& text) {
    FILE* f = std::fopen(path, "w");
    std::fputs(text.c_str(), f);
    std::fclose(f);
  };
  write("first.assertion\n");
  http.script = {reply(200, R"({"expires_in":60,"access_token":"a"})"),
                 reply(200, R"({"expires_in":60,"access_token":"b"})")};
  ASSERT_TRUE(credential.get_token("api://AzureADTokenExchange/.default").ok());
  write("rotated.assertion");
  ASSERT_TRUE(credential.get_token("api://AzureADTokenExchange/.default").ok());
  const std::string type = "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-"
                           "assertion-type%3Ajwt-bearer";
  EXPECT_NE(http.requests[0].body.find(type), std::string::npos) << http.requests[0].body;
  EXPECT_NE(http.requests[0].body.find("client_assertion=first.assertion&"), std::string::npos);
  EXPECT_NE(http.requests[1].body.find("client_assertion=rotated.assertion&"), std::string::npos);
  std::remove(path);
  auto gone = credential.get_token("api://AzureADTokenExchange/.default");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, ErrorKind::kConfig);
  EXPECT_NE(gone.error().message.find("AZURE_FEDERATED_TOKEN_FILE"), std::string::npos);
}

} // namespace
} // namespace c42::azure
