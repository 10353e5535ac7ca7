#include "common/environment.h"

#include <cstdlib>

namespace c42 {

std::optional<std::string> ProcessEnvironment::get(const std::string& name) const {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

bool ProcessEnvironment::defined(const std::string& name) const {
  return std::getenv(name.c_str()) != nullptr;
}

std::optional<std::string> MapEnvironment::get(const std::string& name) const {
  auto it = vars_.find(name);
  if (it == vars_.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

} // namespace c42
