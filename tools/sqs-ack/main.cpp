// sqs-ack: delete the SQS messages whose end lines say they were delivered;
// write one result line per message (c42-stream(7)). With --leases, keep
// the messages in work hidden until they are resolved.
#include "common/aws/endpoints.h"
#include "common/aws/session.h"
#include "common/curl_http.h"
#include "common/stages/heartbeat.h"
#include "common/stages/quarantine.h"
#include "common/stream.h"
#include "tools/sqs-ack/options.h"
#include "tools/tool_support.h"

#include <memory>
#include <unistd.h>

namespace c42::sqs_ack {

Outcome run(const Config& config) {
  SystemClock clock;
  ProcessEnvironment env;
  auto session = aws::Session::open(env, clock, CurlHttpClient::factory(),
                                    env.get("SQS_QUEUE_URL").value_or(""),
                                    aws::credential_check(config.check_only));
  if (!session.ok()) {
    tool::error(session.error().message);
    return Outcome::kConfig;
  }
  CurlHttpClient http;
  auto sqs =
      aws::open_sqs_client(*session, env, &http, config.network.timeouts, config.network.retry);
  if (!sqs.ok()) {
    tool::error(sqs.error().message);
    return Outcome::kConfig;
  }
  // The quarantine's places are checked before any message depends on them.
  QuarantineSet quarantine;
  if (!config.quarantine_file.empty()) {
    auto file = FileQuarantine::open(config.quarantine_file);
    if (!file.ok()) {
      tool::error(file.error().message);
      return Outcome::kConfig;
    }
    quarantine.add(std::move(*file));
  }
  if (config.quarantine_s3) {
    auto addressing = aws::resolve_s3_addressing(env, session->region(), false);
    if (!addressing.ok()) {
      tool::error(addressing.error().message);
      return Outcome::kConfig;
    }
    auto http = std::make_unique<CurlHttpClient>();
    auto context = session->context(http.get(), "s3");
    context.timeouts = config.network.timeouts;
    context.retry = config.network.retry;
    quarantine.add(std::make_unique<S3Quarantine>(std::move(http), std::move(context),
                                                  std::move(*addressing), *config.quarantine_s3));
  }
  if (config.check_only) return Outcome::kOk;

  // The heartbeat extends visibility from a thread of its own, with a
  // client of its own: deletions in progress never hold it up.
  int lease_fd = -1;
  CurlHttpClient heartbeat_http;
  std::unique_ptr<aws::SqsClient> heartbeat_sqs;
  std::unique_ptr<SqsMessageDeleter> heartbeat_deleter;
  std::unique_ptr<Heartbeat> heartbeat;
  std::unique_ptr<HeartbeatThread> heartbeat_thread;
  if (!config.leases.empty()) {
    auto opened = tool::open_side_channel(config.leases, false);
    if (!opened.ok()) {
      tool::error("--leases: " + opened.error().message);
      return Outcome::kConfig;
    }
    lease_fd = *opened;
    RetryPolicy extension_retry = config.network.retry;
    if (!attempt_limit(extension_retry)) extension_retry.max_attempts = kHeartbeatAttempts;
    auto client = aws::open_sqs_client(*session, env, &heartbeat_http, config.network.timeouts,
                                       extension_retry);
    if (!client.ok()) {
      tool::error(client.error().message);
      return Outcome::kConfig;
    }
    heartbeat_sqs = std::move(*client);
    heartbeat_deleter = std::make_unique<SqsMessageDeleter>(*heartbeat_sqs);
    heartbeat = std::make_unique<Heartbeat>(*heartbeat_deleter, clock, tool::stderr_report());
    heartbeat_thread =
        std::make_unique<HeartbeatThread>(*heartbeat, lease_fd, tool::stderr_report());
  }

  SqsMessageDeleter deleter(**sqs);
  LineWriter out(STDOUT_FILENO);
  LineReader in(STDIN_FILENO, kMaxStreamLineBytes);
  AckStats stats;
  AckServices services;
  services.heartbeat = heartbeat.get();
  if (!quarantine.empty()) services.quarantine = &quarantine;
  services.clock = &clock;
  Outcome outcome = run_ack(config.ack, deleter, in, out, tool::stderr_report(), &stats, services);
  // The input is done: what is still held had no end line and is left to
  // show again when its visibility runs out.
  if (heartbeat_thread) heartbeat_thread->stop();
  if (lease_fd >= 0) ::close(lease_fd);
  return outcome;
}

} // namespace c42::sqs_ack

int main(int argc, char** argv) {
  return c42::tool::main("sqs-ack", argc, argv, c42::sqs_ack::parse_options, c42::sqs_ack::run);
}
