#include "common/stages/fetcher.h"

#include "common/decompressor.h"
#include "common/json_text.h"
#include "common/json_value.h"
#include "common/line_splitter.h"
#include "common/source_record.h"
#include "common/stages/stage_input.h"
#include "common/stream.h"
#include "common/time_format.h"
#include "common/worker_pool.h"

#include <chrono>
#include <mutex>
#include <poll.h>

namespace c42 {

namespace {

constexpr size_t kFlushBytes = 64u << 10;
// After a stop request, the message lines still in the input are read and
// ended "unstarted" (sqs-ack releases them) while they keep coming: each
// within this long of the last, and for this long in all, since the run
// must end within its grace.
constexpr int kDrainWaitMs = 1000;
constexpr auto kDrainTotal = std::chrono::seconds(5);
// Failed objects are each worth a line, up to this many of a kind.
constexpr int kShownPerKind = 10;

struct MessageState {
  bool framed = false;      // a message (begin/end lines); false for bare references
  bool unreadable = false;  // the body announced nothing we could parse
  bool interrupted = false; // cut short by the deadline or a stop request
  // An object failed as S3 kept failing (unreachable, 5xx, throttling)
  // after every retry: the message is not to blame for that.
  bool store_failed = false;
  bool started = false; // some object's transfer began (guarded by mutex)
  bool begun = false;   // begin line written (guarded by mutex)
  MessageRef ref;
  std::optional<TimePoint> sent_at; // when SQS got the message, if known
  std::atomic<int> remaining{0};
  std::mutex mutex;
  EndLine end;
};

struct Job {
  std::shared_ptr<MessageState> message;
  S3ObjectRef object;
};

// What is reported once at the end about objects left out as too old.
struct SkipSummary {
  std::mutex mutex;
  uint64_t count = 0;
  std::string first; // "s3://b/k (last modified …, cutoff …)"
};

} // namespace

Result<std::optional<TimePoint>> parse_skip_before(const std::string& text) {
  if (text == "none") return std::optional<TimePoint>();
  if (text == "today")
    return make_error("--skip-before no longer takes 'today': measured against the clock of "
                      "the run it dropped objects written just before midnight; use "
                      "--skip-older-than, which is measured against when each message was sent");
  auto date = parse_iso8601(text);
  if (!date.ok())
    return make_error("--skip-before takes none or an ISO 8601 date or time, not '" + text + "'");
  return std::optional<TimePoint>(*date);
}

Result<std::chrono::seconds> parse_duration(const std::string& text) {
  const Error bad = make_error("not a duration (whole seconds, or a number followed by s, m, h "
                               "or d, e.g. 90m or 2d): '" +
                               text + "'");
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
    ++digits;
  if (digits == 0 || digits > 9 || text.size() - digits > 1) return bad;
  long long value = std::stoll(text.substr(0, digits));
  long long unit = 1;
  if (digits < text.size()) {
    switch (text[digits]) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return bad;
    }
  }
  // Ten years is older than any export worth an age rule.
  if (value * unit > 10LL * 366 * 86400)
    return make_error("duration out of range (at most ten years): '" + text + "'");
  return std::chrono::seconds(value * unit);
}

Result<S3ObjectRef> parse_s3_reference(const std::string& text) {
  const std::string scheme = "s3://";
  if (text.compare(0, scheme.size(), scheme) != 0)
    return make_error("not an s3:// reference: '" + text.substr(0, 80) + "'");
  size_t slash = text.find('/', scheme.size());
  if (slash == std::string::npos || slash == scheme.size() || slash + 1 == text.size())
    return make_error("s3 reference needs a bucket and a key: '" + text.substr(0, 80) + "'");
  S3ObjectRef ref;
  ref.bucket = text.substr(scheme.size(), slash - scheme.size());
  ref.key = text.substr(slash + 1);
  return ref;
}

struct Fetcher::Impl {
  FetchConfig config;
  ObjectSourceFactory sources;
  const Clock& clock;
  LineWriter& out;
  Report report;
  std::function<bool()> stop_requested;
  FetchStats& stats;

  std::unique_ptr<WorkerPool<Job>> pool;
  std::atomic<bool> output_failed{false};
  SkipSummary skipped;
  // A bucket gone or a key denied can fail every object of a run: the first
  // of each kind are reported, the rest counted.
  RepeatedReport repeated;

  Impl(FetchConfig c, ObjectSourceFactory s, const Clock& cl, LineWriter& o, Report r,
       std::function<bool()> stop, FetchStats& st)
      : config(std::move(c)), sources(std::move(s)), clock(cl), out(o), report(std::move(r)),
        stop_requested(std::move(stop)), stats(st), repeated(report, kShownPerKind) {}

