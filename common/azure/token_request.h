// What every Entra token source shares: one GET or form POST with short,
// bounded limits and a few quick retries, and the reading of the JSON reply
// (managed identity endpoints and the v2 token endpoint answer alike enough
// that one reader serves them).
#pragma once

#include "common/azure/token_provider.h"
#include "common/http.h"
#include "common/retry.h"

#include <string>
#include <utility>
#include <vector>

namespace c42::azure {

// The resource a v2 scope names: "https://monitor.azure.com/.default" ->
// "https://monitor.azure.com". Managed identity endpoints take resources.
std::string resource_of(const std::string& scope);

// application/x-www-form-urlencoded, as the v2 token endpoint takes it.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

struct TokenCall {
  HttpRequest request;
  // A small positive max_attempts, never kUntilDeadline: a token is asked
  // for from inside an attempt of a post whose own loop retries until the
  // run's deadline, and request_token's failure is never kTransient, so the
  // two loops do not multiply and one post's attempt is not held for the
  // whole run by a token source that is down.
  RetryPolicy retry;
  std::string source; // "managed identity (IMDS)", for messages
  std::string fix;    // what to check when the source refuses
};

// Sends the call (retrying network errors, 429 and 5xx) and reads the token
// from the reply: access_token, and expires_on (seconds since the epoch) or
// expires_in (seconds from now). A refusal becomes one line naming the
// source, Entra's error code and description, and `fix` (kind kConfig); a
// source that never answered, kFailed. Never kTransient: the caller's own
// retries must not multiply these.
Result<AccessToken> request_token(HttpClient& http, TokenCall call, const Clock& clock,
                                  const Sleeper& sleeper);

} // namespace c42::azure
