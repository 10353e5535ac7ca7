// Credentials fixed when the provider is made, as aws-c-auth's static
// provider holds them: keys a caller already has (from a profile file, a
// secret store, a test) served through the same interface as every source.
#pragma once

#include "common/aws/credentials.h"

#include <string>

namespace c42::aws {

class StaticCredentialsProvider final : public CredentialsProvider {
public:
  explicit StaticCredentialsProvider(Credentials credentials, std::string name = "static")
      : credentials_(std::move(credentials)), name_(std::move(name)) {}

  // The same credentials every time; an error when the key id or secret is
  // empty, since nothing could be signed with them.
  Result<Credentials> get_credentials() override;
  std::string name() const override { return name_; }

private:
  Credentials credentials_;
  std::string name_;
};

} // namespace c42::aws
