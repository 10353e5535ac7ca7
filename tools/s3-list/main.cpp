// s3-list: list an S3 prefix with ListObjectsV2 and write one line per
// object for s3-fetch (c42-stream(7)); with --commit, advance the listing's
// checkpoint from the end lines that come back through the pipeline.
#include "common/aws/session.h"
#include "common/curl_http.h"
#include "common/stream.h"
#include "tools/s3-list/options.h"
#include "tools/tool_support.h"

#include <algorithm>
#include <memory>

namespace c42::s3_list {

namespace {

Outcome commit(const Config& config) {
  if (config.check_only) {
    auto loaded = load_list_checkpoint(config.checkpoint);
    if (!loaded.ok()) {
      tool::error(loaded.error().message);
      return Outcome::kConfig;
    }
    return Outcome::kOk;
  }
  // A stop request ends the input early; the progress so far is still saved.
  tool::handle_termination();
  SystemClock clock;
  LineReader in(STDIN_FILENO, kMaxStreamLineBytes);
  in.set_interrupted(tool::termination_requested);
  LineWriter out(STDOUT_FILENO);
  CommitConfig commit_config;
  commit_config.checkpoint = config.checkpoint;
  Committer committer(commit_config, clock, in, out, tool::stderr_report(),
                      tool::termination_requested);
  return committer.run();
}

// Where the listing starts: after --start-after and after the checkpoint,
// whichever is later. A new checkpoint file is written at once, so that a
// path that cannot be written fails before anything is listed.
Result<std::string> resume_point(const Config& config) {
  if (config.checkpoint.empty()) return config.list.start_after;
  const std::string listing = config.list.listing.reference();
  auto loaded = load_list_checkpoint(config.checkpoint);
  if (!loaded.ok()) return loaded.error();
  if (!*loaded) {
    ListCheckpoint fresh{listing, ""};
    Status saved = save_list_checkpoint(config.checkpoint, fresh);
    if (!saved.ok()) return saved.error();
    return config.list.start_after;
  }
  if ((*loaded)->listing != listing)
    return make_error("checkpoint " + config.checkpoint + " belongs to " + (*loaded)->listing +
                          ", not to " + listing,
                      ErrorKind::kConfig);
  return std::max(config.list.start_after, (*loaded)->after);
}

} // namespace

Outcome run(const Config& config) {
  if (config.commit) return commit(config);
  SystemClock clock;
  ProcessEnvironment env;
  auto s3 = aws::open_s3_session(env, clock, CurlHttpClient::factory(),
                                 aws::credential_check(config.check_only), config.path_style);
  if (!s3.ok()) {
    tool::error(s3.error().message);
    return Outcome::kConfig;
  }
  if (config.check_only) {
    if (!config.checkpoint.empty()) {
      auto loaded = load_list_checkpoint(config.checkpoint);
      if (!loaded.ok()) {
        tool::error(loaded.error().message);
        return Outcome::kConfig;
      }
    }
    return Outcome::kOk;
  }
  auto start_after = resume_point(config);
  if (!start_after.ok()) {
    tool::error(start_after.error().message);
    return Outcome::kConfig;
  }
  ListConfig list = config.list;
  list.start_after = *start_after;

  tool::handle_termination();
  auto http = std::make_unique<CurlHttpClient>();
  auto context = s3->session.context(http.get(), "s3");
  context.timeouts = config.network.timeouts;
  context.retry = config.network.retry;
  context.cancelled = tool::termination_requested;
  S3ObjectLister source(std::move(http), context, s3->addressing);
  LineWriter out(STDOUT_FILENO);
  Lister lister(list, source, out, tool::stderr_report(), tool::termination_requested);
  return lister.run();
}

} // namespace c42::s3_list

int main(int argc, char** argv) {
  return c42::tool::main("s3-list", argc, argv, c42::s3_list::parse_options, c42::s3_list::run);
}
