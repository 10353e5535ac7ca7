// Region and endpoint resolution following the AWS SDK conventions:
// AWS_REGION / AWS_DEFAULT_REGION, and AWS_ENDPOINT_URL_<SERVICE> before
// AWS_ENDPOINT_URL before the public endpoint.
#pragma once

#include "common/environment.h"
#include "common/result.h"
#include "common/uri.h"

#include <string>

namespace c42::aws {

// service_id as the SDKs spell it for the variable suffix: "SQS", "S3", "STS".
std::string configured_endpoint(const Environment& env, const std::string& service_id);

// AWS_REGION, else AWS_DEFAULT_REGION, else the region in `hint_url` when it
// is an amazonaws.com host (sqs.eu-west-1.amazonaws.com), else an error.
Result<std::string> resolve_region(const Environment& env, const std::string& hint_url = "");

struct S3Addressing {
  Url endpoint;            // scheme and authority to talk to
  bool path_style = false; // bucket in the path rather than in the host
};

// Virtual-hosted style on AWS; path style when forced (AWS_S3_FORCE_PATH_STYLE
// or the flag), when the endpoint host is an IP address, or when the bucket
// name cannot be a DNS label under TLS (contains dots).
Result<S3Addressing> resolve_s3_addressing(const Environment& env, const std::string& region,
                                           bool force_path_style);

// The URL for one object, keys encoded per SigV4 (slashes kept).
std::string s3_object_url(const S3Addressing& addressing, const std::string& bucket,
                          const std::string& key);

// The URL of the bucket itself, for bucket operations such as
// ListObjectsV2: https://bucket.host/ or, path-style, https://host/bucket.
std::string s3_bucket_url(const S3Addressing& addressing, const std::string& bucket);

} // namespace c42::aws
