// An Entra app registration's own credentials at the v2 token endpoint,
// POST {AZURE_AUTHORITY_HOST}/{AZURE_TENANT_ID}/oauth2/v2.0/token with
// grant_type=client_credentials, as two providers:
//  - a client secret (AZURE_CLIENT_SECRET);
//  - workload identity (Kubernetes and other federated issuers): the
//    assertion is the token in AZURE_FEDERATED_TOKEN_FILE, read again for
//    every request because the platform rotates it.
// AZURE_AUTHORITY_HOST defaults to https://login.microsoftonline.com (set it
// for a sovereign cloud).
#pragma once

#include "common/azure/token_provider.h"
#include "common/environment.h"
#include "common/http.h"
#include "common/retry.h"

#include <string>

namespace c42::azure {

inline constexpr const char* kDefaultAuthorityHost = "https://login.microsoftonline.com";

class ClientSecretCredential final : public TokenProvider {
public:
  // Configured when AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET are set.
  static bool configured(const Environment& env);
  ClientSecretCredential(const Environment& env, HttpClientFactory http, const Clock& clock,
                         Sleeper sleeper = real_sleeper());
  Result<AccessToken> get_token(const std::string& scope) override;
  std::string name() const override { return "client secret (AZURE_CLIENT_SECRET)"; }

private:
  std::string token_url_;
  std::string client_id_;
  std::string secret_; // never printed
  HttpClientFactory http_;
  const Clock& clock_;
  Sleeper sleeper_;
};

class WorkloadIdentityCredential final : public TokenProvider {
public:
  // Configured when AZURE_TENANT_ID, AZURE_CLIENT_ID and
  // AZURE_FEDERATED_TOKEN_FILE are set.
  static bool configured(const Environment& env);
  WorkloadIdentityCredential(const Environment& env, HttpClientFactory http, const Clock& clock,
                             Sleeper sleeper = real_sleeper());
  Result<AccessToken> get_token(const std::string& scope) override;
  std::string name() const override { return "workload identity (AZURE_FEDERATED_TOKEN_FILE)"; }

private:
  std::string token_url_;
  std::string client_id_;
  std::string token_file_;
  HttpClientFactory http_;
  const Clock& clock_;
  Sleeper sleeper_;
};

} // namespace c42::azure
