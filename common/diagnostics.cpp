#include "common/diagnostics.h"

namespace c42 {

std::string one_line(std::string_view text, size_t limit) {
  size_t cut = text.size();
  if (cut > limit) {
    cut = limit;
    // Back off so a multi-byte UTF-8 sequence is not split.
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
      --cut;
  }
  std::string out;
  out.reserve(cut + 3);
  for (unsigned char c : text.substr(0, cut))
    out.push_back(c < 0x20 || c == 0x7f ? ' ' : static_cast<char>(c));
  if (cut < text.size()) out += "...";
  return out;
}

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
