// Credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the optional
// AWS_SESSION_TOKEN, the variables every AWS SDK reads first.
#pragma once

#include "common/aws/credentials.h"
#include "common/environment.h"

namespace c42::aws {

class EnvCredentialsProvider final : public CredentialsProvider {
public:
  // The environment must outlive the provider.
  explicit EnvCredentialsProvider(const Environment& env) : env_(env) {}
  Result<Credentials> get_credentials() override;
  std::string name() const override { return "environment"; }
  // Absent when neither key variable is set; broken when only one is.
  SourceSetup setup() const override;

private:
  const Environment& env_;
};

} // namespace c42::aws
