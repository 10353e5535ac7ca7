// Azure managed identity, system- or user-assigned, from the two endpoints
// Azure gives a process:
//  - App Service and Azure Functions set IDENTITY_ENDPOINT and
//    IDENTITY_HEADER: GET {IDENTITY_ENDPOINT}?resource=…&api-version=2019-08-01
//    with the header X-IDENTITY-HEADER;
//  - a VM (or anything with IMDS) answers at
//    http://169.254.169.254/metadata/identity/oauth2/token?resource=…&
//    api-version=2018-02-01 with the header Metadata: true.
// AZURE_CLIENT_ID selects a user-assigned identity. IMDS is asked with a
// short connect limit, so a machine without it fails in about a second.
#pragma once

#include "common/azure/token_provider.h"
#include "common/environment.h"
#include "common/http.h"
#include "common/retry.h"

#include <memory>
#include <string>

namespace c42::azure {

class AppServiceManagedIdentity final : public TokenProvider {
public:
  // Configured when IDENTITY_ENDPOINT and IDENTITY_HEADER are both set.
  static bool configured(const Environment& env);
  AppServiceManagedIdentity(const Environment& env, HttpClientFactory http, const Clock& clock,
                            Sleeper sleeper = real_sleeper());
  Result<AccessToken> get_token(const std::string& scope) override;
  std::string name() const override { return "managed identity (App Service)"; }

private:
  std::string endpoint_;
  std::string header_; // a secret: sent, never printed
  std::string client_id_;
  HttpClientFactory http_;
  const Clock& clock_;
  Sleeper sleeper_;
};

class ImdsManagedIdentity final : public TokenProvider {
public:
  // The IMDS address, or AZURE_POD_IDENTITY_AUTHORITY_HOST (the Azure SDKs'
  // own override) for another.
  ImdsManagedIdentity(const Environment& env, HttpClientFactory http, const Clock& clock,
                      Sleeper sleeper = real_sleeper());
  Result<AccessToken> get_token(const std::string& scope) override;
  std::string name() const override { return "managed identity (IMDS)"; }

private:
  std::string host_;
  std::string client_id_;
  HttpClientFactory http_;
  const Clock& clock_;
  Sleeper sleeper_;
};

} // namespace c42::azure
