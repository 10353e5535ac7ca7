#include "common/stages/listing_checkpoint.h"

#include "common/json_text.h"
#include "common/json_value.h"
#include "common/stages/lister.h"
#include "common/stages/stage_input.h"
#include "common/stream.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

namespace c42 {

namespace {

Error config_error(const std::string& message) {
  return make_error(message, ErrorKind::kConfig);
}

std::string system_error(const std::string& what, const std::string& path) {
  return "cannot " + what + " checkpoint " + path + ": " + std::strerror(errno);
}

Status write_all(int fd, const std::string& text, const std::string& path) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return config_error(system_error("write", path));
    done += static_cast<size_t>(n);
  }
  return Status::success();
}

Status sync(int fd, const std::string& what, const std::string& path) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return config_error(system_error(what, path));
  }
  return Status::success();
}

std::string directory_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

Result<std::optional<ListCheckpoint>> load_list_checkpoint(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<ListCheckpoint>();
    return config_error(system_error("open", path));
  }
  std::string text;
  char buffer[65536];
  ssize_t n;
  // A checkpoint is one short line; anything much larger is not one.
  while ((n = ::read(fd, buffer, sizeof buffer)) != 0 && text.size() < (1u << 20)) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return config_error(system_error("read", path));
    }
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  auto value = parse_json_object(text);
  if (!value.ok() || !has_string_member(*value, "listing") || !has_string_member(*value, "after"))
    return config_error("checkpoint " + path +
                        " is not an s3-list checkpoint (a JSON object with the strings "
                        "\"listing\" and \"after\")");
  return std::optional<ListCheckpoint>(
      ListCheckpoint{string_member(*value, "listing"), string_member(*value, "after")});
}

Status save_list_checkpoint(const std::string& path, const ListCheckpoint& checkpoint) {
  std::string text = "{\"listing\":";
  append_json_string(text, checkpoint.listing);
  text += ",\"after\":";
  append_json_string(text, checkpoint.after);
  text += "}\n";
  std::string temporary = path + ".XXXXXX";
  std::vector<char> name(temporary.begin(), temporary.end());
  name.push_back('\0');
  int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) return config_error(system_error("create a temporary file for", path));
  temporary = name.data();
  Status written = write_all(fd, text, path);
  if (written.ok()) written = sync(fd, "sync", path);
  ::close(fd);
  if (written.ok() && ::rename(temporary.c_str(), path.c_str()) != 0)
    written = config_error(system_error("rename a temporary file to", path));
  if (!written.ok()) {
    ::unlink(temporary.c_str());
    return written;
  }
  // The rename itself is durable only once the directory is.
  int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return config_error(system_error("open the directory of", path));
  Status synced = sync(dir, "sync the directory of", path);
  ::close(dir);
  return synced;
}

Committer::Committer(CommitConfig config, const Clock& clock, LineReader& in, LineWriter& out,
                     Report report, std::function<bool()> stop_requested)
    : config_(std::move(config)), clock_(clock), in_(in), out_(out), report_(std::move(report)),
      stop_requested_(std::move(stop_requested)) {}

Status Committer::save(bool force) {
  if (!dirty_ || !checkpoint_) return Status::success();
  TimePoint now = clock_.now();
  if (!force && now - last_save_ < config_.save_interval) return Status::success();
  Status saved = save_list_checkpoint(config_.checkpoint, *checkpoint_);
  if (!saved.ok()) {
    config_failed_ = true;
    return saved;
  }
  dirty_ = false;
  last_save_ = now;
  return Status::success();
}

