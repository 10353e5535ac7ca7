#include "common/aws/default_chain.h"

#include "common/aws/cached_credentials_provider.h"
#include "common/aws/credentials_chain.h"
#include "common/aws/env_credentials_provider.h"

#include <vector>

namespace c42::aws {

std::unique_ptr<CredentialsProvider>
default_credentials_provider(const Environment& env, const Clock& clock, HttpClientFactory http,
                             const std::string& region, Sleeper sleeper) {
  // `http`, `region` and `sleeper` wait for the providers that use the network.
  (void)http, (void)region, (void)sleeper;
  std::vector<std::unique_ptr<CredentialsProvider>> providers;
  providers.push_back(std::make_unique<EnvCredentialsProvider>(env));
  auto chain = std::make_unique<CredentialsChain>(std::move(providers));
  return std::make_unique<CachedCredentialsProvider>(std::move(chain), clock);
}

} // namespace c42::aws
