// AWS STS over its Query protocol (API version 2011-06-15: a form-encoded
// POST, an XML reply): AssumeRoleWithWebIdentity, which the web identity
// providers call unsigned (the token in the body is the proof, and they
// have no credentials yet), and GetCallerIdentity, which `sqs-poll
// --whoami` calls signed.
#pragma once

#include "common/aws/aws_call.h"
#include "common/aws/credentials.h"
#include "common/aws/session.h"
#include "common/environment.h"
#include "common/uri.h"

#include <memory>
#include <optional>
#include <string>

namespace c42::aws {

inline constexpr const char* kStsApiVersion = "2011-06-15";

struct WebIdentityRequest {
  std::string role_arn;
  std::string session_name;
  std::string token; // a secret: never in a message
  // Where the token came from, for messages that say what to fix:
  // "the token in AWS_WEB_IDENTITY_TOKEN_FILE (/var/run/token)".
  std::string token_origin;
};

struct AssumedRole {
  Credentials credentials; // temporary: with a session token and expiration
  std::string arn;         // AssumedRoleUser/Arn
  std::string subject;     // SubjectFromWebIdentityToken
  std::string audience;
  std::string provider;
};

struct CallerIdentity {
  std::string arn;
  std::string account;
  std::string user_id;
};

class StsClient {
public:
  // `endpoint` as resolve_sts_endpoint gives it. The context needs
  // credentials only for get_caller_identity.
  StsClient(ServiceContext context, Url endpoint);

  // Unsigned, with the context's retries; IDPCommunicationError (the
  // identity provider did not answer STS) is retried as the API reference
  // advises. A refusal comes back as one line naming STS's code and what
  // to fix: the role's trust policy, the OIDC provider, the token's origin.
  Result<AssumedRole> assume_role_with_web_identity(const WebIdentityRequest& request);
  // Signed with the context's credentials.
  Result<CallerIdentity> get_caller_identity();

  const Url& endpoint() const { return endpoint_; }

private:
  Result<HttpResponse> call(const std::string& body, Signing signing, const std::string& action);

  ServiceContext ctx_;
  Url endpoint_;
};

// AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL, else the regional endpoint
// https://sts.<region>.amazonaws.com, as for SQS and S3.
Result<Url> resolve_sts_endpoint(const Environment& env, const std::string& region);

// An StsClient for signed calls as `session`, through `http`, with the
// tool's per-attempt limits and the run's deadline and attempts.
Result<std::unique_ptr<StsClient>> open_sts_client(const Session& session, const Environment& env,
                                                   HttpClient* http, Timeouts timeouts = {},
                                                   RetryPolicy retry = {});

// The form encoding of the Query protocol: name=value pairs joined by '&',
// each percent-encoded as SigV4 encodes (RFC 3986 unreserved kept).
std::string query_body(std::initializer_list<std::pair<std::string, std::string>> params);

} // namespace c42::aws
