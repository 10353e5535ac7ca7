// sqs-poll's command line, checked: what main() runs with.
#pragma once

#include "common/environment.h"
#include "common/http.h"
#include "common/result.h"
#include "common/retry.h"
#include "common/stages/poller.h"

#include <string>

namespace c42::sqs_poll {

struct Config {
  std::string queue_url;
  PollConfig poll; // its deadline is the earlier of --deadline and --budget
  Timeouts timeouts;
  RetryPolicy retry; // --max-attempts and --max-backoff; the deadline is poll's
  bool check_only = false;
  bool whoami = false; // print the credentials' source and identity, then exit
  std::string leases;  // --leases: where lease lines go; empty: none
  bool check_queue = false;
};

Result<Config> parse_options(int argc, char** argv, const Environment& env);

} // namespace c42::sqs_poll
