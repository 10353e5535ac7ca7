// Credentials from STS AssumeRoleWithWebIdentity with a token read from a
// file, as every AWS SDK's web identity provider: AWS_ROLE_ARN,
// AWS_WEB_IDENTITY_TOKEN_FILE and the optional AWS_ROLE_SESSION_NAME (EKS
// service accounts, or any OIDC issuer that writes a token file). The
// profile provider makes one from role_arn and web_identity_token_file.
#pragma once

#include "common/aws/credentials.h"
#include "common/aws/provider_support.h"
#include "common/aws/sts_client.h"
#include "common/environment.h"

#include <optional>
#include <string>

namespace c42::aws {

struct WebIdentitySettings {
  std::string role_arn;
  std::string token_file;
  std::string session_name; // empty: default_session_name()
  // Which settings these are, for messages: "AWS_WEB_IDENTITY_TOKEN_FILE",
  // "web_identity_token_file of profile c42".
  std::string token_setting;
  std::string role_setting;    // "AWS_ROLE_ARN", "role_arn of profile c42"
  std::string session_setting; // "AWS_ROLE_SESSION_NAME", "role_session_name of ..."
};

class WebIdentityCredentialsProvider final : public CredentialsProvider {
public:
  // Reads its settings from the environment on every call. The environment
  // must outlive the provider.
  WebIdentityCredentialsProvider(const Environment& env, ProviderNetwork net);
  // With settings given (a profile's); `env` still configures the STS
  // endpoint.
  WebIdentityCredentialsProvider(const Environment& env, WebIdentitySettings settings,
                                 ProviderNetwork net);

  // Reads the token file afresh (its writer rotates it), then asks STS.
  Result<Credentials> get_credentials() override;
  std::string name() const override { return "web identity"; }
  // Absent without AWS_WEB_IDENTITY_TOKEN_FILE; broken without a role ARN,
  // with a session name STS would refuse, or with a token file that cannot
  // be read.
  SourceSetup setup() const override;

private:
  Result<WebIdentitySettings> settings() const;

  const Environment& env_;
  std::optional<WebIdentitySettings> given_;
  ProviderClient client_;
};

// "c42-ship-<seconds since the epoch>": the session name when none is set,
// so CloudTrail shows which run used the role ("c42-ship" without a clock).
std::string default_session_name(const Clock* clock);

// A role ARN and session name STS will take, or a kConfig error naming the
// setting to fix (checked before any call, so --check-config catches them).
Status check_role_settings(const std::string& role_arn, const std::string& role_setting,
                           const std::string& session_name, const std::string& session_setting);

// The exchange both web identity sources (a token file, an Azure identity)
// make: `request` at the STS endpoint `env` configures (AWS_ENDPOINT_URL_STS,
// AWS_ENDPOINT_URL, else the regional one), unsigned, three attempts.
Result<Credentials> exchange_web_identity(ProviderClient& client, const Environment& env,
                                          const WebIdentityRequest& request);

} // namespace c42::aws
