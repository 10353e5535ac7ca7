// s3-list's command line, checked: what main() runs with.
#pragma once

#include "common/environment.h"
#include "common/result.h"
#include "common/stages/lister.h"
#include "common/stages/listing_checkpoint.h"
#include "tools/tool_support.h"

#include <string>

namespace c42::s3_list {

struct Config {
  // --commit: read the pipeline's end lines and advance the checkpoint,
  // instead of listing.
  bool commit = false;
  ListConfig list;
  std::string checkpoint; // --checkpoint; empty: none
  bool path_style = false;
  tool::NetworkLimits network;
  bool check_only = false;
};

Result<Config> parse_options(int argc, char** argv, const Environment& env);

} // namespace c42::s3_list
