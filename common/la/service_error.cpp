#include "common/la/service_error.h"

#include "common/json_value.h"

namespace c42::la {

std::string http_error_text(const HttpResponse& response) {
  std::string text = "HTTP " + std::to_string(response.status);
  if (response.body.empty()) return text;
  std::string body = response.body.substr(0, 200);
  for (char& c : body)
    if (c == '\n' || c == '\r') c = ' ';
  return text + ": " + body;
}

std::string service_error_code(const HttpResponse& response) {
  if (auto header = response.header("x-ms-error-code"); header && !header->empty()) return *header;
  auto body = parse_json_object(response.body);
  if (!body.ok()) return "";
  const Json::Value& error = (*body)["error"];
  if (error.isObject()) return string_member(error, "code");
  return string_member(*body, "Error");
}

} // namespace c42::la
