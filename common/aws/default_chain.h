// The credentials the tools use: the provider chain behind a cache. Today the
// chain holds the environment provider; web identity (Azure managed identity
// -> STS), profiles and instance metadata join it here.
#pragma once

#include "common/aws/credentials.h"
#include "common/clock.h"
#include "common/environment.h"
#include "common/http.h"

#include <memory>

namespace c42::aws {

// `http` makes the HTTP client of each provider that fetches credentials
// over the network (STS, instance metadata), as aws-c-auth's default chain
// hands its providers what they need for the network: a provider owns its
// client, so it can refresh from whichever worker thread finds the cache
// stale. Providers that need no network never call it. The environment and
// the clock must outlive the provider.
std::unique_ptr<CredentialsProvider>
default_credentials_provider(const Environment& env, const Clock& clock, HttpClientFactory http);

} // namespace c42::aws
