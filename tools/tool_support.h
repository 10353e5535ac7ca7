// The edge every tool shares: diagnostics on stderr as one line
// "tool: error: …", CLI11 parsing with the exit statuses of exit_codes.h,
// option checks, and the process setup a pipeline stage needs.
#pragma once

#include "common/diagnostics.h"
#include "common/exit_codes.h"
#include "common/http.h"
#include "common/retry.h"

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unistd.h>

namespace c42::tool {

// Records the tool name for diagnostics and ignores SIGPIPE, so a closed
// downstream pipe surfaces as a write error (kExitOutput) instead of a
// silent death. Started by c42-ship (C42_DRIVER_PID names the driver), the
// tool also dies with the driver, so a killed run leaves nothing behind.
void init(const char* name);
const std::string& name();

void error(const std::string& message);   // "tool: error: message"
void warning(const std::string& message); // "tool: warning: message"
void info(const std::string& message);    // "tool: message" (for --verbose)
// A Report that prints through error() and warning().
Report stderr_report();

// Runs a tool's main body. An exception that escapes it (out of memory, a
// thread that cannot be started, a bug) becomes one line on stderr and
// kExitInternal, never an abort.
int guarded(const std::function<int()>& body);

// Parses the command line. Returns -1 to go on, or the status to exit with:
// 0 after --help/--version (printed to stdout), kExitUsage after a usage
// error (one line on stderr ending in "try 'tool --help'"). Flags take no
// value ("--release=5" is a usage error).
int parse(CLI::App& app, int argc, char** argv);
// A usage error found after parsing: prints it with the "try" hint and
// returns kExitUsage.
int usage_error(const std::string& message);

// Validators that judge the option's text before CLI11 converts it, so that
// "-1", "1e10", "nan" and values that overflow are refused with the range.
CLI::Validator whole_number(uint64_t min, uint64_t max); // decimal digits only
CLI::Validator seconds(double min, double max);          // e.g. 2 or 2.5

// The options of every tool that talks to a service: connection and stall
// limits per attempt, and the run's deadline.
struct NetworkOptions {
  double connect_timeout = 10;
  double stall_timeout = 30;
  std::string deadline; // ISO 8601 or epoch seconds; empty: none
};
void add_network_options(CLI::App& app, NetworkOptions& options);
// The options as the library takes them; a usage error for a bad deadline.
Result<Timeouts> timeouts_of(const NetworkOptions& options);
Result<std::optional<TimePoint>> deadline_of(const NetworkOptions& options);

// --check-config: check options, settings and secrets, then exit 0 without
// reading input or contacting a service (c42-ship runs every stage so before
// it receives anything).
void add_check_config(CLI::App& app, bool& check);

// Reads a secret from a file (trailing newline removed); empty on failure
// with *error set. Secrets never come from flag values, which `ps` shows.
std::string read_secret_file(const std::string& path, std::string* error);

// Set by SIGINT/SIGTERM once handle_termination() is installed. The handler
// does not restart system calls, so a blocking read returns EINTR at once.
void handle_termination();
bool termination_requested();

} // namespace c42::tool
