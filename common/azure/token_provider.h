// Microsoft Entra access tokens, behind one interface with one
// implementation per source (managed identity through App Service or IMDS,
// a client secret, workload identity), a chain that picks the configured
// source, and a cache. The Logs Ingestion API sender asks for
// https://monitor.azure.com/.default; the AWS provider that exchanges an
// Azure identity at STS asks for the audience its IAM role trusts.
#pragma once

#include "common/clock.h"
#include "common/result.h"

#include <string>

namespace c42::azure {

struct AccessToken {
  std::string token; // a bearer token; never printed
  TimePoint expires_on;
};

class TokenProvider {
public:
  virtual ~TokenProvider() = default;
  // A token for `scope`, in the v2 form "<resource>/.default" (managed
  // identity endpoints are asked for the resource, the part before
  // "/.default"). Errors are one line that names the source and what to
  // fix, and never contain secret material.
  virtual Result<AccessToken> get_token(const std::string& scope) = 0;
  // Forget a cached token for `scope`: the service refused it (401).
  virtual void invalidate(const std::string& scope) { (void)scope; }
  // Short label for messages ("managed identity (App Service)").
  virtual std::string name() const = 0;
};

} // namespace c42::azure
