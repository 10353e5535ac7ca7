// The edge every tool shares: diagnostics on stderr as one line
// "tool: error: …", CLI11 parsing with the exit statuses of exit_codes.h,
// option checks, and the process setup a pipeline stage needs.
#pragma once

#include "common/diagnostics.h"
#include "common/environment.h"
#include "common/exit_codes.h"
#include "common/http.h"
#include "common/retry.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unistd.h>

namespace c42::tool {

// Records the tool name for diagnostics and ignores SIGPIPE, so a closed
// downstream pipe surfaces as a write error (Outcome::kOutputFailed) instead of a
// silent death. Started by c42-ship (C42_DRIVER_PID names the driver), the
// tool also dies with the driver, so a killed run leaves nothing behind.
// A pipe on standard output is widened (F_SETPIPE_SZ) where the system
// allows, so neighbouring stages wait on each other less.
void init(const char* name);
const std::string& name();

void error(const std::string& message);   // "tool: error: message"
void warning(const std::string& message); // "tool: warning: message"
void info(const std::string& message);    // "tool: message" (for --verbose)
// A Report that prints through error() and warning().
Report stderr_report();

// Runs a tool's main body. An exception that escapes it (out of memory, a
// thread that cannot be started, a bug) becomes one line on stderr and
// Outcome::kInternal, never an abort.
int guarded(const std::function<int()>& body);

// The git revision the tools were built from, such as "5594021", or
// "unknown" when the sources were not a git checkout. The build writes its
// definition at every build (cmake/c42_revision.cmake).
extern const char kGitRevision[];

// Parses the command line. --help and --version print to standard output
// and end the process there (status 0, or 6 when that write fails), as
// llvm-objcopy's option parser does; any other problem comes back as an
// Error of kind kUsage. Flags take no value ("--release=5" is an error).
Status parse(CLI::App& app, int argc, char** argv);

// Reports an error from option checks or start-up in one line and gives
// its exit status: kUsage (2) with "try 'tool --help'", anything else as a
// configuration error (4).
int report_startup_error(const Error& error);

// The one shape of every tool's main: parse → run → exit status.
template <class Config>
int main(const char* name, int argc, char** argv,
         Result<Config> (*parse_options)(int, char**, const Environment&),
         Outcome (*run)(const Config&)) {
  init(name);
  return guarded([&] {
    ProcessEnvironment env;
    Result<Config> config = parse_options(argc, argv, env);
    if (!config.ok()) return report_startup_error(config.error());
    Outcome outcome = run(*config);
    // Stage cores leave this one to the edge: only it knows the output is
    // the process's standard output.
    if (outcome == Outcome::kOutputFailed) error("cannot write standard output");
    return exit_status(outcome);
  });
}

// Validators that judge the option's text before CLI11 converts it, so that
// "-1", "1e10", "nan" and values that overflow are refused with the range.
CLI::Validator whole_number(uint64_t min, uint64_t max); // decimal digits only
CLI::Validator seconds(double min, double max);          // e.g. 2 or 2.5

// The options of every tool that talks to a service: connection and stall
// limits per attempt, the run's deadline, and how many attempts a request
// may take.
struct NetworkOptions {
  double connect_timeout = 10;
  double stall_timeout = 30;
  std::string deadline; // ISO 8601 or epoch seconds; empty: none
  // --max-attempts; kUntilDeadline when not given (until --deadline, or
  // kAttemptsWithoutDeadline without one).
  int max_attempts = kUntilDeadline;
  // --max-backoff: the longest wait between two attempts, in seconds.
  double max_backoff = std::chrono::duration<double>(RetryPolicy{}.max_delay).count();
};
void add_network_options(CLI::App& app, NetworkOptions& options);
// The options as the library takes them.
struct NetworkLimits {
  Timeouts timeouts;
  RetryPolicy retry; // the run's deadline, --max-attempts and --max-backoff
};
// A usage error for a deadline that is not a time.
Result<NetworkLimits> network_limits(const NetworkOptions& options);

// The --help footer of a tool that talks to AWS: where credentials, region
// and endpoint come from, and its man page.
void add_aws_footer(CLI::App& app, const std::string& endpoint_variable);

// --path-style, then what every tool that reads S3 ends its options with:
// the network options, --check-config and the AWS footer.
void add_s3_options(CLI::App& app, bool& path_style, NetworkOptions& network, bool& check);

// A usage error (kind kUsage) with this message.
Error usage(std::string message);

// --check-config: check options, settings and secrets, then exit 0 without
// reading input or contacting a service (c42-ship runs every stage so before
// it receives anything).
void add_check_config(CLI::App& app, bool& check);

// Opens the file of a side channel (--leases) for reading or for writing:
// /dev/fd/N (or /proc/self/fd/N) is the inherited descriptor N itself,
// duplicated, not reopened, since reopening a pipe made from a FIFO would
// wait for a partner that may have come and gone; any other path is opened
// (a FIFO then waits for the other end, as FIFOs do; a file to write is
// created, mode 0600). The descriptor is close-on-exec.
Result<int> open_side_channel(const std::string& path, bool for_writing);

// Opens a file a tool writes its result to (la-post --output): /dev/fd/N as
// open_side_channel does; any other path is created or truncated (mode
// 0600: it holds the data being shipped). The descriptor is close-on-exec.
Result<int> open_output_file(const std::string& path);

// Reads a secret from a file (trailing newline removed); empty on failure
// with *error set. Secrets never come from flag values, which `ps` shows.
std::string read_secret_file(const std::string& path, std::string* error);

// Set by SIGINT/SIGTERM once handle_termination() is installed. The handler
// does not restart system calls, so a blocking read returns EINTR at once.
void handle_termination();
bool termination_requested();

} // namespace c42::tool
