// Credentials from a profile of the shared files (shared_config.h), as the
// SDKs' profile provider resolves one, in this order: role_arn with
// web_identity_token_file (STS AssumeRoleWithWebIdentity, as the web
// identity provider does), credential_process, then static keys
// (aws_access_key_id, aws_secret_access_key, aws_session_token). Profiles
// that need a signed AssumeRole (source_profile, credential_source) or SSO
// are refused with what to use instead.
#pragma once

#include "common/aws/credentials.h"
#include "common/aws/provider_support.h"
#include "common/aws/shared_config.h"
#include "common/environment.h"

#include <memory>
#include <string>

namespace c42::aws {

class ProfileCredentialsProvider final : public CredentialsProvider {
public:
  // Reads the files on every call, so an edited profile is used at the
  // next refresh. The environment must outlive the provider.
  ProfileCredentialsProvider(const Environment& env, ProviderNetwork net);

  Result<Credentials> get_credentials() override;
  // "profile default", "profile c42"
  std::string name() const override;
  // Absent when the profile is in neither file (unless AWS_PROFILE names
  // it) or has no credentials settings; broken when its settings are
  // incomplete or of a kind not supported.
  SourceSetup setup() const override;

private:
  // The source the profile's settings describe, made afresh per call.
  struct Resolved {
    SourceSetup setup;
    std::unique_ptr<CredentialsProvider> source; // set when setup is kReady
  };
  Resolved resolve() const;

  const Environment& env_;
  ProviderNetwork net_;
};

} // namespace c42::aws
