// c42-transform's command line, checked: what main() runs with.
#pragma once

#include "common/environment.h"
#include "common/result.h"
#include "common/stages/transform.h"

namespace c42::c42_transform {

struct Config {
  TransformConfig transform;
  bool check_only = false;
};

Result<Config> parse_options(int argc, char** argv, const Environment& env);

} // namespace c42::c42_transform
