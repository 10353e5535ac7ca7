#include "common/aws/azure_credentials_provider.h"

#include "common/aws/web_identity_credentials_provider.h"

namespace c42::aws {

AzureCredentialsProvider::AzureCredentialsProvider(const Environment& env,
                                                   std::unique_ptr<azure::TokenProvider> tokens,
                                                   ProviderNetwork net)
    : env_(env), tokens_(std::move(tokens)), client_(std::move(net)) {}

Result<AzureCredentialsProvider::Settings> AzureCredentialsProvider::settings() const {
  auto role = env_.get("AWS_ROLE_ARN");
  auto audience = env_.get("C42_AZURE_TOKEN_AUDIENCE");
  if (!audience)
    return make_error("AWS_ROLE_ARN is set but neither AWS_WEB_IDENTITY_TOKEN_FILE nor "
                      "C42_AZURE_TOKEN_AUDIENCE is: set the one that says where the web "
                      "identity token comes from",
                      ErrorKind::kConfig);
  if (!role)
    return make_error("C42_AZURE_TOKEN_AUDIENCE is set but AWS_ROLE_ARN is not: set it to the "
                      "ARN of the role that trusts the Azure identity",
                      ErrorKind::kConfig);
  Settings s;
  s.role_arn = *role;
  // Entra's v2 scope for a resource; an audience given as a scope is kept.
  const std::string suffix = "/.default";
  s.scope = *audience;
  if (s.scope.size() < suffix.size() ||
      s.scope.compare(s.scope.size() - suffix.size(), suffix.size(), suffix) != 0)
    s.scope += suffix;
  s.session_name = env_.get("AWS_ROLE_SESSION_NAME").value_or("");
  if (s.session_name.empty()) s.session_name = default_session_name(client_.network().clock);
  Status valid =
      check_role_settings(s.role_arn, "AWS_ROLE_ARN", s.session_name, "AWS_ROLE_SESSION_NAME");
  if (!valid.ok()) return valid.error();
  if (!tokens_)
    return make_error("this build of c42-ship has no Azure token source (azure::TokenProvider)",
                      ErrorKind::kConfig);
  return s;
}

SourceSetup AzureCredentialsProvider::setup() const {
  if (!env_.get("AWS_ROLE_ARN") && !env_.get("C42_AZURE_TOKEN_AUDIENCE"))
    return SourceSetup::absent("AWS_ROLE_ARN and C42_AZURE_TOKEN_AUDIENCE are not set");
  auto s = settings();
  if (!s.ok()) return SourceSetup::broken(s.error().message);
  return SourceSetup::ready("C42_AZURE_TOKEN_AUDIENCE");
}

Result<Credentials> AzureCredentialsProvider::get_credentials() {
  auto s = settings();
  if (!s.ok()) return s.error();
  auto token = tokens_->get_token(s->scope);
  if (!token.ok()) {
    Error error = token.error();
    error.message = "no Azure token for " + s->scope + ": " + error.message;
    return error;
  }
  WebIdentityRequest request;
  request.role_arn = s->role_arn;
  request.session_name = s->session_name;
  request.token = std::move(token->token);
  request.token_origin =
      "the Azure token for C42_AZURE_TOKEN_AUDIENCE (" + s->scope + ") from " + tokens_->name();
  auto credentials = exchange_web_identity(client_, env_, request);
  // The next refresh must not offer STS a token it refused.
  if (!credentials.ok()) tokens_->invalidate(s->scope);
  return credentials;
}

} // namespace c42::aws
