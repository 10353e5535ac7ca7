#include "common/azure/token_request.h"

#include "common/decimal.h"
#include "common/diagnostics.h"
#include "common/json_value.h"
#include "common/uri.h"

#include <algorithm>

namespace c42::azure {

namespace {

constexpr const char* kDefaultSuffix = "/.default";

// Entra's error body: {"error": "invalid_client", "error_description":
// "AADSTS7000215: ..."}; managed identity endpoints use the same members.
std::string describe_refusal(long status, const std::string& body) {
  auto json = parse_json_object(body);
  std::string code = json.ok() ? string_member(*json, "error") : std::string();
  std::string description = json.ok() ? string_member(*json, "error_description") : std::string();
  std::string text = "HTTP " + std::to_string(status);
  if (!code.empty()) text += " " + one_line(code, 80);
  if (!description.empty()) text += ": " + one_line(description);
  return text;
}

// A number Entra sends as a JSON number or, from managed identity
// endpoints, as a string of digits.
std::optional<uint64_t> seconds_member(const Json::Value& reply, const char* name) {
  const Json::Value& v = reply[name];
  if (v.isUInt64()) return v.asUInt64();
  if (v.isString()) return parse_decimal(v.asString(), 1ull << 40);
  return std::nullopt;
}

} // namespace

std::string resource_of(const std::string& scope) {
  const std::string suffix = kDefaultSuffix;
  if (scope.size() > suffix.size() &&
      scope.compare(scope.size() - suffix.size(), suffix.size(), suffix) == 0)
    return scope.substr(0, scope.size() - suffix.size());
  return scope;
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += uri_encode(name, true) + "=" + uri_encode(value, true);
  }
  return out;
}

Result<AccessToken> request_token(HttpClient& http, TokenCall call, const Clock& clock,
                                  const Sleeper& sleeper) {
  std::string refusal;
  Result<AccessToken> token = make_error("no reply");
  call.retry.max_attempts = std::max(call.retry.max_attempts, 1); // see TokenCall::retry
  auto run = run_with_retries(call.retry, clock, sleeper, [&](Attempt& attempt) -> Status {
    auto response = http.send(call.request);
    if (!response.ok()) return response.error();
    const long status = response->status;
    if (status < 200 || status > 299) {
      std::string text = describe_refusal(status, response->body);
      if (is_retryable_status(status)) {
        attempt.retry_after = retry_after_of(*response, clock.now());
        return make_error(text, ErrorKind::kTransient);
      }
      refusal = text;
      return make_error(text);
    }
    auto reply = parse_json_object(response->body);
    if (!reply.ok()) return make_error("unreadable reply: " + reply.error().message);
    AccessToken t;
    t.token = string_member(*reply, "access_token");
    if (t.token.empty()) return make_error("reply has no access_token");
    if (auto on = seconds_member(*reply, "expires_on")) {
      t.expires_on = TimePoint(std::chrono::seconds(*on));
    } else if (auto in = seconds_member(*reply, "expires_in")) {
      t.expires_on = clock.now() + std::chrono::seconds(*in);
    } else {
      return make_error("reply says neither expires_on nor expires_in");
    }
    token = std::move(t);
    return Status::success();
  });
  if (run.status.ok()) return token;
  const std::string where = call.source + ": ";
  if (!refusal.empty()) return make_error(where + refusal + "; " + call.fix, ErrorKind::kConfig);
  return make_error(where + run.status.error().message, ErrorKind::kFailed);
}

} // namespace c42::azure
