// sqs-poll: receive SQS messages and write one `message` line per message
// (c42-stream(7)).
#include "common/aws/session.h"
#include "common/curl_http.h"
#include "common/stages/poller.h"
#include "tools/tool_support.h"

#include <cmath>
#include <memory>

using namespace c42;

namespace {

// SQS's own limit on a message's visibility timeout: 12 hours.
constexpr uint64_t kMaxVisibilitySeconds = 43200;
// A budget beyond a week is a mistake rather than a plan.
constexpr double kMaxBudgetSeconds = 604800;

struct Config {
  PollConfig poll;
  int visibility_timeout = -1;
  double budget = -1;
  tool::NetworkOptions network;
  bool check_config = false;
};

int run(int argc, char** argv) {
  Config config;
  CLI::App app{"Receive messages from an Amazon SQS queue and write one c42-stream(7) "
               "'message' line per message to standard output."};
  app.add_option("--queue-url", config.poll.queue_url,
                 "URL of the queue to receive from (or SQS_QUEUE_URL).")
      ->envname("SQS_QUEUE_URL")
      ->required();
  app.add_option("--max-messages", config.poll.max_messages,
                 "Messages to ask for per receive, 1 to 10.")
      ->check(tool::whole_number(1, 10))
      ->capture_default_str();
  app.add_option("--wait", config.poll.wait_seconds,
                 "Long-poll wait per receive in seconds, 0 to 20.")
      ->check(tool::whole_number(0, 20))
      ->capture_default_str();
  app.add_option("--visibility-timeout", config.visibility_timeout,
                 "Seconds received messages stay hidden from other consumers, 0 to 43200; "
                 "default: the queue's setting.")
      ->check(tool::whole_number(0, kMaxVisibilitySeconds));
  app.add_flag("--until-empty", config.poll.until_empty,
               "Stop after the first receive that brings no message not already written.");
  app.add_option("--budget", config.budget,
                 "Start no receive after this many seconds from now (0 to 604800).")
      ->check(tool::seconds(0, kMaxBudgetSeconds));
  app.add_option("--max-messages-total", config.poll.max_messages_total,
                 "Stop after this many messages in all (0: no limit).")
      ->check(tool::whole_number(0, 1000000000))
      ->capture_default_str();
  tool::add_network_options(app, config.network);
  tool::add_check_config(app, config.check_config);
  app.footer("Credentials and region come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
             "AWS_SESSION_TOKEN and AWS_REGION; AWS_ENDPOINT_URL_SQS or AWS_ENDPOINT_URL "
             "override the endpoint. See sqs-poll(1).");
  if (int status = tool::parse(app, argc, argv); status >= 0) return status;

  if (config.visibility_timeout >= 0) config.poll.visibility_timeout = config.visibility_timeout;
  if (config.poll.until_empty && config.visibility_timeout == 0)
    return tool::usage_error("--until-empty with --visibility-timeout 0 would receive the same "
                             "messages again and again");
  auto deadline = tool::deadline_of(config.network);
  if (!deadline.ok()) return tool::usage_error(deadline.error().message);
  auto timeouts = tool::timeouts_of(config.network);
  if (!timeouts.ok()) return tool::usage_error(timeouts.error().message);

  SystemClock clock;
  ProcessEnvironment env;
  config.poll.deadline = *deadline;
  if (config.budget >= 0) {
    auto by_budget = clock.now() + std::chrono::milliseconds(std::llround(config.budget * 1000));
    if (!config.poll.deadline || by_budget < *config.poll.deadline)
      config.poll.deadline = by_budget;
  }
  auto session = aws::Session::open(env, clock, CurlHttpClient::factory(), config.poll.queue_url);
  if (!session.ok()) {
    tool::error(session.error().message);
    return kExitConfig;
  }
  // A receive started before the deadline may finish its reply: cutting it
  // off would hide the messages it carried until their visibility timeout.
  std::optional<TimePoint> call_deadline;
  if (config.poll.deadline)
    call_deadline = *config.poll.deadline + std::chrono::milliseconds(timeouts->stall_ms);
  CurlHttpClient http;
  auto sqs = aws::open_sqs_client(*session, env, &http, *timeouts, call_deadline,
                                  tool::termination_requested);
  if (!sqs.ok()) {
    tool::error(sqs.error().message);
    return kExitConfig;
  }
  if (config.check_config) return kExitOk;

  tool::handle_termination();
  LineWriter out(STDOUT_FILENO);
  PollStats stats;
  std::string error;
  PollOutcome outcome =
      run_poll(config.poll, **sqs, clock, out, tool::termination_requested, &stats, &error);
  switch (outcome) {
  case PollOutcome::kOk:
    return kExitOk;
  case PollOutcome::kInterrupted:
    return kExitInterrupted;
  case PollOutcome::kOutputFailed:
    tool::error(error);
    return kExitOutput;
  case PollOutcome::kServiceError:
    tool::error(error);
    return kExitService;
  }
  return kExitOk;
}

} // namespace

int main(int argc, char** argv) {
  c42::tool::init("sqs-poll");
  return c42::tool::guarded([&] { return run(argc, argv); });
}
