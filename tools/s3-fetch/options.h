// s3-fetch's command line, checked: what main() runs with.
#pragma once

#include "common/environment.h"
#include "common/http.h"
#include "common/result.h"
#include "common/stages/fetcher.h"
#include "tools/tool_support.h"

#include <optional>
#include <string>
#include <vector>

namespace c42::s3_fetch {

struct Config {
  FetchConfig fetch;
  std::vector<std::string> references; // s3:// arguments, '-' removed
  bool read_stdin = true;
  bool path_style = false;
  tool::NetworkLimits network;
  bool check_only = false;
};

Result<Config> parse_options(int argc, char** argv, const Environment& env);

} // namespace c42::s3_fetch
