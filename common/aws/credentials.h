// AWS credentials and the provider interface every credential source
// implements (environment, web identity/STS, profile, IMDS), modelled on
// aws-c-auth so sources compose: a chain picks the first that works and a
// cache sits in front of the chain.
#pragma once

#include "common/clock.h"
#include "common/result.h"

#include <optional>
#include <string>

namespace c42::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token; // empty for long-term keys
  // Absent for credentials that never expire (static keys); temporary
  // credentials carry it so the cache knows when to refresh.
  std::optional<TimePoint> expiration;
};

class CredentialsProvider {
public:
  virtual ~CredentialsProvider() = default;
  // An error message says why this source has no credentials; it never
  // contains secret material.
  virtual Result<Credentials> get_credentials() = 0;
  // Short label for error messages ("environment", "profile default").
  virtual std::string name() const = 0;
};

} // namespace c42::aws
