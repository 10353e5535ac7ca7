#include "common/azure/managed_identity.h"

#include "common/azure/token_request.h"
#include "common/uri.h"

namespace c42::azure {

namespace {

constexpr const char* kAppServiceApiVersion = "2019-08-01";
constexpr const char* kImdsApiVersion = "2018-02-01";
constexpr const char* kImdsHost = "http://169.254.169.254";

std::string query(const std::string& resource, const char* api_version,
                  const std::string& client_id) {
  std::string q =
      "?api-version=" + std::string(api_version) + "&resource=" + uri_encode(resource, true);
  if (!client_id.empty()) q += "&client_id=" + uri_encode(client_id, true);
  return q;
}

} // namespace

bool AppServiceManagedIdentity::configured(const Environment& env) {
  return env.get("IDENTITY_ENDPOINT") && env.get("IDENTITY_HEADER");
}

AppServiceManagedIdentity::AppServiceManagedIdentity(const Environment& env, HttpClientFactory http,
                                                     const Clock& clock, Sleeper sleeper)
    : endpoint_(env.get("IDENTITY_ENDPOINT").value_or("")),
      header_(env.get("IDENTITY_HEADER").value_or("")),
      client_id_(env.get("AZURE_CLIENT_ID").value_or("")), http_(std::move(http)), clock_(clock),
      sleeper_(std::move(sleeper)) {}

Result<AccessToken> AppServiceManagedIdentity::get_token(const std::string& scope) {
  TokenCall call;
  call.source = name();
  call.fix = "check the app's identity is on (and, for a user-assigned one, AZURE_CLIENT_ID)";
  call.request.method = "GET";
  call.request.url = endpoint_ + query(resource_of(scope), kAppServiceApiVersion, client_id_);
  call.request.headers = {{"X-IDENTITY-HEADER", header_}};
  call.request.connect_timeout_ms = 5000;
  call.request.stall_timeout_ms = 10000;
  call.request.timeout_ms = 20000;
  call.retry.max_attempts = 3;
  auto http = http_();
  return request_token(*http, std::move(call), clock_, sleeper_);
}

ImdsManagedIdentity::ImdsManagedIdentity(const Environment& env, HttpClientFactory http,
                                         const Clock& clock, Sleeper sleeper)
    : host_(env.get("AZURE_POD_IDENTITY_AUTHORITY_HOST").value_or(kImdsHost)),
      client_id_(env.get("AZURE_CLIENT_ID").value_or("")), http_(std::move(http)), clock_(clock),
      sleeper_(std::move(sleeper)) {
  while (!host_.empty() && host_.back() == '/')
    host_.pop_back();
}

Result<AccessToken> ImdsManagedIdentity::get_token(const std::string& scope) {
  TokenCall call;
  call.source = name();
  call.fix = "check the machine has a managed identity (and, for a user-assigned one, "
             "AZURE_CLIENT_ID)";
  call.request.method = "GET";
  call.request.url = host_ + "/metadata/identity/oauth2/token" +
                     query(resource_of(scope), kImdsApiVersion, client_id_);
  call.request.headers = {{"Metadata", "true"}};
  // A machine without IMDS must fail fast, not after minutes.
  call.request.connect_timeout_ms = 1000;
  call.request.stall_timeout_ms = 5000;
  call.request.timeout_ms = 10000;
  call.retry.max_attempts = 2;
  auto http = http_();
  auto token = request_token(*http, std::move(call), clock_, sleeper_);
  if (!token.ok() && token.error().kind != ErrorKind::kConfig)
    return make_error(token.error().message +
                          " (no managed identity endpoint answered: outside Azure, set "
                          "IDENTITY_ENDPOINT and IDENTITY_HEADER, or a client secret, or "
                          "AZURE_FEDERATED_TOKEN_FILE)",
                      ErrorKind::kConfig);
  return token;
}

} // namespace c42::azure
