#include "common/aws/default_chain.h"

#include "common/aws/azure_credentials_provider.h"
#include "common/aws/cached_credentials_provider.h"
#include "common/aws/container_credentials_provider.h"
#include "common/aws/credentials_chain.h"
#include "common/aws/env_credentials_provider.h"
#include "common/aws/imds_credentials_provider.h"
#include "common/aws/profile_credentials_provider.h"
#include "common/aws/web_identity_credentials_provider.h"
#include "common/azure/default_token_provider.h"

#include <vector>

namespace c42::aws {

std::unique_ptr<CredentialsProvider>
default_credentials_provider(const Environment& env, const Clock& clock, HttpClientFactory http,
                             const std::string& region, Sleeper sleeper) {
  ProviderNetwork net{http, &clock, region, std::move(sleeper)};
  std::vector<std::unique_ptr<CredentialsProvider>> providers;
  providers.push_back(std::make_unique<EnvCredentialsProvider>(env));
  providers.push_back(std::make_unique<WebIdentityCredentialsProvider>(env, net));
  providers.push_back(std::make_unique<AzureCredentialsProvider>(
      env, azure::default_token_provider(env, clock, http), net));
  providers.push_back(std::make_unique<ProfileCredentialsProvider>(env, net));
  providers.push_back(std::make_unique<ContainerCredentialsProvider>(env, net));
  providers.push_back(std::make_unique<ImdsCredentialsProvider>(env, net));
  auto chain = std::make_unique<CredentialsChain>(std::move(providers));
  return std::make_unique<CachedCredentialsProvider>(std::move(chain), clock);
}

} // namespace c42::aws
