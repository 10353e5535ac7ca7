// c42-transform: source records in, Log Analytics rows out. The work is in
// common/stages/transform.*; this file is the command-line edge.
#include "common/stream.h"
#include "tools/c42-transform/options.h"
#include "tools/tool_support.h"

#include <unistd.h>

namespace c42::c42_transform {

Outcome run(const Config& config) {
  if (config.check_only) return Outcome::kOk;
  SystemClock clock;
  LineReader in(STDIN_FILENO, kMaxStreamLineBytes);
  LineWriter out(STDOUT_FILENO);
  TransformStats stats;
  Outcome outcome = run_transform(config.transform, clock, in, out, tool::stderr_report(), &stats);
  if (stats.time_fallbacks > 1)
    tool::warning("Event_Time fell back for " + std::to_string(stats.time_fallbacks) + " of " +
                  std::to_string(stats.records) + " records");
  return outcome;
}

} // namespace c42::c42_transform

int main(int argc, char** argv) {
  return c42::tool::main("c42-transform", argc, argv, c42::c42_transform::parse_options,
                         c42::c42_transform::run);
}
