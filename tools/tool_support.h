// The edge every tool shares: diagnostics on stderr as one line
// "tool: error: …", CLI11 parsing with the exit statuses of exit_codes.h,
// and the process setup a pipeline stage needs.
#pragma once

#include "common/exit_codes.h"

#include <CLI/CLI.hpp>
#include <string>
#include <unistd.h>

namespace c42::tool {

// Records the tool name for diagnostics and ignores SIGPIPE, so a closed
// downstream pipe surfaces as a write error (kExitOutput) instead of a
// silent death.
void init(const char* name);
const std::string& name();

void error(const std::string& message);   // "tool: error: message"
void warning(const std::string& message); // "tool: warning: message"
void info(const std::string& message);    // "tool: message" (for --verbose)

// Parses the command line. Returns -1 to go on, or the status to exit with:
// 0 after --help/--version (printed to stdout), kExitUsage after a usage
// error (one line on stderr ending in "try 'tool --help'").
int parse(CLI::App& app, int argc, char** argv);

// Reads a secret from a file (trailing newline removed); empty on failure
// with *error set. Secrets never come from flag values, which `ps` shows.
std::string read_secret_file(const std::string& path, std::string* error);

// Set by SIGINT/SIGTERM once handle_termination() is installed.
void handle_termination();
bool termination_requested();

} // namespace c42::tool
