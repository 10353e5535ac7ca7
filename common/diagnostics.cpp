#include "common/diagnostics.h"

namespace c42 {

RepeatedReport::RepeatedReport(Report report, int shown_per_kind)
    : report_(std::move(report)), shown_per_kind_(shown_per_kind) {}

void RepeatedReport::operator()(Severity severity, const std::string& kind,
                                const std::string& message) {
  bool show;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Count& count = counts_[kind];
    count.severity = severity;
    show = ++count.seen <= static_cast<uint64_t>(shown_per_kind_);
  }
  if (show && report_) report_(severity, message);
}

void RepeatedReport::summarise() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [kind, count] : counts_) {
    if (count.seen <= static_cast<uint64_t>(shown_per_kind_) || !report_) continue;
    report_(count.severity, kind + ": " + std::to_string(count.seen) + " in all, " +
                                std::to_string(count.seen - shown_per_kind_) + " not shown");
  }
}

} // namespace c42
