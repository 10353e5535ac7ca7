// AWS Signature Version 4, split into the stages the AWS documentation and
// test suite publish (canonical request, string to sign, signing key,
// signature) so each can be checked against the published vectors. Every
// stage is a pure function: the signing time comes in the config, never from
// a clock.
#pragma once

#include "common/aws/credentials.h"
#include "common/clock.h"
#include "common/http.h"
#include "common/result.h"

#include <optional>
#include <string>

namespace c42::aws {

struct SigningConfig {
  std::string region;
  std::string service; // signing name: "sqs", "s3", "sts"
  TimePoint time;
  // S3 signs the path exactly as sent (no dot-segment removal, no second
  // encoding) and requires x-amz-content-sha256 on every request.
  bool s3_mode = false;
  // Overrides sha256_hex(body), e.g. "UNSIGNED-PAYLOAD" or the hash of a
  // body streamed from elsewhere.
  std::optional<std::string> payload_hash;
};

// Method, canonical URI, canonical query, canonical headers, signed header
// names and payload hash, newline-separated. Signs every header on the
// request except Authorization (a re-signed request must not sign its old
// signature); repeated headers are joined with commas in request order.
std::string canonical_request(const HttpRequest& request, const SigningConfig& config);
// "host;x-amz-date": the lower-cased, sorted, de-duplicated names signed.
std::string signed_header_names(const HttpRequest& request);
// "20150830/us-east-1/service/aws4_request"
std::string credential_scope(const SigningConfig& config);
std::string string_to_sign(const std::string& canonical_request, const SigningConfig& config);
// The derived key as raw bytes (32 of them).
std::string signing_key(const std::string& secret_access_key, const SigningConfig& config);
// Lower-case hex.
std::string signature(const std::string& secret_access_key, const SigningConfig& config,
                      const std::string& string_to_sign);

// Adds Host (from the URL, when absent), X-Amz-Date, X-Amz-Security-Token
// (with a session token; it is signed), x-amz-content-sha256 (s3_mode), then
// the Authorization header. Fails on an unparsable URL or empty keys.
Status sign_request(HttpRequest& request, const Credentials& credentials,
                    const SigningConfig& config);

} // namespace c42::aws
