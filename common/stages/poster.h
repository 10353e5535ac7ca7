// The delivery engine of every sink (la-post today): batches records into
// chunks, posts several chunks at once through any ChunkSender, and
// re-emits each message's `end` line only when every chunk that holds a
// record from the message's span has been resolved. A failed chunk fails
// every message whose span it touches, or, when the sender names the
// records that failed, every message whose span holds one of them:
// conservative, never lossy. It knows no wire protocol; the senders in
// common/la/ do.
#pragma once

#include "common/chunk_sender.h"
#include "common/diagnostics.h"
#include "common/exit_codes.h"
#include "common/line_io.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace c42 {

struct PostConfig {
  // Named in the closing stats line ("tool"), so a driver knows whose totals
  // it reads.
  std::string tool = "la-post";
  size_t chunk_records = 500;
  // The API's limit on a request body; a record alone must fit.
  size_t chunk_bytes = 1u << 20;
  int in_flight = 4;
  // Write every record to the output too, in order with the control lines,
  // so a second poster can post the same records elsewhere (la-post
  // --pass-records). Held back behind a waiting end line like any line, so
  // the output holds at most the records of the chunks in flight.
  bool pass_records = false;
  // The senders write the request bodies somewhere instead of posting them
  // (la-post --output). Every end line then says ok false with interrupted
  // "dry-run", whatever the senders answered, so that sqs-ack deletes
  // nothing and releases every message; "written" counts the span's records
  // written, and the stats line has records_written, not records_posted.
  bool dry_run = false;
  std::string dry_run_target; // where the bodies went, for the end lines' error
};

struct PostStats {
  std::atomic<uint64_t> records_read{0};
  std::atomic<uint64_t> records_posted{0};
  std::atomic<uint64_t> records_failed{0};
  std::atomic<uint64_t> chunks_posted{0};
  std::atomic<uint64_t> chunks_failed{0};
  // Body bytes (before any compression) of the chunks accepted whole.
  std::atomic<uint64_t> bytes_posted{0};
  // Tries beyond the first, over all chunks: how hard the service was.
  std::atomic<uint64_t> retries{0};
  std::atomic<uint64_t> messages_ok{0};
  std::atomic<uint64_t> messages_failed{0};
};

// Reads records and control lines until end of input. A record that cannot
// be posted (not JSON, larger than a chunk, longer than the stream limit)
// is reported and fails every message span open at that point; the run
// goes on. Problems that repeat per record or chunk are reported a few
// times each, then summarised.
class Poster {
public:
  Poster(PostConfig config, ChunkSenderFactory senders, LineWriter& out, Report report);
  ~Poster();
  // Outcome: kOk; kPartial when records, chunks or messages failed; kService
  // after a fatal answer (reading stops); kBadInput for a malformed control
  // line; kOutputFailed.
  Outcome run(LineReader& in);
  const PostStats& stats() const { return stats_; }

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  PostStats stats_;
};

} // namespace c42
