#include "common/aws/process_credentials_provider.h"

#include "common/aws/provider_support.h"
#include "common/json_value.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace c42::aws {

namespace {

// Credentials are a few kilobytes of JSON; more is not credentials.
constexpr size_t kMaxOutputBytes = 64 * 1024;

struct Finished {
  std::string output;
  int status = 0; // as waitpid reports it
};

// Runs argv with stdin and stderr on /dev/null and collects stdout; kills
// the child (by its PID) when it overruns the limits.
Result<Finished> run(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
                     const std::string& what) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0)
    return make_error("cannot run " + what + ": " + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  // The tools ignore SIGPIPE; the command should not inherit that.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> argv;
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  int spawned = posix_spawnp(&pid, argv[0], &actions, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(out[1]);
  if (spawned != 0) {
    ::close(out[0]);
    return make_error("cannot run " + what + " (" + args[0] + "): " + std::strerror(spawned),
                      ErrorKind::kConfig);
  }

  Finished finished;
  std::string problem;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      problem = "did not finish within " + std::to_string(timeout.count() / 1000) + " s";
      break;
    }
    pollfd ready{out[0], POLLIN, 0};
    int polled = ::poll(&ready, 1, static_cast<int>(left.count()));
    if (polled < 0 && errno == EINTR) continue;
    if (polled <= 0) continue;
    char buffer[4096];
    ssize_t n = ::read(out[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    finished.output.append(buffer, static_cast<size_t>(n));
    if (finished.output.size() > kMaxOutputBytes) {
      problem = "printed more than " + std::to_string(kMaxOutputBytes / 1024) + " KiB";
      break;
    }
  }
  ::close(out[0]);
  if (!problem.empty()) ::kill(pid, SIGKILL);
  while (::waitpid(pid, &finished.status, 0) < 0 && errno == EINTR) {
  }
  if (!problem.empty()) return make_error(what + " " + problem + " and was stopped");
  return finished;
}

} // namespace

Result<std::vector<std::string>> split_command_line(const std::string& command) {
  std::vector<std::string> args;
  std::string current;
  bool in_word = false, quoted = false;
  for (char c : command) {
    if (c == '"') {
      quoted = !quoted;
      in_word = true;
    } else if (!quoted && (c == ' ' || c == '\t')) {
      if (in_word) args.push_back(std::move(current));
      current.clear();
      in_word = false;
    } else {
      current += c;
      in_word = true;
    }
  }
  if (quoted) return make_error("the command has an unterminated double quote");
  if (in_word) args.push_back(std::move(current));
  if (args.empty()) return make_error("the command is empty");
  return args;
}

ProcessCredentialsProvider::ProcessCredentialsProvider(std::string command, std::string setting,
                                                       std::chrono::milliseconds timeout)
    : command_(std::move(command)), setting_(std::move(setting)), timeout_(timeout) {}

SourceSetup ProcessCredentialsProvider::setup() const {
  auto args = split_command_line(command_);
  if (!args.ok()) return SourceSetup::broken(setting_ + ": " + args.error().message);
  return SourceSetup::ready(setting_);
}

Result<Credentials> ProcessCredentialsProvider::get_credentials() {
  auto args = split_command_line(command_);
  if (!args.ok()) return make_error(setting_ + ": " + args.error().message, ErrorKind::kConfig);
  auto finished = run(*args, timeout_, "the command of " + setting_);
  if (!finished.ok()) return finished.error();
  const int status = finished->status;
  // Its standard error stays unseen, so this says only how it ended.
  if (WIFSIGNALED(status))
    return make_error("the command of " + setting_ + " was killed by signal " +
                      std::to_string(WTERMSIG(status)));
  if (WEXITSTATUS(status) != 0)
    return make_error("the command of " + setting_ + " exited with status " +
                      std::to_string(WEXITSTATUS(status)) +
                      " (its standard error is not shown: it may hold secrets); run it by hand "
                      "to see why");
  // Nothing of what it printed is repeated: it holds the secret key.
  const std::string what = "the output of " + setting_;
  auto reply = parse_json_object(finished->output);
  if (!reply.ok()) return make_error(what + " is not a JSON object");
  const Json::Value& version = (*reply)["Version"];
  if (!version.isIntegral() || version.asInt64() != 1)
    return make_error(what + " must have \"Version\": 1");
  return credentials_from_json(*reply, "SessionToken", what);
}

} // namespace c42::aws
