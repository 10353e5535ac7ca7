#include "common/aws/sts_client.h"

#include "common/aws/endpoints.h"
#include "common/aws/xml_text.h"
#include "common/diagnostics.h"
#include "common/time_format.h"

#include <utility>

namespace c42::aws {

namespace {

std::string unreadable(const std::string& action, const std::string& detail) {
  return "STS " + action + " returned an unreadable response: " + detail;
}

// A reply is STS's, but what it echoes must still never carry the token.
std::string without(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
    text.replace(at, secret.size(), "[token]");
  return text;
}

// STS's documented refusals of AssumeRoleWithWebIdentity, each with the
// fix it calls for.
std::string explain_refusal(const HttpResponse& response, const WebIdentityRequest& r) {
  ServiceError e = parse_service_error(response.status, response.body);
  const std::string& code = e.code;
  std::string said = describe_service_error(response.status, response.body);
  if (code == "InvalidIdentityToken")
    return "STS refused " + r.token_origin + " (" + said +
           "): the role's account must trust the token's issuer as an IAM OIDC provider that "
           "lists the token's audience, and the token must be one that issuer signed";
  if (code == "ExpiredTokenException" || code == "ExpiredToken")
    return "STS says " + r.token_origin + " has expired (" + said +
           "): renew the token where it is issued, and check this machine's clock";
  if (code == "AccessDenied" || code == "IDPRejectedClaim")
    return "STS denied assuming " + r.role_arn + " with " + r.token_origin + " (" + said +
           "): the role's trust policy must allow sts:AssumeRoleWithWebIdentity for the "
           "token's issuer, audience and subject";
  if (code == "RegionDisabledException")
    return "STS is not activated in this region (" + said +
           "): activate it in the IAM account settings, or point AWS_ENDPOINT_URL_STS at a "
           "region where it is";
  if (code == "ValidationError" || code == "InvalidParameterValue" || code == "MissingParameter" ||
      code == "InvalidParameterCombination")
    return "STS rejected the request (" + said + "): check the role ARN '" + r.role_arn +
           "' and the session name '" + r.session_name + "'";
  return "STS refused AssumeRoleWithWebIdentity for " + r.role_arn + " (" + said + ")";
}

// The credentials of a 200 AssumeRoleWithWebIdentity reply. The reply is
// untrusted: a broken or hostile endpoint could echo the token in the one
// field we quote, so it is redacted before the quote is cut short.
Result<AssumedRole> read_assumed_role(const std::string& body, const std::string& token) {
  const std::string action = "AssumeRoleWithWebIdentity";
  auto result = xml_text(body, "AssumeRoleWithWebIdentityResult");
  auto credentials = result ? xml_text(*result, "Credentials") : std::nullopt;
  if (!credentials) return make_error(unreadable(action, "no Credentials"));
  AssumedRole role;
  Credentials& c = role.credentials;
  c.access_key_id = xml_text(*credentials, "AccessKeyId").value_or("");
  c.secret_access_key = xml_text(*credentials, "SecretAccessKey").value_or("");
  c.session_token = xml_text(*credentials, "SessionToken").value_or("");
  if (c.access_key_id.empty() || c.secret_access_key.empty() || c.session_token.empty())
    return make_error(
        unreadable(action, "AccessKeyId, SecretAccessKey or SessionToken is missing"));
  std::string expiration = xml_text(*credentials, "Expiration").value_or("");
  auto expires = parse_iso8601(expiration);
  if (!expires.ok())
    return make_error(unreadable(action, "Expiration '" + one_line(without(expiration, token), 40) +
                                             "' is not ISO 8601"));
  c.expiration = *expires;
  auto user = xml_text(*result, "AssumedRoleUser");
  role.arn = user ? xml_text(*user, "Arn").value_or("") : "";
  role.subject = xml_text(*result, "SubjectFromWebIdentityToken").value_or("");
  role.audience = xml_text(*result, "Audience").value_or("");
  role.provider = xml_text(*result, "Provider").value_or("");
  return role;
}

} // namespace

std::string query_body(std::initializer_list<std::pair<std::string, std::string>> params) {
  std::string body;
  for (const auto& [name, value] : params) {
    if (!body.empty()) body += '&';
    body += uri_encode(name, true) + "=" + uri_encode(value, true);
  }
  return body;
}

StsClient::StsClient(ServiceContext context, Url endpoint)
    : ctx_(std::move(context)), endpoint_(std::move(endpoint)) {
  // Only AssumeRoleWithWebIdentity returns it: the identity provider did
  // not answer STS in time, which the API reference says to retry.
  ctx_.retry_codes.push_back("IDPCommunicationError");
}

Result<HttpResponse> StsClient::call(const std::string& body, Signing signing,
                                     const std::string& action) {
  HttpRequest request;
  request.method = "POST";
  request.url = endpoint_.origin() + endpoint_.path;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.body = body;
  request.connect_timeout_ms = ctx_.timeouts.connect_ms;
  request.stall_timeout_ms = ctx_.timeouts.stall_ms;
  request.timeout_ms = ctx_.timeouts.connect_ms + ctx_.timeouts.stall_ms;
  request.cancelled = ctx_.cancelled;
  auto outcome = call_with_retries(ctx_, request, signing);
  if (!outcome.ok()) {
    Error error = outcome.error();
    error.message = "STS " + action + " at " + endpoint_.origin() + " failed: " + error.message;
    return error;
  }
  return std::move(outcome->response);
}

Result<AssumedRole> StsClient::assume_role_with_web_identity(const WebIdentityRequest& r) {
  const std::string action = "AssumeRoleWithWebIdentity";
  const std::string body = query_body({{"Action", action},
                                       {"Version", kStsApiVersion},
                                       {"RoleArn", r.role_arn},
                                       {"RoleSessionName", r.session_name},
                                       {"WebIdentityToken", r.token}});
  auto response = call(body, Signing::kUnsigned, action);
  if (!response.ok())
    return Error{without(response.error().message, r.token), response.error().kind};
  if (response->status != 200) return make_error(without(explain_refusal(*response, r), r.token));

  return read_assumed_role(response->body, r.token);
}

Result<CallerIdentity> StsClient::get_caller_identity() {
  const std::string action = "GetCallerIdentity";
  auto response =
      call(query_body({{"Action", action}, {"Version", kStsApiVersion}}), Signing::kSigV4, action);
  if (!response.ok()) return response.error();
  if (response->status != 200)
    return make_error("STS " + action +
                      " failed: " + describe_service_error(response->status, response->body));
  auto result = xml_text(response->body, "GetCallerIdentityResult");
  if (!result) return make_error(unreadable(action, "no GetCallerIdentityResult"));
  CallerIdentity identity;
  identity.arn = xml_text(*result, "Arn").value_or("");
  identity.account = xml_text(*result, "Account").value_or("");
  identity.user_id = xml_text(*result, "UserId").value_or("");
  if (identity.arn.empty() || identity.account.empty())
    return make_error(unreadable(action, "Arn or Account is missing"));
  return identity;
}

Result<Url> resolve_sts_endpoint(const Environment& env, const std::string& region) {
  std::string configured = configured_endpoint(env, "STS");
  auto url =
      parse_url(configured.empty() ? "https://sts." + region + ".amazonaws.com" : configured);
  if (!url.ok()) return make_error("bad STS endpoint: " + url.error().message, ErrorKind::kConfig);
  return url;
}

Result<std::unique_ptr<StsClient>> open_sts_client(const Session& session, const Environment& env,
                                                   HttpClient* http, Timeouts timeouts,
                                                   RetryPolicy retry) {
  auto endpoint = resolve_sts_endpoint(env, session.region());
  if (!endpoint.ok()) return endpoint.error();
  ServiceContext context = session.context(http, "sts");
  context.timeouts = timeouts;
  context.retry = retry;
  return std::make_unique<StsClient>(std::move(context), std::move(endpoint.value()));
}

} // namespace c42::aws
