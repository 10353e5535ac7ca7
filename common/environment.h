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
  // Whether the variable is set at all, empty or not: for the few settings
  // where set-but-empty must be an error rather than a quiet default.
  virtual bool defined(const std::string& name) const = 0;
};

class ProcessEnvironment final : public Environment {
public:
  std::optional<std::string> get(const std::string& name) const override;
  bool defined(const std::string& name) const override;
};

class MapEnvironment final : public Environment {
public:
  MapEnvironment() = default;
  explicit MapEnvironment(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}
  std::optional<std::string> get(const std::string& name) const override;
  bool defined(const std::string& name) const override { return vars_.count(name) > 0; }
  void set(const std::string& name, const std::string& value) { vars_[name] = value; }

private:
  std::map<std::string, std::string> vars_;
};

} // namespace c42
