// Errors cross library boundaries as values: a Result<T> holds either a value
// or an Error whose message is one human-readable clause (no tool prefix, no
// trailing newline) that the tool's main prefixes with "tool: error: ".
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace c42 {

// What a caller may decide on when something failed: whether to retry, and
// which exit status a tool gives. The kind travels with the error, so no
// caller has to ask a side channel why an operation failed.
enum class ErrorKind {
  kFailed,    // retrying the same thing will not help
  kTransient, // it may: no answer, a timeout, throttling, a server fault
  kAborted,   // stopped on purpose (by a consumer or a cancellation); never retried
  kOutOfTime, // the run's deadline passed
  kUsage,     // the command line is wrong (exit status 2)
  kConfig,    // settings or credentials are missing or unusable (exit status 4)
};

struct Error {
  std::string message;
  ErrorKind kind = ErrorKind::kFailed;
};

template <class T> class [[nodiscard]] Result {
public:
  Result(T value) : data_(std::move(value)) {}
  Result(Error error) : data_(std::move(error)) {}

  bool ok() const { return data_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(data_); }

private:
  std::variant<T, Error> data_;
};

// Result<void>: success carries nothing.
class [[nodiscard]] Status {
public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}
  static Status success() { return Status(); }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

private:
  Error error_;
  bool ok_ = true;
};

inline Error make_error(std::string message, ErrorKind kind = ErrorKind::kFailed) {
  return Error{std::move(message), kind};
}

} // namespace c42
