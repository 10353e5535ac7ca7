// Credentials for an Azure identity, exchanged at STS: the deployment
// c42-ship exists for, an Azure Function or VM whose managed identity an
// IAM role trusts, with no AWS key stored anywhere. The Entra token comes
// from an azure::TokenProvider (managed identity, workload identity or a
// client secret, as the azure/ chain finds them) for the audience
// C42_AZURE_TOKEN_AUDIENCE, the application ID URI that the role's IAM
// OIDC provider lists as its client ID; STS AssumeRoleWithWebIdentity then
// trades it for the role AWS_ROLE_ARN (session AWS_ROLE_SESSION_NAME, else
// c42-ship-<seconds>).
#pragma once

#include "common/aws/credentials.h"
#include "common/aws/provider_support.h"
#include "common/azure/token_provider.h"
#include "common/environment.h"

#include <memory>
#include <string>

namespace c42::aws {

class AzureCredentialsProvider final : public CredentialsProvider {
public:
  // `tokens` may be null when this build has no Azure token source; the
  // provider is then broken whenever it is configured. The environment
  // must outlive the provider.
  AzureCredentialsProvider(const Environment& env, std::unique_ptr<azure::TokenProvider> tokens,
                           ProviderNetwork net);

  Result<Credentials> get_credentials() override;
  std::string name() const override { return "Azure identity"; }
  // Absent unless AWS_ROLE_ARN or C42_AZURE_TOKEN_AUDIENCE is set (with
  // AWS_WEB_IDENTITY_TOKEN_FILE set, the web identity source, earlier in
  // the chain, has taken AWS_ROLE_ARN); broken when only one of them is.
  SourceSetup setup() const override;

private:
  struct Settings {
    std::string role_arn;
    std::string scope; // "<audience>/.default"
    std::string session_name;
  };
  Result<Settings> settings() const;

  const Environment& env_;
  std::unique_ptr<azure::TokenProvider> tokens_;
  ProviderClient client_;
};

} // namespace c42::aws
