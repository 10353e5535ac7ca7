// Time is injected so that signing, date skew and --skip-before are testable.
#pragma once

#include <chrono>

namespace c42 {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
};

class FixedClock final : public Clock {
public:
  explicit FixedClock(TimePoint t) : t_(t) {}
  TimePoint now() const override { return t_; }
  void set(TimePoint t) { t_ = t; }

private:
  TimePoint t_;
};

} // namespace c42
