// How stage cores tell their tool what went wrong without printing: one
// callback with a severity, which the tool turns into "tool: error: …" or
// "tool: warning: …" on standard error.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace c42 {

// Untrusted text (a reply body, a peer's message) made fit for one line of
// diagnostics: control characters become spaces and anything past `limit`
// bytes is cut at a UTF-8 boundary and marked "...". Peers can send
// megabytes of anything; an error line must stay one short line.
std::string one_line(std::string_view text, size_t limit = 300);

enum class Severity { kWarning, kError };

using Report = std::function<void(Severity, const std::string& message)>;

// Problems that repeat per record (a bad line, a record too large for a
// chunk) can come by the thousand from one bad object. Each kind is
// reported the first `shown_per_kind` times; later ones are only counted,
// and summarise() reports how many were not shown. Thread-safe.
class RepeatedReport {
public:
  explicit RepeatedReport(Report report, int shown_per_kind = 3);
  // `kind` groups repeats ("record rejected"); `message` is the full line.
  void operator()(Severity severity, const std::string& kind, const std::string& message);
  // One line per kind that had more occurrences than were shown.
  void summarise();

private:
  struct Count {
    Severity severity = Severity::kWarning;
    uint64_t seen = 0;
  };
  Report report_;
  int shown_per_kind_;
  std::mutex mutex_;
  std::map<std::string, Count> counts_;
};

} // namespace c42
