// sqs-ack's command line, checked: what main() runs with.
#pragma once

#include "common/environment.h"
#include "common/http.h"
#include "common/result.h"
#include "common/stages/acker.h"

#include <optional>

namespace c42::sqs_ack {

struct Config {
  AckConfig ack;
  Timeouts timeouts;
  std::optional<TimePoint> deadline;
  bool check_only = false;
};

Result<Config> parse_options(int argc, char** argv, const Environment& env);

} // namespace c42::sqs_ack
