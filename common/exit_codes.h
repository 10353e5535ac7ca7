// The exit statuses every c42-ship tool uses. This header is the one source;
// each man page's EXIT STATUS section lists the same values.
#pragma once

namespace c42 {

enum ExitCode : int {
  // Everything read was handled; for pipeline stages, every message is ok.
  kExitOk = 0,
  // The tool ran to the end but some work failed: an object could not be
  // fetched, a chunk was rejected, a delete failed. Affected messages are
  // marked not ok and stay on the queue.
  kExitPartial = 1,
  // Bad command line: unknown flag, value out of range.
  kExitUsage = 2,
  // Malformed input stream: a line that is not a JSON object, a record
  // missing a required field, a line longer than the limit.
  kExitBadInput = 3,
  // Configuration or credentials are missing or unusable.
  kExitConfig = 4,
  // A remote service refused us in a way retrying cannot fix (403, 400,
  // unknown queue), or stayed unreachable after all retries.
  kExitService = 5,
  // Writing standard output failed (closed pipe, full disk).
  kExitOutput = 6,
  // An internal error: out of memory, a thread that could not be started, or
  // a bug. Nothing is deleted on account of the work cut short.
  kExitInternal = 70,
  // Interrupted by SIGINT/SIGTERM before the input was finished.
  kExitInterrupted = 130,
};

} // namespace c42
