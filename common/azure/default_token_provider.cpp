#include "common/azure/default_token_provider.h"

#include "common/azure/client_credentials.h"
#include "common/azure/managed_identity.h"

namespace c42::azure {

CachedTokenProvider::CachedTokenProvider(std::unique_ptr<TokenProvider> source, const Clock& clock,
                                         std::chrono::seconds margin)
    : source_(std::move(source)), clock_(clock), margin_(margin) {}

Result<AccessToken> CachedTokenProvider::get_token(const std::string& scope) {
  std::lock_guard<std::mutex> lock(mutex_);
  const TimePoint now = clock_.now();
  auto it = cache_.find(scope);
  if (it != cache_.end() && now < it->second.refresh_at) return it->second.token;
  auto fresh = source_->get_token(scope);
  if (!fresh.ok()) {
    // A source that is briefly down must not fail requests a token still
    // valid for a while can sign.
    if (it != cache_.end() && now < it->second.token.expires_on) return it->second.token;
    return fresh.error();
  }
  // Refresh `margin` before expiry, or halfway for tokens that live less.
  auto life = fresh->expires_on - now;
  auto early = std::min<TimePoint::duration>(margin_, life / 2);
  cache_[scope] = Entry{*fresh, fresh->expires_on - early};
  return fresh;
}

void CachedTokenProvider::invalidate(const std::string& scope) {
  std::lock_guard<std::mutex> lock(mutex_);
  cache_.erase(scope);
  source_->invalidate(scope);
}

std::unique_ptr<TokenProvider> default_token_provider(const Environment& env, const Clock& clock,
                                                      HttpClientFactory http) {
  std::unique_ptr<TokenProvider> source;
  if (ClientSecretCredential::configured(env)) {
    source = std::make_unique<ClientSecretCredential>(env, std::move(http), clock);
  } else if (WorkloadIdentityCredential::configured(env)) {
    source = std::make_unique<WorkloadIdentityCredential>(env, std::move(http), clock);
  } else if (AppServiceManagedIdentity::configured(env)) {
    source = std::make_unique<AppServiceManagedIdentity>(env, std::move(http), clock);
  } else {
    source = std::make_unique<ImdsManagedIdentity>(env, std::move(http), clock);
  }
  return std::make_unique<CachedTokenProvider>(std::move(source), clock);
}

} // namespace c42::azure
