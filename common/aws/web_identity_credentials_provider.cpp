#include "common/aws/web_identity_credentials_provider.h"

#include <utility>

namespace c42::aws {

namespace {

// STS exchanges are quick: a blackholed endpoint costs three short
// attempts, not the minutes a data transfer may take.
constexpr int kStsAttempts = 3;
const Timeouts kStsTimeouts{5000, 10000};

bool session_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("+=,.@_-").find(c) != std::string_view::npos;
}

} // namespace

std::string default_session_name(const Clock* clock) {
  if (clock == nullptr) return "c42-ship";
  auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(clock->now().time_since_epoch()).count();
  return "c42-ship-" + std::to_string(seconds);
}

Status check_role_settings(const std::string& role_arn, const std::string& role_setting,
                           const std::string& session_name, const std::string& session_setting) {
  // arn:<partition>:iam::<account>:role/<path and name>
  if (role_arn.rfind("arn:", 0) != 0 || role_arn.find(":iam::") == std::string::npos ||
      role_arn.find(":role/") == std::string::npos)
    return make_error(role_setting + " '" + role_arn +
                          "' is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)",
                      ErrorKind::kConfig);
  bool name_ok = session_name.size() >= 2 && session_name.size() <= 64;
  for (char c : session_name)
    name_ok = name_ok && session_name_char(c);
  if (!name_ok)
    return make_error(session_setting + " '" + session_name +
                          "' must be 2 to 64 letters, digits or +=,.@_-",
                      ErrorKind::kConfig);
  return Status::success();
}

Result<Credentials> exchange_web_identity(ProviderClient& client, const Environment& env,
                                          const WebIdentityRequest& request) {
  auto endpoint = resolve_sts_endpoint(env, client.network().region);
  if (!endpoint.ok()) return endpoint.error();
  auto context = client.context(kStsAttempts, kStsTimeouts);
  if (!context.ok()) return context.error();
  StsClient sts(std::move(context.value()), std::move(endpoint.value()));
  auto role = sts.assume_role_with_web_identity(request);
  if (!role.ok()) return role.error();
  return std::move(role->credentials);
}

WebIdentityCredentialsProvider::WebIdentityCredentialsProvider(const Environment& env,
                                                               ProviderNetwork net)
    : env_(env), client_(std::move(net)) {}

WebIdentityCredentialsProvider::WebIdentityCredentialsProvider(const Environment& env,
                                                               WebIdentitySettings settings,
                                                               ProviderNetwork net)
    : env_(env), given_(std::move(settings)), client_(std::move(net)) {}

Result<WebIdentitySettings> WebIdentityCredentialsProvider::settings() const {
  WebIdentitySettings s;
  if (given_) {
    s = *given_;
  } else {
    s.token_file = env_.get("AWS_WEB_IDENTITY_TOKEN_FILE").value_or("");
    s.role_arn = env_.get("AWS_ROLE_ARN").value_or("");
    s.session_name = env_.get("AWS_ROLE_SESSION_NAME").value_or("");
    s.token_setting = "AWS_WEB_IDENTITY_TOKEN_FILE";
    s.role_setting = "AWS_ROLE_ARN";
    s.session_setting = "AWS_ROLE_SESSION_NAME";
  }
  if (s.token_file.empty()) return make_error(s.token_setting + " is not set", ErrorKind::kConfig);
  if (s.role_arn.empty())
    return make_error(s.token_setting + " is set but " + s.role_setting +
                          " is not: set it to the ARN of the role to assume",
                      ErrorKind::kConfig);
  if (s.session_name.empty()) s.session_name = default_session_name(client_.network().clock);
  Status valid = check_role_settings(s.role_arn, s.role_setting, s.session_name, s.session_setting);
  if (!valid.ok()) return valid.error();
  return s;
}

SourceSetup WebIdentityCredentialsProvider::setup() const {
  if (!given_ && !env_.get("AWS_WEB_IDENTITY_TOKEN_FILE"))
    return SourceSetup::absent("AWS_WEB_IDENTITY_TOKEN_FILE is not set");
  auto s = settings();
  if (!s.ok()) return SourceSetup::broken(s.error().message);
  auto token = read_token_file(s->token_file, s->token_setting);
  if (!token.ok()) return SourceSetup::broken(token.error().message);
  return SourceSetup::ready(s->token_setting);
}

Result<Credentials> WebIdentityCredentialsProvider::get_credentials() {
  auto s = settings();
  if (!s.ok()) return s.error();
  auto token = read_token_file(s->token_file, s->token_setting);
  if (!token.ok()) return token.error();
  WebIdentityRequest request;
  request.role_arn = s->role_arn;
  request.session_name = s->session_name;
  request.token = std::move(token.value());
  request.token_origin = "the token in " + s->token_setting + " (" + s->token_file + ")";
  return exchange_web_identity(client_, env_, request);
}

} // namespace c42::aws
