// The credentials the tools use: the standard chain of the AWS SDKs behind
// a cache. Today the chain holds the environment provider; web identity
// (and Azure identity -> STS), profiles, container and instance metadata
// join it here.
#pragma once

#include "common/aws/credentials.h"
#include "common/clock.h"
#include "common/environment.h"
#include "common/http.h"
#include "common/retry.h"

#include <memory>
#include <string>

namespace c42::aws {

// `http` makes the HTTP client of each provider that fetches credentials
// over the network (STS, container endpoint, instance metadata), as
// aws-c-auth's default chain hands its providers what they need for the
// network: a provider owns its client, so it can refresh from whichever
// worker thread finds the cache stale. Providers that need no network
// never call it. `region` places STS's regional endpoint; `sleeper` waits
// between a provider's own retries. The environment and the clock must
// outlive the provider.
std::unique_ptr<CredentialsProvider>
default_credentials_provider(const Environment& env, const Clock& clock, HttpClientFactory http,
                             const std::string& region, Sleeper sleeper = real_sleeper());

} // namespace c42::aws
