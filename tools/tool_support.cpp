#include "tools/tool_support.h"

#include "common/decimal.h"
#include "common/time_format.h"

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <iterator>
#include <new>
#include <sstream>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <system_error>

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

// A stage c42-ship started must not outlive it: with `kill -9` of the
// driver nobody would stop the stage or read what it writes. The kernel
// sends SIGKILL when the parent dies; a parent that died before the request
// took effect is caught by comparing the parent's PID.
void die_with_driver() {
  const char* text = std::getenv("C42_DRIVER_PID");
  if (text == nullptr || *text == '\0') return;
  char* end = nullptr;
  errno = 0;
  long driver = std::strtol(text, &end, 10);
  if (errno != 0 || *end != '\0' || driver <= 1) return;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != static_cast<pid_t>(driver)) {
    print("error: ", "the c42-ship run that started this stage has ended");
    std::_Exit(exit_status(Outcome::kInterrupted));
  }
}

// A stage writes in 64 KiB and larger blocks; the default pipe holds only
// 64 KiB, so a writer would wait for every read of the next stage. A larger
// pipe lets both run ahead of each other. Not a pipe, or a size above the
// system's pipe-max-size: the default stays, which only costs speed.
void widen_output_pipe() {
#ifdef F_SETPIPE_SZ
  (void)::fcntl(STDOUT_FILENO, F_SETPIPE_SZ, 1 << 20);
#endif
}

bool all_digits(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

std::string number_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}
} // namespace

void init(const char* name) {
  g_name = name;
  std::signal(SIGPIPE, SIG_IGN);
  die_with_driver();
  widen_output_pipe();
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

Report stderr_report() {
  return [](Severity severity, const std::string& message) {
    severity == Severity::kError ? error(message) : warning(message);
  };
}

int guarded(const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    error("out of memory");
  } catch (const std::system_error& e) {
    // Most often a thread that could not be started (too large --parallel
    // for the process limits).
    error(std::string("system error: ") + e.what());
  } catch (const std::exception& e) {
    error(std::string("internal error: ") + e.what());
  } catch (...) {
    error("internal error");
  }
  return exit_status(Outcome::kInternal);
}

Status parse(CLI::App& app, int argc, char** argv) {
  app.name(g_name); // the usage line names the tool, not the path it ran from
  // The version, and the git revision the build was made from, so that a
  // report names the exact sources; c42-ship prints the same.
  const std::string version = std::string(C42_VERSION) + " (git " + kGitRevision + ")";
  app.set_version_flag("--version", version);
  for (CLI::Option* option : app.get_options())
    option->disable_flag_override();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    std::exit(std::cout.flush() ? exit_status(Outcome::kOk) : exit_status(Outcome::kOutputFailed));
  } catch (const CLI::CallForVersion&) {
    std::cout << g_name << " " << version << "\n";
    std::exit(std::cout.flush() ? exit_status(Outcome::kOk) : exit_status(Outcome::kOutputFailed));
  } catch (const CLI::ParseError& e) {
    // CLI11 says "release was given a disallowed flag override" for
    // "--release=5"; name the flag as the user wrote it.
    const std::string what = e.what();
    const std::string override_text = " was given a disallowed flag override";
    size_t at = what.find(override_text);
    if (at != std::string::npos && at + override_text.size() == what.size())
      return usage("--" + what.substr(0, at) + " takes no value");
    return usage(what);
  }
  return Status::success();
}

Error usage(std::string message) {
  return make_error(std::move(message), ErrorKind::kUsage);
}

int report_startup_error(const Error& error) {
  if (error.kind == ErrorKind::kUsage) {
    print("error: ", error.message + " (try '" + g_name + " --help')");
    return exit_status(Outcome::kUsage);
  }
  print("error: ", error.message);
  return exit_status(Outcome::kConfig);
}

CLI::Validator whole_number(uint64_t min, uint64_t max) {
  const std::string range = std::to_string(min) + " to " + std::to_string(max);
  return CLI::Validator(
      [min, max, range](std::string& text) -> std::string {
        // Digits only: no sign, no exponent, no hex.
        if (!all_digits(text)) return "takes a whole number from " + range + ", not '" + text + "'";
        auto value = parse_decimal(text, max);
        if (!value || *value < min) return "takes a whole number from " + range + ", not " + text;
        return std::string();
      },
      "INT in " + range);
}

CLI::Validator seconds(double min, double max) {
  const std::string range = number_text(min) + " to " + number_text(max);
  return CLI::Validator(
      [min, max, range](std::string& text) -> std::string {
        // Plain decimal notation: "nan", "inf" and "1e10" are refused.
        size_t dot = text.find('.');
        std::string whole = text.substr(0, dot);
        std::string fraction = dot == std::string::npos ? "0" : text.substr(dot + 1);
        if (!all_digits(whole) || !all_digits(fraction) || whole.size() > 15)
          return "takes seconds from " + range + ", not '" + text + "'";
        double value = std::strtod(text.c_str(), nullptr);
        if (!std::isfinite(value) || value < min || value > max)
          return "takes seconds from " + range + ", not " + text;
        return std::string();
      },
      "SECONDS in " + range);
}

