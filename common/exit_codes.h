// The one outcome type of every tool and stage core, and the exit status
// each stands for. This header is the one source; each man page's EXIT
// STATUS section lists the same values.
#pragma once

namespace c42 {

enum class Outcome : int {
  // Everything read was handled; for pipeline stages, every message is ok.
  kOk = 0,
  // The tool ran to the end but some work failed: an object could not be
  // fetched, a chunk was rejected, a delete failed. Affected messages are
  // marked not ok and stay on the queue.
  kPartial = 1,
  // Bad command line: unknown flag, value out of range.
  kUsage = 2,
  // Malformed input stream: a control line that is not JSON or lacks a
  // member, or input that cannot be read.
  kBadInput = 3,
  // Configuration or credentials are missing or unusable.
  kConfig = 4,
  // A remote service refused us in a way retrying cannot fix (403, 400,
  // unknown queue), or stayed unreachable after all retries.
  kService = 5,
  // Writing standard output failed (closed pipe, full disk).
  kOutputFailed = 6,
  // An internal error: out of memory, a thread that could not be started, or
  // a bug. Nothing is deleted on account of the work cut short.
  kInternal = 70,
  // Interrupted by SIGINT/SIGTERM before the input was finished.
  kInterrupted = 130,
};

// The only place an outcome becomes a process's exit status.
constexpr int exit_status(Outcome outcome) {
  return static_cast<int>(outcome);
}

} // namespace c42
