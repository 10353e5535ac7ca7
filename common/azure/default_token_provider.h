// The Entra token source a tool uses, chosen from the environment in this
// order (the first whose settings are present; no probing, so a missing
// setting gives a clear error rather than a slow guess):
//  1. client secret: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET;
//  2. workload identity: AZURE_TENANT_ID, AZURE_CLIENT_ID,
//     AZURE_FEDERATED_TOKEN_FILE;
//  3. managed identity through App Service / Functions: IDENTITY_ENDPOINT,
//     IDENTITY_HEADER (AZURE_CLIENT_ID for a user-assigned identity);
//  4. managed identity through IMDS (AZURE_CLIENT_ID likewise).
// behind a cache that keeps each scope's token until shortly before it
// expires. Logs Ingestion uses it for https://monitor.azure.com/.default,
// and the AWS chain for the audience its IAM role trusts.
#pragma once

#include "common/azure/token_provider.h"
#include "common/environment.h"
#include "common/http.h"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>

namespace c42::azure {

// Keeps tokens per scope until `margin` before they expire (or half their
// life, for short-lived ones), so each request does not cost a token call.
// Thread-safe.
class CachedTokenProvider final : public TokenProvider {
public:
  CachedTokenProvider(std::unique_ptr<TokenProvider> source, const Clock& clock,
                      std::chrono::seconds margin = std::chrono::minutes(5));
  Result<AccessToken> get_token(const std::string& scope) override;
  void invalidate(const std::string& scope) override;
  std::string name() const override { return source_->name(); }

private:
  std::unique_ptr<TokenProvider> source_;
  const Clock& clock_;
  std::chrono::seconds margin_;
  std::mutex mutex_;
  struct Entry {
    AccessToken token;
    TimePoint refresh_at;
  };
  std::map<std::string, Entry> cache_;
};

std::unique_ptr<TokenProvider> default_token_provider(const Environment& env, const Clock& clock,
                                                      HttpClientFactory http);

} // namespace c42::azure
