#include "common/aws/container_credentials_provider.h"

#include "common/json_value.h"

#include <arpa/inet.h>

namespace c42::aws {

namespace {

constexpr const char* kEcsHost = "http://169.254.170.2";
// The SDKs allow a container agent 2 s per attempt and three attempts.
constexpr int kAttempts = 3;
const Timeouts kTimeouts{2000, 2000};

} // namespace

bool container_host_allowed(const std::string& host) {
  if (host == "localhost" || host == "169.254.170.2" || host == "169.254.170.23") return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127; // 127.0.0.0/8
  in6_addr v6{}, allowed{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
  ::inet_pton(AF_INET6, "fd00:ec2::23", &allowed);
  return IN6_ARE_ADDR_EQUAL(&v6, &allowed);
}

ContainerCredentialsProvider::ContainerCredentialsProvider(const Environment& env,
                                                           ProviderNetwork net)
    : env_(env), client_(std::move(net)) {}

Result<ContainerCredentialsProvider::Target> ContainerCredentialsProvider::target() const {
  Target t;
  std::string uri;
  // The relative URI wins when both are set, as in every SDK.
  if (auto relative = env_.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    t.setting = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
    if ((*relative)[0] != '/')
      return make_error(t.setting + " must be a path starting with '/'", ErrorKind::kConfig);
    uri = kEcsHost + *relative;
  } else {
    t.setting = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
    uri = env_.get(t.setting).value_or("");
  }
  auto url = parse_url(uri);
  if (!url.ok())
    return make_error(t.setting + " is not a URL: " + url.error().message, ErrorKind::kConfig);
  t.url = std::move(url.value());
  if (t.url.scheme == "http" && !container_host_allowed(t.url.host))
    return make_error(t.setting +
                          " must be https, or http to a loopback address, 169.254.170.2, "
                          "169.254.170.23 or fd00:ec2::23 (not " +
                          t.url.host + ")",
                      ErrorKind::kConfig);
  if (auto file = env_.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    auto token = read_token_file(*file, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    if (!token.ok()) return token.error();
    t.authorization = std::move(token.value());
  } else {
    t.authorization = env_.get("AWS_CONTAINER_AUTHORIZATION_TOKEN").value_or("");
  }
  // A line break would end the header and let the token inject others.
  if (t.authorization.find_first_of("\r\n") != std::string::npos)
    return make_error("the container authorization token holds a line break", ErrorKind::kConfig);
  return t;
}

SourceSetup ContainerCredentialsProvider::setup() const {
  if (!env_.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") &&
      !env_.get("AWS_CONTAINER_CREDENTIALS_FULL_URI"))
    return SourceSetup::absent("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and "
                               "AWS_CONTAINER_CREDENTIALS_FULL_URI are not set");
  auto t = target();
  if (!t.ok()) return SourceSetup::broken(t.error().message);
  return SourceSetup::ready(t->setting);
}

Result<Credentials> ContainerCredentialsProvider::get_credentials() {
  auto t = target();
  if (!t.ok()) return t.error();
  auto ctx = client_.context(kAttempts, kTimeouts);
  if (!ctx.ok()) return ctx.error();
  HttpRequest request;
  request.url = t->url.origin() + t->url.path + (t->url.query.empty() ? "" : "?" + t->url.query);
  request.headers = {{"Accept", "application/json"}};
  if (!t->authorization.empty()) request.headers.push_back({"Authorization", t->authorization});
  request.connect_timeout_ms = kTimeouts.connect_ms;
  request.stall_timeout_ms = kTimeouts.stall_ms;
  request.timeout_ms = kTimeouts.connect_ms + kTimeouts.stall_ms;
  request.max_response_bytes = 64 * 1024;
  const std::string what = "the endpoint in " + t->setting + " (" + t->url.origin() + ")";
  auto outcome = call_with_retries(*ctx, request, Signing::kUnsigned);
  if (!outcome.ok()) return make_error(what + " did not answer: " + outcome.error().message);
  const HttpResponse& response = outcome->response;
  auto reply = parse_json_object(response.body);
  if (response.status != 200) {
    // The endpoint's error is {"code": ..., "message": ...}.
    std::string said = "HTTP " + std::to_string(response.status);
    if (reply.ok()) {
      std::string code = string_member(*reply, "code"), message = string_member(*reply, "message");
      if (!code.empty()) said = code + (message.empty() ? "" : ": " + message) + " (" + said + ")";
    }
    if (response.status == 401 || response.status == 403)
      return make_error(what + " refused the request (" + said +
                        "): check AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or "
                        "AWS_CONTAINER_AUTHORIZATION_TOKEN");
    return make_error(what + " refused the request (" + said + ")");
  }
  if (!reply.ok()) return make_error(what + " answered with something that is not a JSON object");
  return credentials_from_json(*reply, "Token", what + "'s reply");
}

} // namespace c42::aws
