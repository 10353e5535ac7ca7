#include "common/aws/endpoints.h"

#include <algorithm>

namespace c42::aws {

namespace {

bool truthy(const std::optional<std::string>& v) {
  if (!v) return false;
  std::string s = *v;
  std::transform(s.begin(), s.end(), s.begin(), ::tolower);
  return s == "1" || s == "true" || s == "yes";
}

} // namespace

std::string configured_endpoint(const Environment& env, const std::string& service_id) {
  if (truthy(env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"))) return "";
  if (auto specific = env.get("AWS_ENDPOINT_URL_" + service_id)) return *specific;
  if (auto global = env.get("AWS_ENDPOINT_URL")) return *global;
  return "";
}

Result<std::string> resolve_region(const Environment& env, const std::string& hint_url) {
  if (auto region = env.get("AWS_REGION")) return *region;
  if (auto region = env.get("AWS_DEFAULT_REGION")) return *region;
  if (!hint_url.empty()) {
    auto url = parse_url(hint_url);
    const std::string suffix = ".amazonaws.com";
    if (url.ok() && url->host.size() > suffix.size() &&
        url->host.compare(url->host.size() - suffix.size(), suffix.size(), suffix) == 0) {
      std::string host = url->host.substr(0, url->host.size() - suffix.size());
      size_t dot = host.find('.');
      // sqs.<region>.amazonaws.com, or the legacy <region>.queue.amazonaws.com.
      if (dot != std::string::npos && host.find('.', dot + 1) == std::string::npos) {
        std::string first = host.substr(0, dot), second = host.substr(dot + 1);
        if (first == "sqs") return second;
        if (second == "queue") return first;
      }
    }
  }
  return make_error("no AWS region: set AWS_REGION");
}

Result<S3Addressing> resolve_s3_addressing(const Environment& env, const std::string& region,
                                           bool force_path_style) {
  S3Addressing addressing;
  std::string configured = configured_endpoint(env, "S3");
  auto url = parse_url(configured.empty() ? "https://s3." + region + ".amazonaws.com" : configured);
  if (!url.ok()) return make_error("bad S3 endpoint: " + url.error().message);
  addressing.endpoint = std::move(url.value());
  addressing.path_style = force_path_style || truthy(env.get("AWS_S3_FORCE_PATH_STYLE")) ||
                          addressing.endpoint.host_is_ip_address() ||
                          addressing.endpoint.host == "localhost";
  return addressing;
}

namespace {

// The URL up to the object key: "https://host/bucket" path-style, else
// "https://bucket.host"; `path_style` says which it was.
std::string s3_base_url(const S3Addressing& addressing, const std::string& bucket,
                        bool* path_style) {
  const Url& ep = addressing.endpoint;
  std::string base_path = ep.path == "/" ? "" : ep.path;
  if (!base_path.empty() && base_path.back() == '/') base_path.pop_back();
  // Dotted bucket names break TLS wildcard certificates when virtual-hosted.
  *path_style =
      addressing.path_style || (ep.scheme == "https" && bucket.find('.') != std::string::npos);
  if (*path_style) return ep.origin() + base_path + "/" + uri_encode(bucket, true);
  Url virtual_host = ep;
  virtual_host.host = bucket + "." + ep.host;
  return virtual_host.origin() + base_path;
}

} // namespace

std::string s3_object_url(const S3Addressing& addressing, const std::string& bucket,
                          const std::string& key) {
  bool path_style = false;
  return s3_base_url(addressing, bucket, &path_style) + "/" + uri_encode(key, false);
}

std::string s3_bucket_url(const S3Addressing& addressing, const std::string& bucket) {
  bool path_style = false;
  std::string base = s3_base_url(addressing, bucket, &path_style);
  return path_style ? base : base + "/";
}

} // namespace c42::aws
