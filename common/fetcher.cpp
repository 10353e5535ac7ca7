#include "common/fetcher.h"

#include "common/decompressor.h"
#include "common/json_text.h"
#include "common/json_value.h"
#include "common/line_splitter.h"
#include "common/source_record.h"
#include "common/stream.h"
#include "common/time_format.h"
#include "common/worker_pool.h"

#include <mutex>

namespace c42 {

namespace {

constexpr size_t kFlushBytes = 64u << 10;

struct MessageState {
  bool framed = false;     // a message (begin/end lines); false for bare references
  bool unreadable = false; // the body announced nothing we could parse
  bool begun = false;      // begin line written (guarded by mutex)
  MessageRef ref;
  std::atomic<int> remaining{0};
  std::mutex mutex;
  EndLine end;
};

struct Job {
  std::shared_ptr<MessageState> message;
  S3ObjectRef object;
};

} // namespace

Result<SkipBefore> parse_skip_before(const std::string& text) {
  SkipBefore skip;
  if (text == "today") return skip;
  if (text == "none") {
    skip.mode = SkipBefore::Mode::kNone;
    return skip;
  }
  auto date = parse_iso8601(text);
  if (!date.ok())
    return make_error("--skip-before takes today, none or an ISO 8601 date, not '" + text + "'");
  skip.mode = SkipBefore::Mode::kDate;
  skip.date = *date;
  return skip;
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
  Warn warn;
  FetchStats& stats;

  std::unique_ptr<WorkerPool<Job>> pool;
  std::atomic<bool> output_failed{false};

  Impl(FetchConfig c, ObjectSourceFactory s, const Clock& cl, LineWriter& o, Warn w, FetchStats& st)
      : config(std::move(c)), sources(std::move(s)), clock(cl), out(o), warn(std::move(w)),
        stats(st) {}

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

  std::optional<TimePoint> cutoff() const {
    switch (config.skip_before.mode) {
    case SkipBefore::Mode::kToday:
      return start_of_utc_day(clock.now());
    case SkipBefore::Mode::kDate:
      return config.skip_before.date;
    case SkipBefore::Mode::kNone:
      break;
    }
    return std::nullopt;
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

  void fetch(ObjectSource& source, Job& job) {
    begin_message(*job.message);
    const S3ObjectRef& object = job.object;
    std::string buffer;
    std::string prefix;
    uint64_t records = 0;
    std::optional<TimePoint> last_modified;
    Status line_status;

    LineSplitter splitter(
        [&](std::string_view line) {
          if (prefix.empty()) {
            std::string time = object.event_time;
            if (time.empty() && last_modified) time = format_iso8601(*last_modified);
            prefix = source_record_prefix(object.bucket, object.key, time);
          }
          append_source_record(buffer, prefix, ++records, line);
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
    if (job.message->framed || config.skip_references) options.modified_since = cutoff();
    options.on_start = [&](std::optional<TimePoint> t) { last_modified = t; };
    auto result =
        source.get(object.bucket, object.key, options, [&](const char* data, size_t size) {
          decode_status = decompressor.feed(data, size);
          return decode_status.ok() && !output_failed;
        });
    std::string error;
    bool skipped = false;
    if (!line_status.ok()) {
      error = line_status.error().message;
    } else if (!decode_status.ok()) {
      error = decode_status.error().message;
    } else if (!result.ok()) {
      error = result.error().message;
    } else if (result->skipped) {
      skipped = true;
    } else {
      decode_status = decompressor.finish();
      if (decode_status.ok()) decode_status = line_status.ok() ? splitter.finish() : line_status;
      if (!decode_status.ok()) error = decode_status.error().message;
    }
    if (!buffer.empty()) write(buffer, false);
    const std::string where = "s3://" + object.bucket + "/" + object.key;
    if (!error.empty() && error.find(where) == std::string::npos) error = where + ": " + error;
    stats.records += records;
    if (skipped) {
      ++stats.objects_skipped;
    } else if (error.empty()) {
      ++stats.objects_fetched;
    } else {
      ++stats.objects_failed;
      if (warn) warn(error);
    }
    finish_object(job, skipped, error, records);
  }

  void finish_object(Job& job, bool skipped, const std::string& error, uint64_t records) {
    MessageState& m = *job.message;
    {
      std::lock_guard<std::mutex> lock(m.mutex);
      m.end.records += records;
      if (skipped) {
        ++m.end.skipped;
      } else if (error.empty()) {
        ++m.end.fetched;
      } else {
        ++m.end.failed;
        if (m.end.error.empty()) m.end.error = error;
      }
    }
    if (--m.remaining == 0) finish_message(m);
  }

  void finish_message(MessageState& m) {
    if (!m.framed) return;
    std::lock_guard<std::mutex> lock(m.mutex);
    m.end.ref = m.ref;
    m.end.ok = !m.unreadable && (m.end.failed == 0 || config.lenient);
    if (!m.end.ok) ++stats.messages_failed;
    write(to_line(m.end) + "\n", true);
  }

  // A message line: begin, its objects (or nothing), end.
  void start_message(const MessageLine& message) {
    ++stats.messages;
    auto state = std::make_shared<MessageState>();
    state->framed = true;
    state->ref = message.ref;
    auto announcement = parse_s3_announcement(message.body);
    if (!announcement.ok()) {
      // Unreadable bodies stay on the queue (and reach a dead-letter queue
      // through the redrive policy) rather than being deleted unread.
      state->unreadable = true;
      state->end.error = announcement.error().message;
      if (warn) warn("message " + message.ref.message_id + ": " + announcement.error().message);
      finish_message_unqueued(*state);
      return;
    }
    if (announcement->objects.empty()) {
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

  // One input line: an s3:// reference, a message, or a line to pass on.
  Status handle_line(std::string_view line) {
    if (line.rfind("s3://", 0) == 0) {
      auto ref = parse_s3_reference(std::string(line));
      if (!ref.ok()) return ref.error();
      start_reference(*ref);
      return Status::success();
    }
    if (is_control_line(line)) {
      auto value = parse_json_object(line);
      if (!value.ok()) return value.error();
      if (control_kind(*value) == "message") {
        auto message = message_from_json(*value);
        if (!message.ok()) return message.error();
        start_message(*message);
        return Status::success();
      }
    }
    // Lines this tool does not own pass through, in order.
    write(std::string(line) + "\n", false);
    return Status::success();
  }

  void start_reference(const S3ObjectRef& object) {
    auto state = std::make_shared<MessageState>();
    state->remaining = 1;
    enqueue(Job{state, object});
  }
};

Fetcher::Fetcher(FetchConfig config, ObjectSourceFactory sources, const Clock& clock,
                 LineWriter& out, Warn warn)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(sources), clock, out,
                                   std::move(warn), stats_)) {}

Fetcher::~Fetcher() {
  impl_->stop();
}

FetchOutcome Fetcher::run(LineReader* in, const std::vector<std::string>& references) {
  Impl& impl = *impl_;
  impl.start();
  bool bad_input = false;
  for (const std::string& text : references) {
    auto ref = parse_s3_reference(text);
    if (!ref.ok()) {
      if (impl.warn) impl.warn(ref.error().message);
      bad_input = true;
      break;
    }
    impl.start_reference(*ref);
  }
  std::string_view line;
  while (!bad_input && in != nullptr && !impl.output_failed) {
    auto more = in->next(&line);
    if (!more.ok()) {
      if (impl.warn) impl.warn(more.error().message);
      bad_input = true;
      break;
    }
    if (!*more) break;
    Status handled = impl.handle_line(line);
    if (!handled.ok()) {
      if (impl.warn)
        impl.warn("line " + std::to_string(in->line_number()) + ": " + handled.error().message);
      bad_input = true;
    }
  }
  impl.stop();
  if (!impl.out.flush().ok()) impl.output_failed = true;
  if (impl.output_failed) return FetchOutcome::kOutputFailed;
  if (bad_input) return FetchOutcome::kBadInput;
  bool failures = stats_.objects_failed > 0 || stats_.messages_failed > 0;
  return failures ? FetchOutcome::kPartial : FetchOutcome::kOk;
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
