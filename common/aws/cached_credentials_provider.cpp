#include "common/aws/cached_credentials_provider.h"

namespace c42::aws {

bool CachedCredentialsProvider::needs_refresh(TimePoint now) const {
  if (!cached_) return true;
  if (!cached_->expiration) return false;
  return *cached_->expiration - refresh_margin_ <= now;
}

Result<Credentials> CachedCredentialsProvider::get_credentials() {
  // The lock is held across the fetch on purpose: workers that find the
  // cache stale at the same moment wait for one refresh instead of each
  // calling the source.
  std::lock_guard<std::mutex> lock(mutex_);
  TimePoint now = clock_.now();
  if (!needs_refresh(now)) return *cached_;
  auto fresh = source_->get_credentials();
  if (fresh.ok()) {
    cached_ = fresh.value();
    return fresh;
  }
  if (cached_ && cached_->expiration && now < *cached_->expiration) return *cached_;
  return fresh;
}

} // namespace c42::aws
