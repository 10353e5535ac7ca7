#include "common/azure/client_credentials.h"

#include "common/azure/token_request.h"

#include <fstream>
#include <iterator>

namespace c42::azure {

namespace {

constexpr const char* kAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

std::string token_url(const Environment& env) {
  std::string host = env.get("AZURE_AUTHORITY_HOST").value_or(kDefaultAuthorityHost);
  while (!host.empty() && host.back() == '/')
    host.pop_back();
  return host + "/" + env.get("AZURE_TENANT_ID").value_or("") + "/oauth2/v2.0/token";
}

TokenCall form_call(const std::string& url, std::string body, const std::string& source,
                    const std::string& fix) {
  TokenCall call;
  call.source = source;
  call.fix = fix;
  call.request.method = "POST";
  call.request.url = url;
  call.request.body = std::move(body);
  call.request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  call.request.connect_timeout_ms = 10000;
  call.request.stall_timeout_ms = 20000;
  call.request.timeout_ms = 30000;
  call.retry.max_attempts = 3;
  return call;
}

} // namespace

bool ClientSecretCredential::configured(const Environment& env) {
  return env.get("AZURE_TENANT_ID") && env.get("AZURE_CLIENT_ID") && env.get("AZURE_CLIENT_SECRET");
}

ClientSecretCredential::ClientSecretCredential(const Environment& env, HttpClientFactory http,
                                               const Clock& clock, Sleeper sleeper)
    : token_url_(token_url(env)), client_id_(env.get("AZURE_CLIENT_ID").value_or("")),
      secret_(env.get("AZURE_CLIENT_SECRET").value_or("")), http_(std::move(http)), clock_(clock),
      sleeper_(std::move(sleeper)) {}

Result<AccessToken> ClientSecretCredential::get_token(const std::string& scope) {
  std::string body = form_encode({{"grant_type", "client_credentials"},
                                  {"client_id", client_id_},
                                  {"client_secret", secret_},
                                  {"scope", scope}});
  auto http = http_();
  return request_token(*http,
                       form_call(token_url_, std::move(body), name(),
                                 "check AZURE_TENANT_ID, AZURE_CLIENT_ID and the secret's "
                                 "expiry"),
                       clock_, sleeper_);
}

bool WorkloadIdentityCredential::configured(const Environment& env) {
  return env.get("AZURE_TENANT_ID") && env.get("AZURE_CLIENT_ID") &&
         env.get("AZURE_FEDERATED_TOKEN_FILE");
}

WorkloadIdentityCredential::WorkloadIdentityCredential(const Environment& env,
                                                       HttpClientFactory http, const Clock& clock,
                                                       Sleeper sleeper)
    : token_url_(token_url(env)), client_id_(env.get("AZURE_CLIENT_ID").value_or("")),
      token_file_(env.get("AZURE_FEDERATED_TOKEN_FILE").value_or("")), http_(std::move(http)),
      clock_(clock), sleeper_(std::move(sleeper)) {}

Result<AccessToken> WorkloadIdentityCredential::get_token(const std::string& scope) {
  // Read again every time: the platform rotates the projected token.
  std::ifstream in(token_file_, std::ios::binary);
  std::string assertion;
  if (in) assertion.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  while (!assertion.empty() &&
         (assertion.back() == '\n' || assertion.back() == '\r' || assertion.back() == ' '))
    assertion.pop_back();
  if (assertion.empty())
    return make_error(name() + ": cannot read a token from AZURE_FEDERATED_TOKEN_FILE (" +
                          token_file_ + ")",
                      ErrorKind::kConfig);
  std::string body = form_encode({{"grant_type", "client_credentials"},
                                  {"client_id", client_id_},
                                  {"client_assertion_type", kAssertionType},
                                  {"client_assertion", assertion},
                                  {"scope", scope}});
  auto http = http_();
  return request_token(*http,
                       form_call(token_url_, std::move(body), name(),
                                 "check the app's federated credential trusts this issuer and "
                                 "subject, and AZURE_TENANT_ID and AZURE_CLIENT_ID"),
                       clock_, sleeper_);
}

} // namespace c42::azure
