#include "common/azure/default_token_provider.h"
#include "tests/unit/test_support.h"

#include <gtest/gtest.h>
#include <string>

namespace c42::azure {
namespace {

using test_support::reply;
using test_support::ScriptedHttp;

// A source that counts its calls and hands out tokens of a fixed life.
class CountingSource final : public TokenProvider {
public:
  explicit CountingSource(const Clock& clock) : clock_(clock) {}
  Result<AccessToken> get_token(const std::string& scope) override {
    ++calls;
    if (fail) return make_error("source down");
    return AccessToken{scope + "#" + std::to_string(calls), clock_.now() + life};
  }
  std::string name() const override { return "counting"; }
  int calls = 0;
  bool fail = false;
  std::chrono::seconds life{3600};

private:
  const Clock& clock_;
};

TEST(CachedTokenProvider, KeepsATokenPerScopeUntilShortlyBeforeItExpires) {
  FixedClock clock(TimePoint(std::chrono::seconds(1714564800)));
  auto source = std::make_unique<CountingSource>(clock);
  CountingSource* counting = source.get();
  CachedTokenProvider cache(std::move(source), clock);
  EXPECT_EQ(cache.get_token("a")->token, "a#1");
  EXPECT_EQ(cache.get_token("a")->token, "a#1");
  EXPECT_EQ(cache.get_token("b")->token, "b#2");
  clock.set(clock.now() + std::chrono::minutes(54));
  EXPECT_EQ(cache.get_token("a")->token, "a#1");
  clock.set(clock.now() + std::chrono::minutes(2)); // within five minutes of expiry
  EXPECT_EQ(cache.get_token("a")->token, "a#3");
  EXPECT_EQ(counting->calls, 3);
}

TEST(CachedTokenProvider, ShortLivedTokensAreRefreshedHalfway) {
  FixedClock clock(TimePoint(std::chrono::seconds(1714564800)));
  auto source = std::make_unique<CountingSource>(clock);
  source->life = std::chrono::seconds(60);
  CachedTokenProvider cache(std::move(source), clock);
  EXPECT_EQ(cache.get_token("a")->token, "a#1");
  clock.set(clock.now() + std::chrono::seconds(29));
  EXPECT_EQ(cache.get_token("a")->token, "a#1");
  clock.set(clock.now() + std::chrono::seconds(2));
  EXPECT_EQ(cache.get_token("a")->token, "a#2");
}

TEST(CachedTokenProvider, InvalidateForcesANewToken) {
  FixedClock clock(TimePoint(std::chrono::seconds(1714564800)));
  CachedTokenProvider cache(std::make_unique<CountingSource>(clock), clock);
  EXPECT_EQ(cache.get_token("a")->token, "a#1");
  cache.invalidate("a");
  EXPECT_EQ(cache.get_token("a")->token, "a#2");
}

TEST(CachedTokenProvider, AStillValidTokenOutlivesABriefOutage) {
  FixedClock clock(TimePoint(std::chrono::seconds(1714564800)));
  auto source = std::make_unique<CountingSource>(clock);
  CountingSource* counting = source.get();
  CachedTokenProvider cache(std::move(source), clock);
  ASSERT_TRUE(cache.get_token("a").ok());
  clock.set(clock.now() + std::chrono::minutes(58));
  counting->fail = true;
  EXPECT_EQ(cache.get_token("a")->token, "a#1");
  clock.set(clock.now() + std::chrono::minutes(3)); // expired now
  EXPECT_FALSE(cache.get_token("a").ok());
}

TEST(DefaultTokenProvider, ChoosesTheConfiguredSourceInOrder) {
  FixedClock clock(TimePoint(std::chrono::seconds(1714564800)));
  ScriptedHttp http;
  MapEnvironment env;
  EXPECT_EQ(default_token_provider(env, clock, test_support::factory_of(http))->name(),
            "managed identity (IMDS)");
  env.set("IDENTITY_ENDPOINT", "http://127.0.0.1:1/msi/token");
  env.set("IDENTITY_HEADER", "h");
  EXPECT_EQ(default_token_provider(env, clock, test_support::factory_of(http))->name(),
            "managed identity (App Service)");
  env.set("AZURE_TENANT_ID", "t");
  env.set("AZURE_CLIENT_ID", "c");
  env.set("AZURE_FEDERATED_TOKEN_FILE", "/var/run/secrets/token");
  EXPECT_EQ(default_token_provider(env, clock, test_support::factory_of(http))->name(),
            "workload identity (AZURE_FEDERATED_TOKEN_FILE)");
  env.set("AZURE_CLIENT_SECRET", "s");
  EXPECT_EQ(default_token_provider(env, clock, test_support::factory_of(http))->name(),
            "client secret (AZURE_CLIENT_SECRET)");
  EXPECT_TRUE(http.requests.empty()) << "choosing contacts nothing";
}

} // namespace
} // namespace c42::azure
