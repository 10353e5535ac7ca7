#include "common/stages/poster.h"

#include "common/json_text.h"
#include "common/json_value.h"
#include "common/record_scanner.h"
#include "common/stages/stage_input.h"
#include "common/stream.h"
#include "common/worker_pool.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <vector>

namespace c42 {

namespace {

struct Span {
  MessageRef ref;
  int pending = 0; // chunks holding records of this span, not yet resolved
  bool failed = false;
  // Failed because the run's deadline passed, the sink could not be used
  // at all, or it kept failing through every retry: not because of
  // anything in the span.
  bool cut_short = false;
  std::string error;
  uint64_t delivered = 0;
  uint64_t last_chunk = std::numeric_limits<uint64_t>::max();
  size_t slot = 0; // index in the current chunk's span list
  EndLine end;
  // The end line as read: re-emitted with ok/delivered/error updated, so
  // fields another tool added survive.
  Json::Value end_json;
};

// A span's records in a chunk: contiguous, since every record read while
// the span is open counts to it.
struct SpanShare {
  std::shared_ptr<Span> span;
  size_t first = 0; // index in the chunk of the span's first record here
  uint64_t count = 0;
};

struct Chunk {
  uint64_t id = 0;
  RecordBatch batch;
  std::vector<SpanShare> spans;
};

struct OutputItem {
  std::string line;             // ready to write, when end_of is null
  std::shared_ptr<Span> end_of; // the end line of this span, once resolved
  bool record = false;          // a passed-on record: no flush of its own
};

} // namespace

struct Poster::Impl {
  PostConfig config;
  ChunkSenderFactory senders;
  LineWriter& out;
  Report report;
  RepeatedReport repeated; // per-record and per-chunk problems
  PostStats& stats;

  std::mutex mutex; // guards spans' resolution state and the output queue
  std::deque<OutputItem> output;
  std::atomic<bool> fatal{false};
  // The run's deadline passed: later chunks are failed unsent, but input is
  // still read so every message gets its (failed) end line.
  std::atomic<bool> out_of_time{false};
  uint64_t unattributed = 0; // bad records while no span was open
  std::atomic<bool> output_failed{false};
  std::unique_ptr<WorkerPool<Chunk>> pool;

  // Reader-thread state.
  std::map<std::string, std::shared_ptr<Span>> open_spans;
  Chunk current;
  uint64_t next_chunk_id = 1;

  Impl(PostConfig c, ChunkSenderFactory s, LineWriter& o, Report r, PostStats& st)
      : config(c), senders(std::move(s)), out(o), report(std::move(r)), repeated(report),
        stats(st) {
    current.id = next_chunk_id++;
  }

  // At most in_flight chunks wait beyond those being sent: backpressure.
  void start() {
    pool = std::make_unique<WorkerPool<Chunk>>(
        config.in_flight, static_cast<size_t>(config.in_flight), [this] {
          std::shared_ptr<ChunkSender> sender = senders();
          return [this, sender](Chunk& chunk) { send(*sender, chunk); };
        });
  }

  void stop() {
    if (pool) pool->close_and_join();
  }

  void send(ChunkSender& sender, Chunk& chunk) {
    SendResult result;
    if (fatal) {
      result.error = "not sent after an earlier fatal error";
    } else if (out_of_time) {
      result.error = "not sent: the run's deadline has passed";
    } else {
      result = sender.send(chunk.batch);
    }
    if (result.fatal && !fatal.exchange(true) && report) report(Severity::kError, result.error);
    if (result.out_of_time && !out_of_time.exchange(true) && report)
      report(Severity::kError, "the run's deadline passed; records not yet accepted stay with "
                               "their messages on the queue: " +
                                   result.error);
    const bool cut_short = result.fatal || result.out_of_time || fatal || out_of_time;
    std::lock_guard<std::mutex> lock(mutex);
    resolve(chunk, result, cut_short);
    drain();
  }

  // Under mutex. A result that names its failed records fails only the
  // spans holding them; any other failure fails every span of the chunk.
  void resolve(Chunk& chunk, const SendResult& result, bool cut_short) {
    const size_t records = chunk.batch.records();
    std::vector<FailedRecords> failed = result.failed;
    if (!result.ok && failed.empty())
      failed.push_back(FailedRecords{0, records, result.error, result.transient});
    uint64_t failed_records = 0;
    for (const FailedRecords& part : failed)
      failed_records += part.count;
    stats.records_posted += records - failed_records;
    stats.records_failed += failed_records;
    ++(result.ok ? stats.chunks_posted : stats.chunks_failed);
    if (result.ok) stats.bytes_posted += chunk.batch.body.size();
    if (result.attempts > 1) stats.retries += uint64_t(result.attempts - 1);
    if (!result.ok && !result.fatal && !fatal && !result.out_of_time && !out_of_time) {
      for (const FailedRecords& part : failed)
        repeated(Severity::kError, "chunks failed",
                 (part.count == records ? "chunk of " + std::to_string(records) + " records"
                                        : std::to_string(part.count) + " of a chunk's " +
                                              std::to_string(records) + " records") +
                     " failed: " + part.error);
    }
    for (SpanShare& share : chunk.spans) {
      Span& span = *share.span;
      --span.pending;
      uint64_t lost = 0;
      const FailedRecords* first_failure = nullptr;
      for (const FailedRecords& part : failed) {
        size_t begin = std::max(part.first, share.first);
        size_t end = std::min(part.first + part.count, share.first + share.count);
        if (begin >= end) continue;
        lost += end - begin;
        if (!first_failure) first_failure = &part;
      }
      span.delivered += share.count - lost;
      if (first_failure && !span.failed) {
        span.failed = true;
        span.error = "posting failed: " + first_failure->error;
      }
      if (first_failure && (cut_short || first_failure->transient)) span.cut_short = true;
    }
  }

