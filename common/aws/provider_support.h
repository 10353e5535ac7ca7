// What credentials providers share: the network the default chain hands
// those that fetch credentials (as aws-c-auth's default chain hands its
// providers what they need: a way to make an HTTP client, the clock, the
// region for STS's regional endpoint, how to sleep between a provider's
// own retries), and reading the token files some of them are given.
#pragma once

#include "common/aws/aws_call.h"
#include "common/aws/credentials.h"
#include "common/clock.h"
#include "common/http.h"
#include "common/retry.h"

#include <json/json.h>
#include <memory>
#include <string>

namespace c42::aws {

struct ProviderNetwork {
  HttpClientFactory http; // empty: no provider may use the network
  const Clock* clock = nullptr;
  std::string region;
  Sleeper sleeper = real_sleeper(); // unit tests pass one that does not sleep
};

// The HTTP client a provider makes on first use and keeps, so it refreshes
// from whichever worker thread finds the cached credentials stale (the
// cache lets one thread at a time in).
class ProviderClient {
public:
  explicit ProviderClient(ProviderNetwork net) : net_(std::move(net)) {}

  // A context for the provider's unsigned calls: `attempts` in all, short
  // backoff, each attempt within `timeouts`. A credentials exchange stays
  // small and quick, so it never waits as long as the calls it serves.
  //
  // `attempts` is a small fixed count, never kUntilDeadline: a provider is
  // asked from inside an attempt of the call it signs, whose own loop
  // retries until the run's deadline. A provider retrying until the
  // deadline too would hold that one outer attempt for the whole run, its
  // waits stacked on the outer loop's; and since the chain reports a
  // provider's failure as kFailed, the outer loop does not repeat the
  // provider's tries either, so they never multiply.
  Result<ServiceContext> context(int attempts, Timeouts timeouts);

  const ProviderNetwork& network() const { return net_; }

private:
  ProviderNetwork net_;
  std::unique_ptr<HttpClient> http_;
};

// The token in `path` without surrounding whitespace, read afresh on each
// call (the writer rotates it); `setting` names where the path came from
// ("AWS_WEB_IDENTITY_TOKEN_FILE") in the kConfig error for a file that is
// missing, unreadable, empty or implausibly large. The token itself is
// never in a message.
Result<std::string> read_token_file(const std::string& path, const std::string& setting);

// Credentials from the JSON that credential_process prints and the
// container and instance metadata endpoints serve: AccessKeyId and
// SecretAccessKey required, the session token under `token_member`
// ("SessionToken", or "Token" for the endpoints) and an ISO 8601
// Expiration optional. Errors name `what` and the member, never a value.
Result<Credentials> credentials_from_json(const Json::Value& reply, const char* token_member,
                                          const std::string& what);

} // namespace c42::aws
