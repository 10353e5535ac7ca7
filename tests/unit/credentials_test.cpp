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

// The chain asks setup() first: absent lets it go on, broken stops it.
TEST(CredentialsEnv, SetupIsAbsentBrokenOrReadyWithoutShowingValues) {
  MapEnvironment env;
  EnvCredentialsProvider provider(env);
  EXPECT_EQ(provider.setup().state, SourceSetup::State::kAbsent);
  env.set("AWS_SECRET_ACCESS_KEY", "TOP-SECRET-VALUE");
  SourceSetup only_secret = provider.setup();
  EXPECT_EQ(only_secret.state, SourceSetup::State::kBroken);
  EXPECT_EQ(only_secret.detail, "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
  env.set("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
  SourceSetup ready = provider.setup();
  EXPECT_EQ(ready.state, SourceSetup::State::kReady);
  EXPECT_EQ(source_label(provider.name(), ready), "environment (AWS_ACCESS_KEY_ID)");
  EXPECT_FALSE(ready.by_default);
  EXPECT_EQ(EnvCredentialsProvider(MapEnvironment()).get_credentials().error().kind,
            ErrorKind::kConfig);
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

// --- CredentialsChain ---

// A source whose setup() says what the test wants, counting fetches.
class SetUpSource final : public CredentialsProvider {
public:
  SetUpSource(std::string name, SourceSetup setup, Result<Credentials> result)
      : name_(std::move(name)), setup_(std::move(setup)), result_(std::move(result)) {}
  Result<Credentials> get_credentials() override {
    ++calls;
    return result_;
  }
  std::string name() const override { return name_; }
  SourceSetup setup() const override { return setup_; }
  int calls = 0;

private:
  std::string name_;
  SourceSetup setup_;
  Result<Credentials> result_;
};

struct Chain {
  std::vector<SetUpSource*> sources;
  std::unique_ptr<CredentialsChain> chain;
};

Chain chain_of(std::vector<std::unique_ptr<SetUpSource>> sources) {
  Chain c;
  std::vector<std::unique_ptr<CredentialsProvider>> providers;
  for (auto& s : sources) {
    c.sources.push_back(s.get());
    providers.push_back(std::move(s));
  }
  c.chain = std::make_unique<CredentialsChain>(std::move(providers));
  return c;
}

std::unique_ptr<SetUpSource> source(std::string name, SourceSetup setup,
                                    Result<Credentials> result = make_error("unused")) {
  return std::make_unique<SetUpSource>(std::move(name), std::move(setup), std::move(result));
}

std::vector<std::unique_ptr<SetUpSource>> sources(std::unique_ptr<SetUpSource> a,
                                                  std::unique_ptr<SetUpSource> b,
                                                  std::unique_ptr<SetUpSource> c) {
  std::vector<std::unique_ptr<SetUpSource>> v;
  v.push_back(std::move(a));
  v.push_back(std::move(b));
  v.push_back(std::move(c));
  return v;
}

TEST(CredentialsChain, TheFirstConfiguredSourceIsUsedAndLaterOnesAreNotAsked) {
  Chain c = chain_of(sources(
      source("web identity", SourceSetup::absent("AWS_ROLE_ARN is not set")),
      source("environment", SourceSetup::ready("AWS_ACCESS_KEY_ID"), make_credentials("from-env")),
      source("imds", SourceSetup::ready("", true), make_credentials("x"))));
  auto credentials = c.chain->get_credentials();
  ASSERT_TRUE(credentials.ok()) << credentials.error().message;
  EXPECT_EQ(credentials->access_key_id, "from-env");
  EXPECT_EQ(c.sources[0]->calls, 0); // absent: never fetched from
  EXPECT_EQ(c.sources[2]->calls, 0);
  EXPECT_EQ(c.chain->name(), "environment");
  EXPECT_EQ(source_label(c.chain->name(), c.chain->setup()), "environment (AWS_ACCESS_KEY_ID)");
}

// A configured source that fails ends the search: falling through to the
// next would use credentials the operator did not mean.
TEST(CredentialsChain, AFailingChosenSourceIsTheAnswerWithItsLabel) {
  Chain c = chain_of(sources(
      source("web identity", SourceSetup::ready("AWS_WEB_IDENTITY_TOKEN_FILE"),
             make_error("STS refused the token", ErrorKind::kTransient)),
      source("profile default", SourceSetup::ready("aws_access_key_id"), make_credentials("p")),
      source("imds", SourceSetup::ready("", true), make_credentials("i"))));
  auto result = c.chain->get_credentials();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message,
            "web identity (AWS_WEB_IDENTITY_TOKEN_FILE): STS refused the token");
  // The provider retried already; the call that asked must not again.
  EXPECT_EQ(result.error().kind, ErrorKind::kFailed);
  EXPECT_EQ(c.sources[1]->calls, 0);
}

TEST(CredentialsChain, ABrokenSourceIsAConfigurationErrorWithoutAFetch) {
  Chain c = chain_of(
      sources(source("environment", SourceSetup::absent("AWS_ACCESS_KEY_ID and ... are not set")),
              source("web identity", SourceSetup::broken("AWS_ROLE_ARN is not set")),
              source("imds", SourceSetup::ready("", true), make_credentials("i"))));
  auto result = c.chain->get_credentials();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kConfig);
  EXPECT_EQ(result.error().message, "web identity: AWS_ROLE_ARN is not set");
  EXPECT_EQ(c.chain->setup().state, SourceSetup::State::kBroken);
  EXPECT_EQ(c.chain->setup().detail, "web identity: AWS_ROLE_ARN is not set");
  for (auto* s : c.sources)
    EXPECT_EQ(s->calls, 0);
}

TEST(CredentialsChain, WhenNothingIsConfiguredEachSourceSaysWhatWouldConfigureIt) {
  Chain c = chain_of(
      sources(source("environment", SourceSetup::absent("AWS_ACCESS_KEY_ID is not set")),
              source("web identity", SourceSetup::absent("AWS_WEB_IDENTITY_TOKEN_FILE is not set")),
              source("imds", SourceSetup::absent("AWS_EC2_METADATA_DISABLED is true"))));
  auto result = c.chain->get_credentials();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kConfig);
  EXPECT_EQ(result.error().message,
            "no AWS credentials are configured (environment: AWS_ACCESS_KEY_ID is not set; web "
            "identity: AWS_WEB_IDENTITY_TOKEN_FILE is not set; imds: AWS_EC2_METADATA_DISABLED is "
            "true)");
  EXPECT_EQ(c.chain->name(), "credential chain");
}

// Instance metadata is tried where nothing else is set; when it fails too,
// the operator is told what else could have been set.
TEST(CredentialsChain, ASourceUsedByDefaultListsTheOthersWhenItFails) {
  Chain c = chain_of(sources(
      source("environment", SourceSetup::absent("AWS_ACCESS_KEY_ID is not set")),
      source("profile default", SourceSetup::absent("no profile default")),
      source("instance metadata", SourceSetup::ready("IMDSv2 at http://169.254.169.254", true),
             make_error("no answer"))));
  auto result = c.chain->get_credentials();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message,
            "instance metadata (IMDSv2 at http://169.254.169.254): no answer; no other source is "
            "configured (environment: AWS_ACCESS_KEY_ID is not set; profile default: no profile "
            "default)");
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
