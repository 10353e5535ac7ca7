// The default-chain idea of the AWS SDKs: try credential sources in a fixed
// order and use the first that yields credentials.
#pragma once

#include "common/aws/credentials.h"

#include <memory>
#include <vector>

namespace c42::aws {

class CredentialsChain final : public CredentialsProvider {
public:
  explicit CredentialsChain(std::vector<std::unique_ptr<CredentialsProvider>> providers)
      : providers_(std::move(providers)) {}

  // Asks every provider in turn on each call; put a CachedCredentialsProvider
  // in front so that happens once per credential lifetime. When all fail,
  // the error lists each provider's name and reason, because "no
  // credentials" alone leaves the operator guessing which source was meant.
  Result<Credentials> get_credentials() override;
  std::string name() const override { return "credential chain"; }

private:
  std::vector<std::unique_ptr<CredentialsProvider>> providers_;
};

} // namespace c42::aws
