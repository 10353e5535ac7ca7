#include "tools/tool_support.h"

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

namespace c42::tool {

namespace {
std::string g_name = "c42";
volatile std::sig_atomic_t g_terminate = 0;

void on_terminate(int) {
  g_terminate = 1;
}

void print(const char* kind, const std::string& message) {
  std::string line = g_name + ": " + kind + message;
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}
} // namespace

void init(const char* name) {
  g_name = name;
  std::signal(SIGPIPE, SIG_IGN);
}

const std::string& name() {
  return g_name;
}

void error(const std::string& message) {
  print("error: ", message);
}
void warning(const std::string& message) {
  print("warning: ", message);
}
void info(const std::string& message) {
  print("", message);
}

int parse(CLI::App& app, int argc, char** argv) {
  app.name(g_name); // the usage line names the tool, not the path it ran from
  app.set_version_flag("--version", std::string(C42_VERSION));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return std::cout.flush() ? kExitOk : kExitOutput;
  } catch (const CLI::CallForVersion&) {
    std::cout << g_name << " " << C42_VERSION << "\n";
    return std::cout.flush() ? kExitOk : kExitOutput;
  } catch (const CLI::ParseError& e) {
    print("error: ", std::string(e.what()) + " (try '" + g_name + " --help')");
    return kExitUsage;
  }
  return -1;
}

std::string read_secret_file(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read " + path;
    return "";
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string secret = buffer.str();
  while (!secret.empty() &&
         (secret.back() == '\n' || secret.back() == '\r' || secret.back() == ' '))
    secret.pop_back();
  if (secret.empty()) *error = path + " is empty";
  return secret;
}

void handle_termination() {
  struct sigaction action {};
  action.sa_handler = on_terminate;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool termination_requested() {
  return g_terminate != 0;
}

} // namespace c42::tool
