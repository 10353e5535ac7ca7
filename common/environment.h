// Environment variables behind an interface so credential and endpoint
// resolution can be tested without touching the process environment.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace c42 {

class Environment {
public:
  virtual ~Environment() = default;
  // Unset and empty variables both read as nullopt: an empty value never
  // configures anything.
  virtual std::optional<std::string> get(const std::string& name) const = 0;
};

class ProcessEnvironment final : public Environment {
public:
  std::optional<std::string> get(const std::string& name) const override;
};

class MapEnvironment final : public Environment {
public:
  MapEnvironment() = default;
  explicit MapEnvironment(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}
  std::optional<std::string> get(const std::string& name) const override;
  void set(const std::string& name, const std::string& value) { vars_[name] = value; }

private:
  std::map<std::string, std::string> vars_;
};

} // namespace c42
