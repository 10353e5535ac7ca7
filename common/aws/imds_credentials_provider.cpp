#include "common/aws/imds_credentials_provider.h"

#include "common/json_value.h"

#include <algorithm>

namespace c42::aws {

namespace {

constexpr int kAttempts = 2;
const Timeouts kTimeouts{1000, 1000};
// The longest an IMDSv2 session may last; one is opened per refresh.
constexpr const char* kTokenTtlSeconds = "21600";
constexpr const char* kCredentialsPath = "/latest/meta-data/iam/security-credentials/";

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

} // namespace

ImdsCredentialsProvider::ImdsCredentialsProvider(const Environment& env, ProviderNetwork net)
    : env_(env), client_(std::move(net)) {}

Result<Url> ImdsCredentialsProvider::endpoint() const {
  if (auto configured = env_.get("AWS_EC2_METADATA_SERVICE_ENDPOINT")) {
    auto url = parse_url(*configured);
    if (!url.ok())
      return make_error("AWS_EC2_METADATA_SERVICE_ENDPOINT is not a URL: " + url.error().message,
                        ErrorKind::kConfig);
    return url;
  }
  auto mode = lower(env_.get("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE").value_or("ipv4"));
  if (mode == "ipv6") return parse_url("http://[fd00:ec2::254]");
  if (mode != "ipv4")
    return make_error("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE must be IPv4 or IPv6",
                      ErrorKind::kConfig);
  return parse_url("http://169.254.169.254");
}

SourceSetup ImdsCredentialsProvider::setup() const {
  if (lower(env_.get("AWS_EC2_METADATA_DISABLED").value_or("")) == "true")
    return SourceSetup::absent("AWS_EC2_METADATA_DISABLED is true");
  auto url = endpoint();
  if (!url.ok()) return SourceSetup::broken(url.error().message);
  if (env_.get("AWS_EC2_METADATA_SERVICE_ENDPOINT"))
    return SourceSetup::ready("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  return SourceSetup::ready("IMDSv2 at " + url->origin(), true);
}

Result<Credentials> ImdsCredentialsProvider::get_credentials() {
  auto url = endpoint();
  if (!url.ok()) return url.error();
  auto ctx = client_.context(kAttempts, kTimeouts);
  if (!ctx.ok()) return ctx.error();
  const std::string base = url->origin() + (url->path == "/" ? "" : url->path);
  const std::string at = url->origin();

  auto send = [&](const char* method, const std::string& path,
                  HttpHeaders headers) -> Result<HttpResponse> {
    HttpRequest request;
    request.method = method;
    request.url = base + path;
    request.headers = std::move(headers);
    request.connect_timeout_ms = kTimeouts.connect_ms;
    request.stall_timeout_ms = kTimeouts.stall_ms;
    request.timeout_ms = kTimeouts.connect_ms + kTimeouts.stall_ms;
    request.max_response_bytes = 64 * 1024;
    auto outcome = call_with_retries(*ctx, request, Signing::kUnsigned);
    if (!outcome.ok())
      return make_error(at + " did not answer (" + outcome.error().message +
                        "): on EC2, check the instance's metadata options; elsewhere, configure "
                        "another source or set AWS_EC2_METADATA_DISABLED=true");
    return std::move(outcome->response);
  };

  auto session = send("PUT", "/latest/api/token",
                      {{"X-aws-ec2-metadata-token-ttl-seconds", kTokenTtlSeconds}});
  if (!session.ok()) return session.error();
  if (session->status == 403)
    return make_error(at + " refused an IMDSv2 session (HTTP 403): the instance's metadata "
                           "service is turned off");
  if (session->status != 200 || session->body.empty())
    return make_error(at + " gave no IMDSv2 session token (HTTP " +
                      std::to_string(session->status) + ")");
  const HttpHeaders with_token = {{"X-aws-ec2-metadata-token", session->body}};

  auto roles = send("GET", kCredentialsPath, with_token);
  if (!roles.ok()) return roles.error();
  if (roles->status == 404)
    return make_error(at + " knows no IAM role (HTTP 404): attach an instance profile to the "
                           "instance");
  std::string role = roles->body.substr(0, roles->body.find('\n'));
  if (roles->status != 200 || role.empty())
    return make_error(at + " listed no IAM role (HTTP " + std::to_string(roles->status) + ")");

  auto reply = send("GET", kCredentialsPath + uri_encode(role, true), with_token);
  if (!reply.ok()) return reply.error();
  const std::string what = at + " for role " + role;
  if (reply->status != 200)
    return make_error(what + " answered HTTP " + std::to_string(reply->status));
  auto json = parse_json_object(reply->body);
  if (!json.ok()) return make_error(what + " answered with something that is not a JSON object");
  std::string code = string_member(*json, "Code");
  if (!code.empty() && code != "Success")
    return make_error(what + " reported " + code + ": " + string_member(*json, "Message"));
  return credentials_from_json(*json, "Token", what);
}

} // namespace c42::aws
