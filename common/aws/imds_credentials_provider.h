// Credentials of the IAM role attached to an EC2 instance, from the
// instance metadata service with IMDSv2 sessions, as the SDKs fetch them:
// PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds), then, with
// that token in X-aws-ec2-metadata-token, GET
// /latest/meta-data/iam/security-credentials/ for the role's name and
// GET .../security-credentials/<role> for its credentials.
// AWS_EC2_METADATA_DISABLED=true turns it off; AWS_EC2_METADATA_SERVICE_ENDPOINT
// (or AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6) moves it from
// http://169.254.169.254. There is no fallback to IMDSv1, as in the newer
// SDKs: a session token keeps a forwarded request from reading the role.
//
// It is the chain's last source, tried on any machine where nothing else
// is configured, so it gives up fast: two attempts of one second each.
#pragma once

#include "common/aws/credentials.h"
#include "common/aws/provider_support.h"
#include "common/environment.h"
#include "common/uri.h"

#include <string>

namespace c42::aws {

class ImdsCredentialsProvider final : public CredentialsProvider {
public:
  // The environment must outlive the provider.
  ImdsCredentialsProvider(const Environment& env, ProviderNetwork net);

  Result<Credentials> get_credentials() override;
  std::string name() const override { return "instance metadata"; }
  // Absent when disabled; broken for an endpoint that is not a URL; else
  // ready, by default unless an endpoint variable chose it.
  SourceSetup setup() const override;

private:
  Result<Url> endpoint() const;

  const Environment& env_;
  ProviderClient client_;
};

} // namespace c42::aws
