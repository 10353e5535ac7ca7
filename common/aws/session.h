// What every AWS-calling tool needs before its first request: a region and
// credentials from a source that has been checked, so configuration
// mistakes are reported up front (Outcome::kConfig) rather than as a failed
// call.
#pragma once

#include "common/aws/aws_call.h"
#include "common/aws/credentials.h"
#include "common/aws/endpoints.h"
#include "common/environment.h"

#include <memory>
#include <string>

namespace c42::aws {

// How far Session::open goes with the credentials.
enum class CredentialCheck {
  kFetch,     // fetch them: a source that fails is reported before any work
  kSetupOnly, // only check that the chosen source is set up: no network, no
              // process started (--check-config)
};

// kSetupOnly for a tool's --check-config, else kFetch.
constexpr CredentialCheck credential_check(bool check_only) {
  return check_only ? CredentialCheck::kSetupOnly : CredentialCheck::kFetch;
}

class Session {
public:
  // region_hint: a URL whose amazonaws.com host names the region (queue URL).
  // `http` is for the credential providers that use the network
  // (default_credentials_provider); the tools pass CurlHttpClient::factory().
  static Result<Session> open(const Environment& env, const Clock& clock, HttpClientFactory http,
                              const std::string& region_hint = "",
                              CredentialCheck check = CredentialCheck::kFetch);

  const std::string& region() const { return region_; }
  // A context for `service` ("sqs", "s3", "sts") sending through `http`.
  ServiceContext context(HttpClient* http, const std::string& service) const;
  // The chosen credentials source and the settings that chose it:
  // "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)".
  std::string credentials_source() const;

private:
  Session(std::shared_ptr<CredentialsProvider> credentials, std::string region, const Clock& clock)
      : credentials_(std::move(credentials)), region_(std::move(region)), clock_(&clock) {}

  std::shared_ptr<CredentialsProvider> credentials_;
  std::string region_;
  const Clock* clock_;
};

// A session with S3's addressing settled: what a tool reading S3 opens
// first (AWS_S3_ENDPOINT, --path-style; see resolve_s3_addressing).
struct S3Session {
  Session session;
  S3Addressing addressing;
};

Result<S3Session> open_s3_session(const Environment& env, const Clock& clock,
                                  HttpClientFactory http, CredentialCheck check, bool path_style);

} // namespace c42::aws
