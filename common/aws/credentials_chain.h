// The standard credentials chain of the AWS SDKs: sources in a fixed order,
// and the first one that is configured is the one used.
#pragma once

#include "common/aws/credentials.h"

#include <memory>
#include <vector>

namespace c42::aws {

class CredentialsChain final : public CredentialsProvider {
public:
  explicit CredentialsChain(std::vector<std::unique_ptr<CredentialsProvider>> providers)
      : providers_(std::move(providers)) {}

  // Fetches from the first source whose setup() is not kAbsent. When that
  // source is broken or fails, the chain stops there with its error,
  // prefixed by its label, rather than falling through to a source the
  // operator did not mean (as the Go v2, Rust and Python SDKs do); a
  // kTransient failure becomes kFailed (the provider has retried already).
  // When no source is configured, the error lists each source and what
  // would configure it. Put a CachedCredentialsProvider in front so this
  // happens once per credential lifetime.
  Result<Credentials> get_credentials() override;
  // The chosen source's name, or "credential chain" when none is configured.
  std::string name() const override;
  // The chosen source's setup; kBroken when none is configured, or when
  // the chosen one is broken, its detail then the whole message.
  SourceSetup setup() const override;

private:
  struct Choice {
    CredentialsProvider* provider = nullptr; // null: none configured
    SourceSetup setup;
  };
  Choice choose() const;
  // What each source before `end` said about its absence.
  std::string absent_summary(size_t end) const;

  std::vector<std::unique_ptr<CredentialsProvider>> providers_;
};

} // namespace c42::aws
