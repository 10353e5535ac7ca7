#include "common/la/shared_key.h"

#include "common/crypto.h"
#include "common/time_format.h"
#include "common/uri.h"

#include <utility>

namespace c42::la {

namespace {

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Header values end up on the wire verbatim; a CR or LF would let a
// configuration value forge further headers.
bool has_control_characters(const std::string& text) {
  for (unsigned char c : text)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

} // namespace

std::string data_collector_string_to_sign(size_t content_length, const std::string& x_ms_date) {
  std::string out = "POST\n";
  out += std::to_string(content_length);
  out += '\n';
  out += kDataCollectorContentType;
  out += "\nx-ms-date:";
  out += x_ms_date;
  out += '\n';
  out += kDataCollectorResource;
  return out;
}

Result<std::string> data_collector_signature(const std::string& shared_key_base64,
                                             const std::string& string_to_sign) {
  // An empty key decodes "successfully" to zero bytes and would sign every
  // request with a key Azure never issued; say so instead of getting 403s.
  if (shared_key_base64.empty()) return make_error("the workspace shared key is empty");
  auto key = base64_decode(shared_key_base64);
  if (!key.ok())
    return make_error("the workspace shared key is not valid base64 (" + key.error().message + ")");
  return base64_encode(hmac_sha256_raw(*key, string_to_sign));
}

bool valid_log_type(const std::string& log_type) {
  if (log_type.empty() || log_type.size() > kDataCollectorMaxLogTypeLength) return false;
  for (unsigned char c : log_type) {
    bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool valid_workspace_id(const std::string& workspace_id) {
  if (workspace_id.size() != 36) return false;
  for (size_t i = 0; i < workspace_id.size(); ++i) {
    bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? workspace_id[i] != '-' : !is_hex(workspace_id[i])) return false;
  }
  return true;
}

Result<HttpRequest> build_data_collector_request(const DataCollectorTarget& target,
                                                 std::string_view body, TimePoint now) {
  // The workspace ID becomes part of the default host name, so it is checked
  // before it is pasted into a URL.
  if (!valid_workspace_id(target.workspace_id))
    return make_error("Log Analytics workspace ID '" + target.workspace_id + "' is not a GUID");
  if (!valid_log_type(target.log_type))
    return make_error("Log-Type '" + target.log_type +
                      "' must be 1 to 100 letters, digits or underscores");
  if (has_control_characters(target.time_generated_field))
    return make_error("time-generated-field contains control characters");
  if (has_control_characters(target.resource_id))
    return make_error("Azure resource ID contains control characters");
  if (body.size() > kDataCollectorMaxBodyBytes)
    return make_error("Log Analytics post of " + std::to_string(body.size()) +
                      " bytes exceeds the " + std::to_string(kDataCollectorMaxBodyBytes) +
                      "-byte Data Collector limit");

  std::string base = target.endpoint;
  if (base.empty()) {
    base = "https://" + target.workspace_id + ".ods.opinsights.azure.com";
  } else {
    auto parsed = parse_url(base);
    if (!parsed.ok()) return make_error("Log Analytics endpoint: " + parsed.error().message);
    if (base.find_first_of("?#") != std::string::npos)
      return make_error("Log Analytics endpoint must not have a query or fragment: " + base);
    if (has_control_characters(base))
      return make_error("Log Analytics endpoint contains control characters");
    while (!base.empty() && base.back() == '/')
      base.pop_back();
  }

  const std::string date = format_http_date(now);
  auto signature =
      data_collector_signature(target.shared_key, data_collector_string_to_sign(body.size(), date));
  if (!signature.ok()) return signature.error();

  HttpRequest request;
  request.method = "POST";
  request.url = base + kDataCollectorResource + "?api-version=" + kDataCollectorApiVersion;
  request.headers.emplace_back("Content-Type", kDataCollectorContentType);
  request.headers.emplace_back("Log-Type", target.log_type);
  request.headers.emplace_back("x-ms-date", date);
  request.headers.emplace_back("Authorization",
                               "SharedKey " + target.workspace_id + ":" + *signature);
  // The docs' samples send an empty time-generated-field; omitting the header
  // is the unambiguous way to say "use ingestion time".
  if (!target.time_generated_field.empty())
    request.headers.emplace_back("time-generated-field", target.time_generated_field);
  if (!target.resource_id.empty())
    request.headers.emplace_back("x-ms-AzureResourceId", target.resource_id);
  request.borrowed_body = body;
  return request;
}

} // namespace c42::la
