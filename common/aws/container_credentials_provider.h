// Credentials from a container credentials endpoint, as the SDKs' container
// provider fetches them (ECS task roles, EKS Pod Identity, or any local
// agent): a GET of AWS_CONTAINER_CREDENTIALS_RELATIVE_URI on
// http://169.254.170.2, else of AWS_CONTAINER_CREDENTIALS_FULL_URI, with
// the Authorization header from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
// (read afresh each time: EKS rotates it) or else
// AWS_CONTAINER_AUTHORIZATION_TOKEN. The reply is JSON with AccessKeyId,
// SecretAccessKey, Token and Expiration.
//
// A full URI must be https, or http to a loopback address, the ECS
// endpoint 169.254.170.2 or the EKS endpoints 169.254.170.23 and
// fd00:ec2::23 (the SDKs' documented restriction), so the token is never
// sent in clear text across a network. Where the SDKs resolve a host name
// and check every address, this provider takes only IP literals and
// "localhost": a DNS answer cannot then send the token elsewhere.
#pragma once

#include "common/aws/credentials.h"
#include "common/aws/provider_support.h"
#include "common/environment.h"
#include "common/uri.h"

#include <string>

namespace c42::aws {

class ContainerCredentialsProvider final : public CredentialsProvider {
public:
  // The environment must outlive the provider.
  ContainerCredentialsProvider(const Environment& env, ProviderNetwork net);

  Result<Credentials> get_credentials() override;
  std::string name() const override { return "container"; }
  // Absent without either URI variable; broken for a URI that is not
  // allowed, or a token file that cannot be read.
  SourceSetup setup() const override;

private:
  struct Target {
    Url url;
    std::string setting;       // the variable that gave the URI
    std::string authorization; // the token, or empty
  };
  Result<Target> target() const;

  const Environment& env_;
  ProviderClient client_;
};

// Whether an http:// full URI may point at `host` (see above).
bool container_host_allowed(const std::string& host);

} // namespace c42::aws
