// sqs-poll: receive SQS messages and write one `message` line per message
// (c42-stream(7)).
#include "common/aws/session.h"
#include "common/curl_http.h"
#include "common/poller.h"
#include "common/time_format.h"
#include "tools/tool_support.h"

#include <memory>

using namespace c42;

namespace {

struct Config {
  PollConfig poll;
  std::string deadline;
  double budget = -1;
};

} // namespace

int main(int argc, char** argv) {
  tool::init("sqs-poll");
  Config config;
  CLI::App app{"Receive messages from an Amazon SQS queue and write one c42-stream(7) "
               "'message' line per message to standard output."};
  app.add_option("--queue-url", config.poll.queue_url,
                 "URL of the queue to receive from (or SQS_QUEUE_URL).")
      ->envname("SQS_QUEUE_URL")
      ->required();
  app.add_option("--max-messages", config.poll.max_messages,
                 "Messages to ask for per receive, 1 to 10.")
      ->check(CLI::Range(1, 10))
      ->capture_default_str();
  app.add_option("--wait", config.poll.wait_seconds,
                 "Long-poll wait per receive in seconds, 0 to 20.")
      ->check(CLI::Range(0, 20))
      ->capture_default_str();
  app.add_option("--visibility-timeout", config.poll.visibility_timeout,
                 "Seconds received messages stay hidden from other consumers, 0 to 43200; "
                 "default: the queue's setting.")
      ->check(CLI::Range(0, 43200));
  app.add_flag("--until-empty", config.poll.until_empty,
               "Stop after the first receive that returns no messages.");
  app.add_option("--deadline", config.deadline,
                 "Start no receive after this time (ISO 8601, or seconds since the epoch).");
  app.add_option("--budget", config.budget, "Start no receive after this many seconds from now.")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-messages-total", config.poll.max_messages_total,
                 "Stop after this many messages in all (0: no limit).")
      ->capture_default_str();
  app.footer("Credentials and region come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
             "AWS_SESSION_TOKEN and AWS_REGION; AWS_ENDPOINT_URL_SQS or AWS_ENDPOINT_URL "
             "override the endpoint. See sqs-poll(1).");
  if (int status = tool::parse(app, argc, argv); status >= 0) return status;

  SystemClock clock;
  ProcessEnvironment env;
  if (!config.deadline.empty()) {
    auto deadline = parse_deadline(config.deadline);
    if (!deadline.ok()) {
      tool::error(deadline.error().message + " (try 'sqs-poll --help')");
      return kExitUsage;
    }
    config.poll.deadline = *deadline;
  }
  if (config.budget >= 0) {
    auto by_budget =
        clock.now() + std::chrono::milliseconds(static_cast<long long>(config.budget * 1000));
    if (!config.poll.deadline || by_budget < *config.poll.deadline)
      config.poll.deadline = by_budget;
  }
  auto session = aws::Session::open(env, clock, config.poll.queue_url);
  if (!session.ok()) {
    tool::error(session.error().message);
    return kExitConfig;
  }
  CurlHttpClient http;
  auto sqs = aws::open_sqs_client(*session, env, &http);
  if (!sqs.ok()) {
    tool::error(sqs.error().message);
    return kExitConfig;
  }

  tool::handle_termination();
  LineWriter out(STDOUT_FILENO);
  PollStats stats;
  std::string error;
  PollOutcome outcome =
      run_poll(config.poll, **sqs, clock, out, tool::termination_requested, &stats, &error);
  switch (outcome) {
  case PollOutcome::kOk:
    return kExitOk;
  case PollOutcome::kOutputFailed:
    tool::error(error);
    return kExitOutput;
  case PollOutcome::kServiceError:
    tool::error(error);
    return kExitService;
  }
  return kExitOk;
}