void add_network_options(CLI::App& app, NetworkOptions& options) {
  app.add_option("--connect-timeout", options.connect_timeout,
                 "Seconds a connection may take to be established, per attempt.")
      ->check(seconds(0.1, 600))
      ->capture_default_str();
  app.add_option("--stall-timeout", options.stall_timeout,
                 "Seconds an attempt may go without moving a byte (waiting for a reply "
                 "included) before it fails and is retried.")
      ->check(seconds(1, 3600))
      ->capture_default_str();
  app.add_option("--deadline", options.deadline,
                 "Do no network work after this time (ISO 8601, or seconds since the epoch): no "
                 "request or retry starts after it and a request in progress is cut off at it; "
                 "the work not done fails and its messages stay on the queue.")
      ->type_name("TIME");
  app.add_option("--max-attempts", options.max_attempts,
                 "Attempts in all per request, 1 to 100, for what another try may cure (network "
                 "errors, timeouts, HTTP 408, 429 and 5xx, throttling). Default: as many as fit "
                 "before --deadline, with exponential backoff, jitter and Retry-After; " +
                     std::to_string(kAttemptsWithoutDeadline) + " without a deadline.")
      ->check(whole_number(1, 100));
  app.add_option("--max-backoff", options.max_backoff,
                 "Longest wait in seconds between two attempts of a request, 0.1 to 300 (a "
                 "Retry-After may ask for longer, up to 120 s). A run with a short deadline "
                 "tries more often within it with a smaller one.")
      ->check(seconds(0.1, 300))
      ->capture_default_str();
}

Result<NetworkLimits> network_limits(const NetworkOptions& options) {
  NetworkLimits limits;
  limits.timeouts.connect_ms = std::lround(options.connect_timeout * 1000);
  limits.timeouts.stall_ms = std::lround(options.stall_timeout * 1000);
  limits.retry.max_attempts = options.max_attempts;
  limits.retry.max_delay = Millis(std::llround(options.max_backoff * 1000));
  if (!options.deadline.empty()) {
    auto deadline = parse_deadline(options.deadline);
    if (!deadline.ok()) return usage("--deadline: " + deadline.error().message);
    limits.retry.deadline = *deadline;
  }
  return limits;
}

void add_aws_footer(CLI::App& app, const std::string& endpoint_variable) {
  app.footer("AWS credentials come from the standard chain: the environment, a web identity "
             "token file, an Azure identity exchanged at STS (AWS_ROLE_ARN with "
             "C42_AZURE_TOKEN_AUDIENCE), ~/.aws profiles, container credentials or EC2 instance "
             "metadata (sqs-poll(1) gives the order); the region from AWS_REGION. " +
             endpoint_variable + " or AWS_ENDPOINT_URL override the endpoint. See " + g_name +
             "(1).");
}

void add_s3_options(CLI::App& app, bool& path_style, NetworkOptions& network, bool& check) {
  app.add_flag("--path-style", path_style,
               "Address buckets in the path (https://host/bucket/key) instead of the host "
               "name. Implied for IP-address endpoints and by AWS_S3_FORCE_PATH_STYLE=true.");
  add_network_options(app, network);
  add_check_config(app, check);
  add_aws_footer(app, "AWS_ENDPOINT_URL_S3");
}

void add_check_config(CLI::App& app, bool& check) {
  app.add_flag("--check-config", check,
               "Check the options, settings and secrets, then exit without reading input or "
               "contacting any service: status 0 when they are usable.");
}

Result<int> open_side_channel(const std::string& path, bool for_writing) {
  for (const char* prefix : {"/dev/fd/", "/proc/self/fd/"}) {
    const std::string dir = prefix;
    if (path.compare(0, dir.size(), dir) != 0) continue;
    auto number = parse_decimal(path.substr(dir.size()), 1u << 20);
    if (!number) break; // not a descriptor number: open it as a path
    const int fd = static_cast<int>(*number);
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0)
      return make_error("cannot use " + path + ": descriptor " + std::to_string(fd) +
                        " is not open");
    const int mode = flags & O_ACCMODE;
    if (mode != O_RDWR && mode != (for_writing ? O_WRONLY : O_RDONLY))
      return make_error("cannot use " + path + ": descriptor " + std::to_string(fd) +
                        " is not open for " + (for_writing ? "writing" : "reading"));
    int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (copy < 0) return make_error("cannot use " + path + ": " + std::strerror(errno));
    return copy;
  }
  int fd;
  do {
    fd = for_writing ? ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)
                     : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR && !termination_requested());
  if (fd < 0) return make_error("cannot open " + path + ": " + std::strerror(errno));
  return fd;
}

Result<int> open_output_file(const std::string& path) {
  for (const char* prefix : {"/dev/fd/", "/proc/self/fd/"})
    if (path.compare(0, std::strlen(prefix), prefix) == 0) return open_side_channel(path, true);
  int fd;
  do {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  } while (fd < 0 && errno == EINTR && !termination_requested());
  if (fd < 0) return make_error("cannot open " + path + ": " + std::strerror(errno));
  return fd;
}

std::string read_secret_file(const std::string& path, std::string* error) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    *error = "cannot read " + path + ": " + std::strerror(errno);
    return "";
  }
  if (S_ISDIR(info.st_mode)) {
    *error = path + " is a directory, not a file";
    return "";
  }
  std::ifstream in(path, std::ios::binary);
  std::string secret;
  if (in) secret.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (!in.is_open() || in.bad()) {
    *error = "cannot read " + path;
    return "";
  }
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
  action.sa_flags = 0; // no SA_RESTART: a blocking read returns EINTR
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool termination_requested() {
  return g_terminate != 0;
}

} // namespace c42::tool
