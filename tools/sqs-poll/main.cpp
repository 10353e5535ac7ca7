// sqs-poll: receive SQS messages and write one `message` line per message
// (c42-stream(7)).
#include "common/aws/session.h"
#include "common/aws/sts_client.h"
#include "common/curl_http.h"
#include "tools/sqs-poll/options.h"
#include "tools/tool_support.h"

#include <memory>
#include <unistd.h>

namespace c42::sqs_poll {

namespace {

// --whoami: the source the chain chose and who STS says its credentials
// are, in one line of names and ARNs (never a key or token).
Outcome whoami(const aws::Session& session, const Environment& env, const Config& config) {
  CurlHttpClient http;
  RetryPolicy retry = config.retry;
  retry.deadline = config.poll.deadline;
  auto sts = aws::open_sts_client(session, env, &http, config.timeouts, retry);
  if (!sts.ok()) {
    tool::error(sts.error().message);
    return Outcome::kConfig;
  }
  auto identity = (*sts)->get_caller_identity();
  if (!identity.ok()) {
    tool::error(identity.error().message);
    return Outcome::kService;
  }
  LineWriter out(STDOUT_FILENO);
  const std::string line = "provider: " + session.credentials_source() + "; arn: " + identity->arn +
                           "; account: " + identity->account;
  if (!out.write_line(line).ok() || !out.flush().ok()) return Outcome::kOutputFailed;
  return Outcome::kOk;
}

} // namespace

Outcome run(const Config& config) {
  SystemClock clock;
  ProcessEnvironment env;
  auto session = aws::Session::open(env, clock, CurlHttpClient::factory(), config.queue_url,
                                    aws::credential_check(config.check_only));
  if (!session.ok()) {
    tool::error(session.error().message);
    return Outcome::kConfig;
  }
  if (config.whoami) return whoami(*session, env, config);
  // A receive started before the deadline may finish its reply: cutting it
  // off would hide the messages it carried until their visibility timeout.
  RetryPolicy retry = config.retry;
  if (config.poll.deadline)
    retry.deadline = *config.poll.deadline + std::chrono::milliseconds(config.timeouts.stall_ms);
  CurlHttpClient http;
  auto sqs = aws::open_sqs_client(*session, env, &http, config.timeouts, retry,
                                  tool::termination_requested);
  if (!sqs.ok()) {
    tool::error(sqs.error().message);
    return Outcome::kConfig;
  }
  if (config.check_only) return Outcome::kOk;

  tool::handle_termination();
  if (config.check_queue) {
    // Optional, as the permission is: whatever goes wrong here (a refusal
    // under the least-privilege policy, above all) is passed over in
    // silence, and the receive that follows reports what matters.
    auto attributes =
        (*sqs)->get_queue_attributes(config.queue_url, {"VisibilityTimeout", "RedrivePolicy"});
    if (attributes.ok()) {
      for (const std::string& warning :
           queue_setting_warnings(queue_settings(*attributes), config.poll, clock.now()))
        tool::warning(warning);
    }
  }
  std::unique_ptr<LineWriter> leases;
  int lease_fd = -1;
  if (!config.leases.empty()) {
    // A FIFO waits here until sqs-ack opens its end.
    auto opened = tool::open_side_channel(config.leases, true);
    if (!opened.ok()) {
      if (tool::termination_requested()) return Outcome::kInterrupted;
      tool::error("--leases: " + opened.error().message);
      return Outcome::kConfig;
    }
    lease_fd = *opened;
    leases = std::make_unique<LineWriter>(lease_fd);
  }
  SqsMessageSource source(**sqs, config.queue_url);
  LineWriter out(STDOUT_FILENO);
  PollStats stats;
  Outcome outcome = run_poll(config.poll, source, clock, out, tool::stderr_report(),
                             tool::termination_requested, &stats, leases.get());
  if (leases) {
    if (!leases->flush().ok() && outcome == Outcome::kOk) outcome = Outcome::kOutputFailed;
    leases.reset();
    ::close(lease_fd);
  }
  return outcome;
}

} // namespace c42::sqs_poll

int main(int argc, char** argv) {
  return c42::tool::main("sqs-poll", argc, argv, c42::sqs_poll::parse_options, c42::sqs_poll::run);
}
