// The credentials the tools use: the standard chain of the AWS SDKs behind
// a cache. The sources, in order; the first whose settings are present is
// the one used (see CredentialsChain):
//   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
//      AWS_SESSION_TOKEN (env_credentials_provider.h);
//   2. web identity: AWS_ROLE_ARN with the token in
//      AWS_WEB_IDENTITY_TOKEN_FILE, exchanged at STS
//      (web_identity_credentials_provider.h);
//   3. Azure identity: AWS_ROLE_ARN with C42_AZURE_TOKEN_AUDIENCE, an Entra
//      token for that audience exchanged at STS (azure_credentials_provider.h);
//   4. shared files: profile AWS_PROFILE (else default) of
//      AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE (else ~/.aws/...)
//      (profile_credentials_provider.h);
//   5. container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI
//      (container_credentials_provider.h);
//   6. EC2 instance metadata, IMDSv2, unless AWS_EC2_METADATA_DISABLED
//      (imds_credentials_provider.h).
// This is the SDKs' order, with the Azure identity, which c42-ship adds,
// beside the other web identity source. STS is reached at
// AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL or https://sts.<region>.amazonaws.com.
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