  bool stopping() const { return stop_requested && stop_requested(); }
  bool past_deadline() const { return config.deadline && clock.now() >= *config.deadline; }
  // Why no more work starts, or empty while it may.
  std::string cut_short() const {
    if (stopping()) return "stopped";
    if (past_deadline()) return "the run's deadline had passed";
    return "";
  }

  void error(const std::string& message) {
    if (report) report(Severity::kError, message);
  }

  void write(std::string_view text, bool flush_now) {
    if (!out.write_lines(text, flush_now).ok()) output_failed = true;
  }

  void enqueue(Job job) { pool->push(std::move(job)); }

  // The queue holds at most --parallel jobs: the reader waits rather than
  // opening ever more messages.
  void start() {
    pool = std::make_unique<WorkerPool<Job>>(
        config.parallel, static_cast<size_t>(config.parallel), [this] {
          std::shared_ptr<ObjectSource> source = sources();
          return [this, source](Job& job) { fetch(*source, job); };
        });
  }

  void stop() {
    if (pool) pool->close_and_join();
  }

  // Objects last modified before this are left out: --skip-before for all,
  // and for announced objects also --skip-older-than before the message's
  // sent time, whichever is later.
  std::optional<TimePoint> cutoff(const MessageState& m) const {
    std::optional<TimePoint> cut = config.skip.before;
    if (m.framed && config.skip.older_than && m.sent_at) {
      TimePoint by_age = *m.sent_at - *config.skip.older_than;
      if (!cut || by_age > *cut) cut = by_age;
    }
    return cut;
  }

  // The begin line goes out when work on the message starts, not when it is
  // queued: spans then overlap only as far as --parallel makes them.
  void begin_message(MessageState& m) {
    if (!m.framed) return;
    std::lock_guard<std::mutex> lock(m.mutex);
    if (m.begun) return;
    m.begun = true;
    write(to_line(BeginLine{m.ref}) + "\n", false);
  }

  void note_skipped(const S3ObjectRef& object, std::optional<TimePoint> last_modified,
                    TimePoint cut) {
    std::lock_guard<std::mutex> lock(skipped.mutex);
    if (skipped.count++ > 0) return;
    skipped.first = "s3://" + object.bucket + "/" + object.key + " (last modified " +
                    (last_modified ? format_iso8601(*last_modified) : std::string("unknown")) +
                    ", cutoff " + format_iso8601(cut) + ")";
  }

  void fetch(ObjectSource& source, Job& job) {
    begin_message(*job.message);
    const S3ObjectRef& object = job.object;
    const std::string where = "s3://" + object.bucket + "/" + object.key;
    std::string buffer;
    std::string prefix;
    uint64_t records = 0;
    aws::S3ObjectInfo info;
    Status line_status;
    std::string record_error;

    LineSplitter splitter(
        [&](std::string_view line) {
          if (prefix.empty()) {
            std::string time = object.event_time;
            if (time.empty() && info.last_modified) time = format_iso8601(*info.last_modified);
            prefix = source_record_prefix(object.bucket, object.key, time, info.etag);
          }
          const size_t mark = buffer.size();
          size_t length = append_source_record(buffer, prefix, ++records, line);
          if (length > config.max_record_bytes) {
            // The next tool could not take it; failing the object here keeps
            // the message on the queue without stopping anyone's run.
            buffer.resize(mark);
            record_error = "line " + std::to_string(records) + " becomes a record of " +
                           std::to_string(length) + " bytes, more than the stream limit of " +
                           std::to_string(config.max_record_bytes) + " (c42-stream(7))";
            return false;
          }
          if (buffer.size() >= kFlushBytes) {
            write(buffer, false);
            buffer.clear();
          }
          return !output_failed;
        },
        config.max_line_bytes);
    Decompressor decompressor([&](const char* data, size_t size) {
      line_status = splitter.push(data, size);
      return line_status.ok();
    });
    Status decode_status;
    aws::S3GetOptions options;
    const std::optional<TimePoint> cut = cutoff(*job.message);
    options.modified_since = cut;
    options.on_start = [&](const aws::S3ObjectInfo& started) { info = started; };
    Result<aws::S3GetResult> result = make_error("not started");
    const bool starting = cut_short().empty();
    if (starting) {
      {
        std::lock_guard<std::mutex> lock(job.message->mutex);
        job.message->started = true;
      }
      result = source.get(object.bucket, object.key, options, [&](const char* data, size_t size) {
        decode_status = decompressor.feed(data, size);
        return decode_status.ok() && !output_failed && !stopping();
      });
    }
    std::string error;
    bool skipped_object = false;
    bool store_failed = false; // S3 kept failing after every retry
    const std::string stopped_by = cut_short();
    if (!record_error.empty()) {
      error = record_error;
    } else if (!stopped_by.empty()) {
      error = (starting ? "interrupted: " : "not started: ") + stopped_by;
    } else if (!line_status.ok()) {
      error = line_status.error().message;
    } else if (!decode_status.ok()) {
      error = decode_status.error().message;
    } else if (!result.ok()) {
      error = result.error().message;
      store_failed = result.error().kind == ErrorKind::kTransient;
    } else if (result->skipped) {
      skipped_object = true;
    } else {
      decode_status = decompressor.finish();
      if (decode_status.ok()) decode_status = line_status.ok() ? splitter.finish() : line_status;
      if (!record_error.empty()) {
        error = record_error;
      } else if (!decode_status.ok()) {
        error = decode_status.error().message;
      }
    }
    // A failed object's records stay out of the stream only as far as they
    // were not yet written; its message fails either way.
    if (!buffer.empty()) write(buffer, false);
    if (!error.empty() && error.find(where) == std::string::npos) error = where + ": " + error;
    stats.records += records;
    // An object abandoned on a stop request or at the deadline did not
    // fail: it is neither counted nor reported as failed, but its message
    // is not ok either. One named by a bare reference has no message to
    // say so: past the deadline it failed, and is reported.
    const bool interrupted =
        !error.empty() && !cut_short().empty() && (job.message->framed || stopping());
    if (interrupted) store_failed = false;
    if (skipped_object) {
      ++stats.objects_skipped;
      note_skipped(object, result->last_modified, *cut);
    } else if (error.empty()) {
      ++stats.objects_fetched;
    } else if (!interrupted) {
      ++stats.objects_failed;
      repeated(Severity::kError, "objects failed", error);
    }
    finish_object(job, skipped_object, interrupted, store_failed, error, records);
  }

