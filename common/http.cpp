#include "common/http.h"

#include <strings.h>

namespace c42 {

std::optional<std::string> find_header(const HttpHeaders& headers, const std::string& name) {
  for (const auto& [key, value] : headers)
    if (strcasecmp(key.c_str(), name.c_str()) == 0) return value;
  return std::nullopt;
}

void set_header(HttpHeaders& headers, const std::string& name, const std::string& value) {
  for (auto& [key, existing] : headers) {
    if (strcasecmp(key.c_str(), name.c_str()) == 0) {
      existing = value;
      return;
    }
  }
  headers.emplace_back(name, value);
}

} // namespace c42
