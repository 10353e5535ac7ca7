// Keeps the credentials a slower source (STS, IMDS) returned until shortly
// before they expire, so each signed request does not cost a network call.
#pragma once

#include "common/aws/credentials.h"
#include "common/clock.h"

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>

namespace c42::aws {

class CachedCredentialsProvider final : public CredentialsProvider {
public:
  // The margin refreshes ahead of expiry so a request signed just before
  // the deadline is not rejected in flight. The clock must outlive this.
  CachedCredentialsProvider(std::unique_ptr<CredentialsProvider> source, const Clock& clock,
                            std::chrono::seconds refresh_margin = std::chrono::minutes(5))
      : source_(std::move(source)), clock_(clock), refresh_margin_(refresh_margin) {}

  // Safe to call from several threads. Credentials without an expiration are
  // kept for the life of the provider. If a refresh fails while the cached
  // credentials have not actually expired yet, those are returned instead
  // of the error: a passing STS/IMDS outage inside the margin should not
  // fail requests that can still be signed.
  Result<Credentials> get_credentials() override;
  std::string name() const override { return source_->name(); }
  SourceSetup setup() const override { return source_->setup(); }

private:
  bool needs_refresh(TimePoint now) const;

  std::unique_ptr<CredentialsProvider> source_;
  const Clock& clock_;
  const std::chrono::seconds refresh_margin_;
  std::mutex mutex_;
  std::optional<Credentials> cached_;
};

} // namespace c42::aws