  void finish_object(Job& job, bool skipped_object, bool interrupted, bool store_failed,
                     const std::string& error, uint64_t records) {
    MessageState& m = *job.message;
    {
      std::lock_guard<std::mutex> lock(m.mutex);
      m.end.records += records;
      if (skipped_object) {
        ++m.end.skipped;
      } else if (error.empty()) {
        ++m.end.fetched;
      } else {
        if (interrupted) {
          m.interrupted = true;
        } else {
          ++m.end.failed;
        }
        if (store_failed) m.store_failed = true;
        if (m.end.error.empty()) m.end.error = error;
      }
    }
    if (--m.remaining == 0) finish_message(m);
  }

  void finish_message(MessageState& m) {
    if (!m.framed) return;
    std::lock_guard<std::mutex> lock(m.mutex);
    m.end.ref = m.ref;
    m.end.ok = !m.unreadable && !m.interrupted && (m.end.failed == 0 || config.lenient);
    if (m.interrupted) {
      m.end.interrupted = m.started ? kInProgress : kUnstarted;
    } else if (m.store_failed && !m.end.ok) {
      m.end.interrupted = kInProgress;
    }
    if (!m.end.ok) ++stats.messages_failed;
    write(to_line(m.end) + "\n", true);
  }

  // A message line: begin, its objects (or nothing), end.
  void start_message(const MessageLine& message) {
    ++stats.messages;
    auto state = std::make_shared<MessageState>();
    state->framed = true;
    state->ref = message.ref;
    state->end.receive_count = message.receive_count;
    state->end.body = message.body;
    if (!message.sent_at.empty()) {
      auto sent = parse_iso8601(message.sent_at);
      if (sent.ok()) state->sent_at = *sent;
    }
    auto announcement = parse_s3_announcement(message.body);
    if (!announcement.ok()) {
      // Unreadable bodies stay on the queue (and reach a dead-letter queue
      // through the redrive policy) rather than being deleted unread.
      state->unreadable = true;
      state->end.error = announcement.error().message;
      repeated(Severity::kError, "unreadable message bodies",
               "message " + message.ref.message_id + ": " + announcement.error().message);
      finish_message_unqueued(*state);
      return;
    }
    if (announcement->objects.empty()) {
      finish_message_unqueued(*state);
      return;
    }
    // Read after the deadline or a stop request: nobody will work on it in
    // this run, so it goes back to its queue at once rather than wait out
    // its visibility timeout.
    if (const std::string cut = cut_short(); !cut.empty()) {
      state->interrupted = true;
      state->end.error = "not started: " + cut;
      finish_message_unqueued(*state);
      return;
    }
    state->remaining = static_cast<int>(announcement->objects.size());
    for (S3ObjectRef& object : announcement->objects)
      enqueue(Job{state, std::move(object)});
  }

  void finish_message_unqueued(MessageState& m) {
    m.remaining = 0;
    begin_message(m);
    finish_message(m);
  }

  // A line of s3:// references, as a replay list has them.
  Status start_reference_line(std::string_view line) {
    // A reference list written on Windows ends its lines in CRLF; the CR
    // ends the line, it is not part of the key.
    if (line.back() == '\r') line.remove_suffix(1);
    auto ref = parse_s3_reference(std::string(line));
    if (!ref.ok()) return ref.error();
    start_reference(*ref);
    return Status::success();
  }

