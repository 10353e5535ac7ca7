#include "tools/sqs-poll/options.h"

#include "tools/tool_support.h"

#include <cmath>

namespace c42::sqs_poll {

namespace {
// SQS's own limit on a message's visibility timeout: 12 hours.
constexpr uint64_t kMaxVisibilitySeconds = 43200;
// A budget beyond a week is a mistake rather than a plan.
constexpr double kMaxBudgetSeconds = 604800;
} // namespace

Result<Config> parse_options(int argc, char** argv, const Environment&) {
  Config config;
  int visibility_timeout = -1;
  double budget = -1;
  tool::NetworkOptions network;
  CLI::App app{"Receive messages from an Amazon SQS queue and write one c42-stream(7) "
               "'message' line per message to standard output."};
  app.add_option("--queue-url", config.queue_url,
                 "URL of the queue to receive from (or SQS_QUEUE_URL); required unless --whoami.")
      ->envname("SQS_QUEUE_URL");
  app.add_option("--max-messages", config.poll.max_messages,
                 "Messages to ask for per receive, 1 to 10.")
      ->check(tool::whole_number(1, 10))
      ->capture_default_str();
  app.add_option("--wait", config.poll.wait_seconds,
                 "Long-poll wait per receive in seconds, 0 to 20.")
      ->check(tool::whole_number(0, 20))
      ->capture_default_str();
  app.add_option("--visibility-timeout", visibility_timeout,
                 "Seconds received messages stay hidden from other consumers, 0 to 43200; "
                 "default: the queue's setting.")
      ->check(tool::whole_number(0, kMaxVisibilitySeconds));
  app.add_flag("--until-empty", config.poll.until_empty,
               "Stop after the first receive that brings no message not already written.");
  app.add_option("--budget", budget,
                 "Start no receive after this many seconds from now (0 to 604800).")
      ->check(tool::seconds(0, kMaxBudgetSeconds));
  app.add_option("--leases", config.leases,
                 "Write a lease line for each message received to this file (a pipe, such as "
                 "/dev/fd/3, or a FIFO), before its message line, for sqs-ack --leases to keep "
                 "it hidden until it is resolved; needs --visibility-timeout of 1 or more.")
      ->type_name("FILE");
  app.add_flag("--check-queue", config.check_queue,
               "Before receiving, read the queue's settings (GetQueueAttributes, which needs "
               "sqs:GetQueueAttributes) and warn about those that defeat the run; a refusal is "
               "passed over silently.");
  app.add_option("--max-messages-total", config.poll.max_messages_total,
                 "Stop after this many messages in all (0: no limit).")
      ->check(tool::whole_number(0, 1000000000))
      ->capture_default_str();
  tool::add_network_options(app, network);
  tool::add_check_config(app, config.check_only);
  app.add_flag("--whoami", config.whoami,
               "Print which credentials source is used and the identity STS reports for it "
               "(GetCallerIdentity) as one line, then exit without receiving.")
      ->excludes("--check-config");
  tool::add_aws_footer(app, "AWS_ENDPOINT_URL_SQS");
  Status parsed = tool::parse(app, argc, argv);
  if (!parsed.ok()) return parsed.error();

  if (config.queue_url.empty() && !config.whoami) return tool::usage("--queue-url is required");
  if (visibility_timeout >= 0) config.poll.visibility_timeout = visibility_timeout;
  if (config.poll.until_empty && visibility_timeout == 0)
    return tool::usage("--until-empty with --visibility-timeout 0 would receive the same "
                       "messages again and again");
  if (app.count("--leases") > 0) {
    if (config.leases.empty()) return tool::usage("--leases needs a file name");
    if (visibility_timeout < 1)
      return tool::usage("--leases needs --visibility-timeout of 1 or more: the heartbeat extends "
                         "messages by the timeout they were received with");
  }
  auto limits = tool::network_limits(network);
  if (!limits.ok()) return limits.error();
  config.poll.deadline = limits->retry.deadline;
  config.timeouts = limits->timeouts;
  config.retry = limits->retry;
  config.retry.deadline.reset();
  if (budget >= 0) {
    auto by_budget = SystemClock().now() + std::chrono::milliseconds(std::llround(budget * 1000));
    if (!config.poll.deadline || by_budget < *config.poll.deadline)
      config.poll.deadline = by_budget;
  }
  return config;
}

} // namespace c42::sqs_poll
