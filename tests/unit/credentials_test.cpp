#include "common/aws/cached_credentials_provider.h"
#include "common/aws/credentials_chain.h"
#include "common/aws/default_chain.h"
#include "common/aws/env_credentials_provider.h"
#include "common/aws/static_credentials_provider.h"
#include "tests/unit/test_support.h"

#include <atomic>
#include <deque>
#include <gtest/gtest.h>
#include <map>
#include <memory>
#include <thread>
#include <vector>

namespace c42::aws {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

using Vars = std::map<std::string, std::string>;

TimePoint at(long long s) {
  return TimePoint(seconds(s));
}

Credentials make_credentials(const std::string& id, std::optional<TimePoint> expiration = {}) {
  Credentials c;
  c.access_key_id = id;
  c.secret_access_key = "secret-of-" + id;
  c.expiration = expiration;
  return c;
}

using test_support::ScriptedCredentials;

// --- EnvCredentialsProvider ---

TEST(CredentialsEnv, ReadsKeysAndOptionalSessionToken) {
  MapEnvironment env({{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                      {"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI"},
                      {"AWS_SESSION_TOKEN", "token-123"}});
  EnvCredentialsProvider provider(env);
  auto credentials = provider.get_credentials();
  ASSERT_TRUE(credentials.ok()) << credentials.error().message;
  EXPECT_EQ(credentials->access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(credentials->secret_access_key, "wJalrXUtnFEMI");
  EXPECT_EQ(credentials->session_token, "token-123");
  EXPECT_FALSE(credentials->expiration.has_value());
  EXPECT_EQ(provider.name(), "environment");

  env.set("AWS_SESSION_TOKEN", "");
  auto without_token = provider.get_credentials();
  ASSERT_TRUE(without_token.ok());
  EXPECT_EQ(without_token->session_token, "");
}

TEST(CredentialsEnv, MissingVariablesAreNamedAndSecretsNeverShown) {
  MapEnvironment only_secret(Vars{{"AWS_SECRET_ACCESS_KEY", "TOP-SECRET-VALUE"}});
  auto result = EnvCredentialsProvider(only_secret).get_credentials();
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("AWS_ACCESS_KEY_ID"), std::string::npos);
  EXPECT_EQ(result.error().message.find("TOP-SECRET-VALUE"), std::string::npos);

  MapEnvironment only_id(
      {{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"}, {"AWS_SESSION_TOKEN", "TOP-SECRET-TOKEN"}});
  result = EnvCredentialsProvider(only_id).get_credentials();
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
  EXPECT_EQ(result.error().message.find("TOP-SECRET-TOKEN"), std::string::npos);

  MapEnvironment empty;
  result = EnvCredentialsProvider(empty).get_credentials();
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("AWS_ACCESS_KEY_ID"), std::string::npos);
  EXPECT_NE(result.error().message.find("AWS_SECRET_ACCESS_KEY"), std::string::npos);

  // An empty value configures nothing, as for every Environment.
  MapEnvironment blank_secret(
      {{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"}, {"AWS_SECRET_ACCESS_KEY", ""}});
  EXPECT_FALSE(EnvCredentialsProvider(blank_secret).get_credentials().ok());
}

// --- StaticCredentialsProvider ---

TEST(CredentialsStatic, ServesTheSameCredentialsEveryTime) {
  Credentials given = make_credentials("AKIDSTATIC");
  given.session_token = "token";
  StaticCredentialsProvider provider(given);
  for (int i = 0; i < 3; ++i) {
    auto credentials = provider.get_credentials();
    ASSERT_TRUE(credentials.ok()) << credentials.error().message;
    EXPECT_EQ(credentials->access_key_id, "AKIDSTATIC");
    EXPECT_EQ(credentials->secret_access_key, "secret-of-AKIDSTATIC");
    EXPECT_EQ(credentials->session_token, "token");
    EXPECT_FALSE(credentials->expiration.has_value());
  }
  EXPECT_EQ(provider.name(), "static");
  EXPECT_EQ(StaticCredentialsProvider(given, "profile default").name(), "profile default");
}

TEST(CredentialsStatic, EmptyKeysAreAConfigurationErrorThatShowsNoSecret) {
  Credentials no_secret = make_credentials("AKIDSTATIC");
  no_secret.secret_access_key.clear();
  Credentials no_id = make_credentials("");
  no_id.secret_access_key = "TOP-SECRET-VALUE";
  for (const Credentials& c : {no_secret, no_id}) {
    auto result = StaticCredentialsProvider(c).get_credentials();
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::kConfig);
    EXPECT_EQ(result.error().message.find("TOP-SECRET-VALUE"), std::string::npos);
  }
}

// --- default_credentials_provider ---

// Keys in the environment are used as they are: no provider makes an HTTP
// client for them, so a tool with keys never touches the network for them.
TEST(CredentialsDefault, EnvironmentKeysNeedNoNetwork) {
  MapEnvironment env({{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"}, {"AWS_SECRET_ACCESS_KEY", "s"}});
  FixedClock clock(at(0));
  int clients = 0;
  HttpClientFactory http = [&clients]() -> std::unique_ptr<HttpClient> {
    ++clients;
    return std::make_unique<test_support::ScriptedHttp>();
  };
  auto provider = default_credentials_provider(env, clock, http);
  auto credentials = provider->get_credentials();
  ASSERT_TRUE(credentials.ok()) << credentials.error().message;
  EXPECT_EQ(credentials->access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(clients, 0);
}

TEST(CredentialsDefault, NoSourceNamesEachOneTried) {
  MapEnvironment env;
  FixedClock clock(at(0));
  auto provider = default_credentials_provider(env, clock, {});
  auto credentials = provider->get_credentials();
  ASSERT_FALSE(credentials.ok());
  EXPECT_NE(credentials.error().message.find("environment: AWS_ACCESS_KEY_ID"), std::string::npos)
      << credentials.error().message;
}

// --- CredentialsChain ---

TEST(CredentialsChain, FirstProviderThatSucceedsWinsAndLaterOnesAreNotAsked) {
  auto failing = std::make_unique<ScriptedCredentials>(
      "web identity", std::deque<Result<Credentials>>{make_error("AWS_ROLE_ARN is not set")});
  auto first_good =
      std::make_unique<StaticCredentialsProvider>(make_credentials("from-env"), "environment");
  auto second_good = std::make_unique<ScriptedCredentials>(
      "imds", std::deque<Result<Credentials>>{make_credentials("from-imds")});
  ScriptedCredentials* failing_ptr = failing.get();
  ScriptedCredentials* second_ptr = second_good.get();

  std::vector<std::unique_ptr<CredentialsProvider>> providers;
  providers.push_back(std::move(failing));
  providers.push_back(std::move(first_good));
  providers.push_back(std::move(second_good));
  CredentialsChain chain(std::move(providers));

  auto credentials = chain.get_credentials();
  ASSERT_TRUE(credentials.ok()) << credentials.error().message;
  EXPECT_EQ(credentials->access_key_id, "from-env");
  EXPECT_EQ(failing_ptr->calls, 1);
  EXPECT_EQ(second_ptr->calls, 0);
}

TEST(CredentialsChain, WhenAllFailTheErrorListsEachProviderInOrder) {
  std::vector<std::unique_ptr<CredentialsProvider>> providers;
  providers.push_back(std::make_unique<ScriptedCredentials>(
      "environment", std::deque<Result<Credentials>>{make_error("AWS_ACCESS_KEY_ID is not set")}));
  providers.push_back(std::make_unique<ScriptedCredentials>(
      "imds", std::deque<Result<Credentials>>{make_error("connection refused")}));
  CredentialsChain chain(std::move(providers));

  auto result = chain.get_credentials();
  ASSERT_FALSE(result.ok());
  const std::string& message = result.error().message;
  size_t env_at = message.find("environment: AWS_ACCESS_KEY_ID is not set");
  size_t imds_at = message.find("imds: connection refused");
  ASSERT_NE(env_at, std::string::npos) << message;
  ASSERT_NE(imds_at, std::string::npos) << message;
  EXPECT_LT(env_at, imds_at);
}

TEST(CredentialsChain, EmptyChainIsAnError) {
  CredentialsChain chain({});
  EXPECT_FALSE(chain.get_credentials().ok());
}

// --- CachedCredentialsProvider ---

TEST(CredentialsCache, ReusesUntilExpiryMinusMarginThenRefreshes) {
  FixedClock clock(at(1000));
  TimePoint expiry = at(1000) + minutes(60);
  auto source = std::make_unique<ScriptedCredentials>(
      "sts", std::deque<Result<Credentials>>{make_credentials("first", expiry),
                                             make_credentials("second", expiry + minutes(60))});
  ScriptedCredentials* counter = source.get();
  CachedCredentialsProvider cache(std::move(source), clock); // default margin: 5 min

  EXPECT_EQ(cache.get_credentials()->access_key_id, "first");
  clock.set(expiry - minutes(5) - seconds(1));
  EXPECT_EQ(cache.get_credentials()->access_key_id, "first");
  EXPECT_EQ(counter->calls, 1);

  clock.set(expiry - minutes(5)); // the boundary counts as due
  EXPECT_EQ(cache.get_credentials()->access_key_id, "second");
  EXPECT_EQ(counter->calls, 2);
  EXPECT_EQ(cache.get_credentials()->access_key_id, "second");
  EXPECT_EQ(counter->calls, 2);
}

TEST(CredentialsCache, HonoursACustomMargin) {
  FixedClock clock(at(0));
  TimePoint expiry = at(0) + minutes(60);
  auto source = std::make_unique<ScriptedCredentials>(
      "sts", std::deque<Result<Credentials>>{make_credentials("a", expiry)});
  ScriptedCredentials* counter = source.get();
  CachedCredentialsProvider cache(std::move(source), clock, minutes(15));

  ASSERT_TRUE(cache.get_credentials().ok());
  clock.set(expiry - minutes(16));
  ASSERT_TRUE(cache.get_credentials().ok());
  EXPECT_EQ(counter->calls, 1);
  clock.set(expiry - minutes(15));
  ASSERT_TRUE(cache.get_credentials().ok());
  EXPECT_EQ(counter->calls, 2);
}

TEST(CredentialsCache, CredentialsWithoutExpirationAreFetchedOnce) {
  FixedClock clock(at(0));
  auto source = std::make_unique<ScriptedCredentials>(
      "environment", std::deque<Result<Credentials>>{make_credentials("static")});
  ScriptedCredentials* counter = source.get();
  CachedCredentialsProvider cache(std::move(source), clock);
  for (int day = 0; day < 30; ++day) {
    clock.set(at(0) + std::chrono::hours(24 * day));
    ASSERT_TRUE(cache.get_credentials().ok());
  }
  EXPECT_EQ(counter->calls, 1);
  EXPECT_EQ(cache.name(), "environment");
}

TEST(CredentialsCache, FailuresAreNotCached) {
  FixedClock clock(at(0));
  auto source = std::make_unique<ScriptedCredentials>(
      "imds", std::deque<Result<Credentials>>{make_error("timed out"), make_credentials("later")});
  ScriptedCredentials* counter = source.get();
  CachedCredentialsProvider cache(std::move(source), clock);

  auto first = cache.get_credentials();
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().message, "timed out");
  auto second = cache.get_credentials();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->access_key_id, "later");
  EXPECT_EQ(counter->calls, 2);
}

TEST(CredentialsCache, FailedRefreshFallsBackOnlyWhileCachedCredentialsAreUnexpired) {
  FixedClock clock(at(0));
  TimePoint expiry = at(0) + minutes(60);
  auto source = std::make_unique<ScriptedCredentials>(
      "sts", std::deque<Result<Credentials>>{make_credentials("old", expiry),
                                             make_error("sts unavailable")});
  ScriptedCredentials* counter = source.get();
  CachedCredentialsProvider cache(std::move(source), clock);
  ASSERT_TRUE(cache.get_credentials().ok());

  clock.set(expiry - minutes(2)); // inside the margin, not yet expired
  auto inside_margin = cache.get_credentials();
  ASSERT_TRUE(inside_margin.ok());
  EXPECT_EQ(inside_margin->access_key_id, "old");
  EXPECT_EQ(counter->calls, 2); // a refresh was attempted

  clock.set(expiry);
  auto expired = cache.get_credentials();
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().message, "sts unavailable");
}

TEST(CredentialsCache, ConcurrentCallersShareOneFetch) {
  FixedClock clock(at(0));
  auto source = std::make_unique<ScriptedCredentials>(
      "sts", std::deque<Result<Credentials>>{make_credentials("shared", at(0) + minutes(60))});
  ScriptedCredentials* counter = source.get();
  counter->delay = std::chrono::milliseconds(20);
  CachedCredentialsProvider cache(std::move(source), clock);

  std::atomic<int> successes{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < 8; ++i) {
    workers.emplace_back([&] {
      for (int j = 0; j < 200; ++j) {
        auto credentials = cache.get_credentials();
        if (credentials.ok() && credentials->access_key_id == "shared") ++successes;
      }
    });
  }
  for (auto& worker : workers)
    worker.join();
  EXPECT_EQ(successes, 8 * 200);
  EXPECT_EQ(counter->calls, 1);
}

} // namespace
} // namespace c42::aws
