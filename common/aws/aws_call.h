// One AWS API call with retries: the piece SQS, S3 and STS share.
// Each attempt is signed afresh, so a retry after a long Retry-After never
// carries a stale X-Amz-Date.
#pragma once

#include "common/aws/credentials.h"
#include "common/aws/sigv4.h"
#include "common/clock.h"
#include "common/http.h"
#include "common/retry.h"

#include <string>
#include <vector>

namespace c42::aws {

struct ServiceContext {
  HttpClient* http = nullptr;
  CredentialsProvider* credentials = nullptr; // may be null when every call is unsigned
  const Clock* clock = nullptr;
  std::string region;
  std::string service; // signing name: "sqs", "s3", "sts"
  RetryPolicy retry;   // its deadline bounds every call, retries included
  // Error codes retried like throttling, beyond the standard list, for an
  // operation whose documentation says so (STS AssumeRoleWithWebIdentity:
  // IDPCommunicationError).
  std::vector<std::string> retry_codes;
  Timeouts timeouts;
  Sleeper sleeper = real_sleeper();
  // Checked while a transfer runs and while a retry waits; true aborts the
  // transfer and ends the retries (termination requested).
  std::function<bool()> cancelled;
};

// The service's error code and message from a JSON ("__type"/"message") or
// XML (<Code>/<Message>) error body; code falls back to the HTTP status.
struct ServiceError {
  std::string code;
  std::string message;
};
ServiceError parse_service_error(long status, const std::string& body);
// Whether the error response names a throttling or transient code (AWS
// sends throttling as HTTP 400 with a code), in its body or, for SQS, in
// its x-amzn-query-error header.
bool has_retryable_code(const HttpResponse& response);
// "AccessDenied: User ... is not authorized (HTTP 403)"
std::string describe_service_error(long status, const std::string& body);

// How a call is authenticated.
enum class Signing {
  kSigV4,   // SigV4 as the JSON and query protocols use it (SQS, STS AssumeRole)
  kSigV4S3, // SigV4 by S3's rules: the path signed as sent, x-amz-content-sha256 always
  // No signature and no credentials: STS AssumeRoleWithWebIdentity, whose
  // web identity token in the body is the proof, and which is how a
  // provider gets credentials in the first place.
  kUnsigned,
};

struct CallOutcome {
  HttpResponse response; // a 2xx, or a refusal that no retry cures
  int attempts = 0;
};

// `request` fitted to the run's deadline and signed as `signing` says with
// the context's credentials at the clock's time, ready to send at once: one
// attempt, for callers whose attempts differ (S3 resumes). An error when the
// deadline has passed (kDeadlinePassed, kOutOfTime) or a signed call has no
// credentials.
Result<HttpRequest> prepare_attempt(ServiceContext& ctx, const HttpRequest& request,
                                    Signing signing);

// Signs and sends, each attempt afresh, through run_with_retries: network
// failures, 408/429/5xx and throttling codes are retried. Returns the
// response when it is a 2xx or a refusal no retry cures (any other status,
// for the caller to read); an Error, its kind from run_with_retries, when
// retries did not get one (the last status described), the transfer was
// aborted, or credentials are unavailable. With a sink, a failure after
// body bytes were delivered to it is not retried (kFailed).
Result<CallOutcome> call_with_retries(ServiceContext& ctx, const HttpRequest& request,
                                      Signing signing, const BodySink* sink = nullptr);

} // namespace c42::aws