  // Under mutex: writes every output line whose turn has come.
  void drain() {
    while (!output.empty()) {
      OutputItem& item = output.front();
      if (item.end_of) {
        Span& span = *item.end_of;
        if (span.pending > 0) return;
        // In a dry run: whether it would have been ok (the exit status).
        bool ok = span.end.ok && !span.failed;
        Json::Value& end = span.end_json;
        if (span.failed && span.end.error.empty()) end["error"] = span.error;
        if (config.dry_run) {
          // Nothing was delivered, and the reason is the run, not the
          // message: sqs-ack releases it and never quarantines it.
          end["ok"] = false;
          end["delivered"] = 0;
          end["written"] = Json::UInt64(span.delivered);
          if (string_member(end, "error").empty())
            end["error"] = "dry run: records written to " + config.dry_run_target + ", not posted";
          end["interrupted"] = kDryRun;
        } else {
          end["ok"] = ok;
          end["delivered"] = Json::UInt64(span.delivered);
          // Says that the message is not to blame (sqs-ack never
          // quarantines it); an earlier stage's mark stays.
          if (span.cut_short && string_member(end, "interrupted").empty())
            end["interrupted"] = kInProgress;
        }
        ++(ok ? stats.messages_ok : stats.messages_failed);
        item.line = to_control_line(end);
        item.end_of.reset();
      }
      // Control lines go out at once: the next stage acts on them.
      if (!out.write_line(item.line, !item.record).ok()) output_failed = true;
      output.pop_front();
    }
  }

  void emit(OutputItem item) {
    std::lock_guard<std::mutex> lock(mutex);
    output.push_back(std::move(item));
    drain();
  }

  void submit_current() {
    if (current.batch.records() == 0) return;
    current.batch.close();
    // The next chunk will most likely be as large: room for it now saves
    // copying it over and over as it grows.
    const size_t expected_bytes = current.batch.body.size();
    pool->push(std::move(current));
    current = Chunk();
    current.id = next_chunk_id++;
    current.batch.body.reserve(std::min(expected_bytes, config.chunk_bytes));
  }

  // A record that cannot be posted fails every open span, since any of
  // them may own it; with none open, only the exit status can tell.
  // `what` names the input line and the reason.
  void reject_record(const std::string& what) {
    ++stats.records_failed;
    repeated(Severity::kError, "records not posted", what);
    std::lock_guard<std::mutex> lock(mutex);
    if (open_spans.empty()) ++unattributed;
    for (auto& [key, span] : open_spans) {
      if (!span->failed) {
        span->failed = true;
        span->error = what;
      }
    }
  }

  // `input` names the line only when it is refused: no string per record.
  void add_record(std::string_view line, const StageInput& input) {
    ++stats.records_read;
    // A row as c42-transform writes it is known to be clean JSON text and an
    // object; anything else is checked in full.
    if (!scan_row(line)) {
      // jsoncpp alone lets through raw control characters and invalid UTF-8,
      // which the service rejects, failing the whole chunk.
      if (!is_clean_json_text(line))
        return reject_record(input.where() +
                             ": record is not valid JSON text (raw control character or "
                             "invalid UTF-8)");
      auto parsed = parse_json_object(line);
      if (!parsed.ok())
        return reject_record(input.where() + ": record is not a JSON object (" +
                             parsed.error().message + ")");
    }
    // 2 bytes of brackets; a record alone must fit a chunk.
    if (line.size() + 2 > config.chunk_bytes)
      return reject_record(input.where() + ": record of " + std::to_string(line.size()) +
                           " bytes is larger than the chunk limit of " +
                           std::to_string(config.chunk_bytes) + " bytes");
    if (current.batch.records() > 0 &&
        current.batch.body.size() + 1 + line.size() + 1 > config.chunk_bytes)
      submit_current();
    const size_t index = current.batch.records();
    current.batch.append(line);
    for (auto& [key, span] : open_spans) {
      if (span->last_chunk != current.id) {
        {
          std::lock_guard<std::mutex> lock(mutex);
          ++span->pending;
        }
        span->last_chunk = current.id;
        span->slot = current.spans.size();
        current.spans.push_back(SpanShare{span, index, 0});
      }
      ++current.spans[span->slot].count;
    }
    if (current.batch.records() >= config.chunk_records) submit_current();
  }

