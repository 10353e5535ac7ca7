// la-post's command line, checked: what main() runs with.
#pragma once

#include "common/environment.h"
#include "common/http.h"
#include "common/la/logs_ingestion_sender.h"
#include "common/la/shared_key.h"
#include "common/result.h"
#include "common/retry.h"
#include "common/stages/poster.h"

namespace c42::la_post {

enum class Api { kDataCollector, kIngestion };

struct Config {
  Api api = Api::kDataCollector;
  la::DataCollectorTarget target;    // --api data-collector, the shared key read and checked
  la::LogsIngestionTarget ingestion; // --api ingestion
  PostConfig post;
  RetryPolicy retry; // the run's deadline and --max-attempts
  Timeouts timeouts;
  bool check_only = false;
  // --output: write the request bodies here instead of posting them; no
  // credentials or network are needed then.
  std::string output;
};

Result<Config> parse_options(int argc, char** argv, const Environment& env);

} // namespace c42::la_post
