// sqs-ack's command line, checked: what main() runs with.
#pragma once

#include "common/environment.h"
#include "common/http.h"
#include "common/result.h"
#include "common/stages/acker.h"
#include "common/stages/quarantine.h"
#include "tools/tool_support.h"

#include <optional>
#include <string>

namespace c42::sqs_ack {

struct Config {
  AckConfig ack;
  std::string leases; // --leases: where lease lines come from; empty: none
  // Where --quarantine-after puts messages; empty: not there.
  std::string quarantine_file;
  std::optional<S3Prefix> quarantine_s3;
  tool::NetworkLimits network;
  bool check_only = false;
};

Result<Config> parse_options(int argc, char** argv, const Environment& env);

} // namespace c42::sqs_ack