  void start_reference(const S3ObjectRef& object) {
    auto state = std::make_shared<MessageState>();
    state->remaining = 1;
    enqueue(Job{state, object});
  }

  void report_skipped() {
    std::lock_guard<std::mutex> lock(skipped.mutex);
    if (skipped.count == 0 || !report) return;
    report(Severity::kWarning,
           "skipped " + std::to_string(skipped.count) + " object" +
               (skipped.count == 1 ? "" : "s") +
               " last modified before the cutoff of --skip-before/--skip-older-than; first: " +
               skipped.first);
  }
};

Fetcher::Fetcher(FetchConfig config, ObjectSourceFactory sources, const Clock& clock,
                 LineWriter& out, Report report, std::function<bool()> stop_requested)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(sources), clock, out,
                                   std::move(report), std::move(stop_requested), stats_)) {}

Fetcher::~Fetcher() {
  impl_->stop();
}

// After a stop request: the message lines already sent to us are ended
// "unstarted" at once, as long as they keep coming, so they go back to their
// queue now instead of when their visibility runs out.
void Fetcher::drain(LineReader& in) {
  Impl& impl = *impl_;
  const auto until = std::chrono::steady_clock::now() + kDrainTotal;
  StageInput input(in, impl.out, impl.report, [&] {
    if (std::chrono::steady_clock::now() >= until) return true;
    if (in.has_buffered_line()) return false;
    pollfd ready{in.fd(), POLLIN, 0};
    return ::poll(&ready, 1, kDrainWaitMs) == 0;
  });
  StageInput::Handlers handlers;
  // References name no message to release; records of an earlier tool
  // still pass on.
  handlers.record = [&](std::string_view line) {
    if (line.rfind("s3://", 0) == 0) return Status::success();
    return input.pass_on(line, false);
  };
  handlers.control["message"] = [&](Json::Value& value, std::string_view) -> Status {
    auto message = message_from_json(value);
    if (message.ok()) impl.start_message(*message);
    return Status::success();
  };
  handlers.overlong = [](const std::string&) {};
  (void)input.run(handlers);
}

Outcome Fetcher::run(LineReader* in, const std::vector<std::string>& references) {
  Impl& impl = *impl_;
  impl.start();
  Outcome outcome = Outcome::kOk;
  bool skipped_lines = false;
  for (const std::string& text : references) {
    auto ref = parse_s3_reference(text);
    if (!ref.ok()) {
      impl.error(ref.error().message);
      outcome = Outcome::kBadInput;
      break;
    }
    impl.start_reference(*ref);
  }
  if (outcome == Outcome::kOk && in != nullptr) {
    StageInput input(*in, impl.out, impl.report, impl.stop_requested);
    StageInput::Handlers handlers;
    handlers.record = [&](std::string_view line) {
      if (line.rfind("s3://", 0) == 0) return impl.start_reference_line(line);
      // Records of an earlier tool pass through, in order.
      return input.pass_on(line, false);
    };
    handlers.control["message"] = [&](Json::Value& value, std::string_view) -> Status {
      auto message = message_from_json(value);
      if (!message.ok()) return message.error();
      impl.start_message(*message);
      return Status::success();
    };
    // No message line is this long (SQS bodies are at most 1 MiB), so no
    // message is lost by passing over it.
    handlers.overlong = [&](const std::string& what) {
      impl.error(what + "; skipped");
      skipped_lines = true;
    };
    outcome = input.run(handlers);
    if (outcome == Outcome::kInterrupted && impl.stopping()) drain(*in);
  }
  impl.stop();
  impl.report_skipped();
  impl.repeated.summarise();
  if (!impl.out.flush().ok() || impl.output_failed) return Outcome::kOutputFailed;
  if (impl.stopping()) return Outcome::kInterrupted;
  if (outcome != Outcome::kOk) return outcome;
  bool failures = stats_.objects_failed > 0 || stats_.messages_failed > 0 || skipped_lines;
  return failures ? Outcome::kPartial : Outcome::kOk;
}

S3ObjectSource::S3ObjectSource(std::unique_ptr<HttpClient> http, aws::ServiceContext context,
                               aws::S3Addressing addressing)
    : http_(std::move(http)) {
  context.http = http_.get();
  client_ = std::make_unique<aws::S3Client>(std::move(context), std::move(addressing));
}

Result<aws::S3GetResult>
S3ObjectSource::get(const std::string& bucket, const std::string& key,
                    const aws::S3GetOptions& options,
                    const std::function<bool(const char*, size_t)>& on_data) {
  return client_->get_object(bucket, key, options, on_data);
}

} // namespace c42