Status Committer::end_line(const std::string& listing, uint64_t sequence,
                           const std::string& reference, bool delivered,
                           const std::string& reason) {
  if (!checkpoint_) {
    // Loaded here, not at the start: s3-list writes the file before its
    // first message line, and this stage may have started before that.
    auto loaded = load_list_checkpoint(config_.checkpoint);
    if (!loaded.ok()) {
      config_failed_ = true;
      return loaded.error();
    }
    checkpoint_ = loaded->value_or(ListCheckpoint{listing, ""});
    last_save_ = clock_.now();
  }
  if (checkpoint_->listing != listing) {
    config_failed_ = true;
    return config_error("checkpoint " + config_.checkpoint + " belongs to " +
                        one_line(checkpoint_->listing) + ", not to " + one_line(listing));
  }
  auto listed = parse_s3_listing(listing);
  const std::string bucket_part = listed.ok() ? "s3://" + listed->bucket + "/" : "";
  if (!listed.ok() || reference.compare(0, bucket_part.size(), bucket_part) != 0)
    return make_error("end line of s3-list message " + std::to_string(sequence) +
                      " names no object of " + one_line(listing));
  if (!delivered) {
    ++stats_.not_delivered;
    // s3-fetch's errors name the object already.
    if (stats_.first_failure.empty())
      stats_.first_failure = one_line(
          reason.find(reference) == std::string::npos ? reference + ": " + reason : reason);
    if (!stuck_at_ || sequence < *stuck_at_) stuck_at_ = sequence;
    // Nothing at or after the failure can be committed in this run.
    waiting_.erase(waiting_.lower_bound(*stuck_at_), waiting_.end());
    return Status::success();
  }
  ++stats_.delivered;
  if (sequence < next_ || (stuck_at_ && sequence > *stuck_at_)) return Status::success();
  waiting_[sequence] = reference.substr(bucket_part.size());
  bool advanced = false;
  for (auto it = waiting_.begin(); it != waiting_.end() && it->first == next_;
       it = waiting_.erase(it)) {
    checkpoint_->after = it->second;
    ++next_;
    ++stats_.committed;
    advanced = true;
  }
  if (waiting_.size() > config_.max_waiting) {
    // A gap that does not close: stop holding keys for it.
    if (!stuck_at_) {
      stuck_at_ = next_;
      if (stats_.first_failure.empty())
        stats_.first_failure =
            "object " + std::to_string(next_) + " of the listing never came back";
    }
    waiting_.clear();
  }
  if (advanced) {
    dirty_ = true;
    return save(false);
  }
  return Status::success();
}

Outcome Committer::run() {
  StageInput input(in_, out_, report_, stop_requested_);
  StageInput::Handlers handlers;
  auto own = [](const Json::Value& line) {
    return list_sequence(string_member(line, "receipt_handle")).has_value();
  };
  handlers.control["begin"] = [&](Json::Value& line, std::string_view text) -> Status {
    if (own(line)) return Status::success();
    return input.pass_on(text, true);
  };
  handlers.control["end"] = [&](Json::Value& line, std::string_view text) -> Status {
    if (!own(line)) return input.pass_on(text, true);
    auto end = end_from_json(line);
    if (!end.ok()) return end.error();
    // Delivered as sqs-ack would delete: ok, and a sink said so.
    bool delivered = end->ok && end->delivered >= 0;
    std::string reason =
        !end->ok ? (end->error.empty() ? "not ok" : end->error) : "no sink such as la-post saw it";
    return end_line(end->ref.queue_url, *list_sequence(end->ref.receipt_handle),
                    end->ref.message_id, delivered, reason);
  };
  Outcome outcome = input.run(handlers);
  Status saved = save(true);
  if (!saved.ok() && report_) report_(Severity::kError, saved.error().message);
  if (config_failed_) return Outcome::kConfig;
  if (outcome != Outcome::kOk) return outcome;
  if (!out_.flush().ok()) return Outcome::kOutputFailed;
  if (stats_.not_delivered > 0 || !waiting_.empty() || stuck_at_) {
    if (report_)
      report_(Severity::kWarning,
              "checkpoint held at '" + one_line(checkpoint_ ? checkpoint_->after : "") +
                  "': " + std::to_string(stats_.not_delivered) + " object" +
                  (stats_.not_delivered == 1 ? "" : "s") + " not delivered" +
                  (stats_.first_failure.empty() ? "" : "; first: " + stats_.first_failure));
    return Outcome::kPartial;
  }
  return Outcome::kOk;
}

} // namespace c42