  Status handle_begin(const Json::Value& value) {
    auto begin = begin_from_json(value);
    if (!begin.ok()) return begin.error();
    // A repeated begin for a message already open keeps the open span:
    // replacing it would forget failures already charged to it.
    std::string key = span_key(begin->ref);
    if (open_spans.find(key) == open_spans.end()) {
      auto span = std::make_shared<Span>();
      span->ref = begin->ref;
      open_spans.emplace(std::move(key), std::move(span));
    }
    return Status::success();
  }

  Status handle_end(Json::Value& value) {
    auto end = end_from_json(value);
    if (!end.ok()) return end.error();
    auto it = open_spans.find(span_key(end->ref));
    if (it == open_spans.end()) {
      // Without its begin we cannot know which records were the message's.
      value["ok"] = false;
      value["delivered"] = 0;
      if (string_member(value, "error").empty()) value["error"] = "end line without a begin line";
      if (config.dry_run) value["interrupted"] = kDryRun;
      ++stats.messages_failed;
      emit(OutputItem{to_control_line(value), nullptr});
      return Status::success();
    }
    std::shared_ptr<Span> span = it->second;
    open_spans.erase(it);
    span->end = std::move(end.value());
    span->end_json = std::move(value);
    // Do not hold the message back until the chunk fills.
    if (span->last_chunk == current.id) submit_current();
    emit(OutputItem{"", span});
    return Status::success();
  }
};

Poster::Poster(PostConfig config, ChunkSenderFactory senders, LineWriter& out, Report report)
    : impl_(std::make_unique<Impl>(config, std::move(senders), out, std::move(report), stats_)) {}

Poster::~Poster() {
  impl_->stop();
}

Outcome Poster::run(LineReader& in) {
  Impl& impl = *impl_;
  impl.start();
  // A fatal answer (bad key, unreachable service) ends reading: posting more
  // could not succeed.
  StageInput reader(in, impl.out, impl.report, [&impl] { return impl.fatal.load(); });
  StageInput::Handlers handlers;
  handlers.record = [&](std::string_view line) {
    impl.add_record(line, reader);
    // Behind the end lines held back, like every other line, so the next
    // stage reads the stream in its order; a record this stage refused
    // passes too, and has failed its messages already.
    if (impl.config.pass_records) impl.emit(OutputItem{std::string(line), nullptr, true});
    return Status::success();
  };
  handlers.overlong = [&](const std::string& what) {
    ++stats_.records_read;
    impl.reject_record(what);
  };
  handlers.control["begin"] = [&](Json::Value& value, std::string_view text) {
    Status begun = impl.handle_begin(value);
    if (begun.ok()) impl.emit(OutputItem{std::string(text), nullptr});
    return begun;
  };
  handlers.control["end"] = [&](Json::Value& value, std::string_view) {
    return impl.handle_end(value);
  };
  // Everything else waits its turn behind the end lines held back.
  handlers.pass_on = [&](std::string_view text, bool) {
    impl.emit(OutputItem{std::string(text), nullptr});
    return Status::success();
  };
  Outcome outcome = reader.run(handlers);
  if (outcome == Outcome::kOk) impl.submit_current();
  impl.stop();
  impl.repeated.summarise();
  {
    std::lock_guard<std::mutex> lock(impl.mutex);
    impl.drain();
  }
  // A closing summary, so a driver can report what was sent without
  // counting records itself.
  Json::Value summary(Json::objectValue);
  summary[kControlKey] = "stats";
  summary["tool"] = impl.config.tool;
  if (impl.config.dry_run) {
    summary["records_posted"] = 0;
    summary["records_written"] = Json::UInt64(stats_.records_posted);
  } else {
    summary["records_posted"] = Json::UInt64(stats_.records_posted);
  }
  summary["records_failed"] = Json::UInt64(stats_.records_failed);
  summary["chunks_posted"] = Json::UInt64(stats_.chunks_posted);
  summary["chunks_failed"] = Json::UInt64(stats_.chunks_failed);
  summary[impl.config.dry_run ? "bytes_written" : "bytes_posted"] =
      Json::UInt64(stats_.bytes_posted);
  summary["retries"] = Json::UInt64(stats_.retries);
  if (!impl.output_failed && !impl.out.write_line(to_control_line(summary)).ok())
    impl.output_failed = true;
  if (!impl.out.flush().ok()) impl.output_failed = true;
  if (impl.unattributed > 0 && impl.report)
    impl.report(Severity::kError,
                std::to_string(impl.unattributed) + " records outside any message were not posted");
  if (impl.output_failed) return Outcome::kOutputFailed;
  if (impl.fatal) return Outcome::kService;
  if (outcome != Outcome::kOk) return outcome;
  bool failures = stats_.records_failed > 0 || stats_.messages_failed > 0;
  return failures ? Outcome::kPartial : Outcome::kOk;
}

} // namespace c42
