// What every AWS-calling tool needs before its first request: a region and
// credentials that have been checked to exist, so configuration mistakes
// are reported up front (Outcome::kConfig) rather than as a failed call.
#pragma once

#include "common/aws/aws_call.h"
#include "common/aws/credentials.h"
#include "common/environment.h"

#include <memory>
#include <string>

namespace c42::aws {

class Session {
public:
  // region_hint: a URL whose amazonaws.com host names the region (queue URL).
  // `http` is for the credential providers that use the network
  // (default_credentials_provider); the tools pass CurlHttpClient::factory().
  static Result<Session> open(const Environment& env, const Clock& clock, HttpClientFactory http,
                              const std::string& region_hint = "");

  const std::string& region() const { return region_; }
  // A context for `service` ("sqs", "s3") sending through `http`.
  ServiceContext context(HttpClient* http, const std::string& service) const;

private:
  Session(std::shared_ptr<CredentialsProvider> credentials, std::string region, const Clock& clock)
      : credentials_(std::move(credentials)), region_(std::move(region)), clock_(&clock) {}

  std::shared_ptr<CredentialsProvider> credentials_;
  std::string region_;
  const Clock* clock_;
};

} // namespace c42::aws
