// s3-list's resumable checkpoint: the last key of a listing up to which
// every object was delivered, and the committer that advances it from the
// end lines coming back through the pipeline:
//
//   s3-list --checkpoint F s3://b/p | s3-fetch | c42-transform | la-post |
//       s3-list --commit --checkpoint F
//
// The lister writes one `message` line per object, numbered in listing
// order (lister.h); s3-fetch frames each object's records with begin/end
// lines, la-post adds "delivered" to the end line once Log Analytics
// accepted every record of it. The committer moves the checkpoint to the
// last key of the longest run of objects numbered 1, 2, 3, … that all came
// back ok and delivered, so a key is passed over on resumption only when it
// and every key before it were delivered: a failure, a kill or a dropped
// line anywhere holds the checkpoint before the object concerned.
#pragma once

#include "common/clock.h"
#include "common/diagnostics.h"
#include "common/exit_codes.h"
#include "common/line_io.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace c42 {

struct ListCheckpoint {
  std::string listing; // s3://bucket/prefix it belongs to
  std::string after;   // every key up to and including this one is done; empty: none
};

// The checkpoint in `path`: nullopt when the file does not exist; an error
// (kConfig) when it cannot be read or is not a checkpoint.
Result<std::optional<ListCheckpoint>> load_list_checkpoint(const std::string& path);
// Replaces the file atomically: written to a temporary file beside it,
// synced, renamed over it, and the directory synced, so that a crash at any
// moment leaves the old checkpoint or the new one, never a mix or nothing.
Status save_list_checkpoint(const std::string& path, const ListCheckpoint& checkpoint);

struct CommitConfig {
  std::string checkpoint; // path
  // The checkpoint is written at most this often while input flows (and
  // always at the end): a crash loses at most this much progress, which
  // means objects shipped again, never objects passed over.
  std::chrono::milliseconds save_interval{1000};
  // Objects that came back out of order, held until those before them
  // come: beyond this many (a line lost on the way) the checkpoint stops
  // advancing for the rest of the run.
  size_t max_waiting = 100000;
};

struct CommitStats {
  uint64_t delivered = 0;     // objects that came back ok and delivered
  uint64_t not_delivered = 0; // objects that came back not ok, or without a sink's verdict
  uint64_t committed = 0;     // the objects the checkpoint moved past in this run
  std::string first_failure;  // "s3://b/k: reason" of the first not delivered
};

class Committer {
public:
  Committer(CommitConfig config, const Clock& clock, LineReader& in, LineWriter& out, Report report,
            std::function<bool()> stop_requested = {});

  // Reads the stream to its end. The begin and end lines of s3-list's
  // messages are consumed; every other line passes on unchanged. Outcome:
  // kOk when every object that came back was delivered and none is missing
  // before them; kPartial when some was not (the checkpoint stays before
  // it); kConfig when the checkpoint cannot be read or written or belongs
  // to another listing; kBadInput, kInterrupted, kOutputFailed as for
  // every stage.
  Outcome run();
  const CommitStats& stats() const { return stats_; }

private:
  Status end_line(const std::string& listing, uint64_t sequence, const std::string& reference,
                  bool delivered, const std::string& reason);
  Status save(bool force);

  CommitConfig config_;
  const Clock& clock_;
  LineReader& in_;
  LineWriter& out_;
  Report report_;
  std::function<bool()> stop_requested_;
  CommitStats stats_;

  std::optional<ListCheckpoint> checkpoint_; // loaded at the first end line
  uint64_t next_ = 1;                        // the sequence number the checkpoint waits for
  std::map<uint64_t, std::string> waiting_;  // delivered after a gap: sequence -> key
  std::optional<uint64_t> stuck_at_;         // the first sequence not delivered
  bool dirty_ = false;
  TimePoint last_save_{};
  bool config_failed_ = false;
};

} // namespace c42
