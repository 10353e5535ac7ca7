#include "common/stages/quarantine.h"

#include "common/json_text.h"
#include "common/stages/fetcher.h"
#include "common/time_format.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace c42 {

std::string to_quarantine_line(const QuarantineEntry& entry) {
  Json::Value v(Json::objectValue);
  v["quarantined_at"] = format_iso8601(entry.quarantined_at, true);
  v["queue_url"] = entry.ref.queue_url;
  v["message_id"] = entry.ref.message_id;
  v["receive_count"] = entry.receive_count;
  v["reason"] = entry.reason;
  v["body"] = entry.body;
  return to_json_line(v);
}

Result<std::unique_ptr<FileQuarantine>> FileQuarantine::open(const std::string& path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return make_error("cannot open quarantine file " + path + ": " + std::strerror(errno),
                      ErrorKind::kConfig);
  return std::unique_ptr<FileQuarantine>(new FileQuarantine(path, fd));
}

FileQuarantine::~FileQuarantine() {
  ::close(fd_);
}

Status FileQuarantine::put(const QuarantineEntry& entry) {
  const std::string line = to_quarantine_line(entry) + "\n";
  // O_APPEND puts each write at the end; a line written in parts could
  // interleave with another writer's, so one that did not go out whole is
  // reported, and the message kept.
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return make_error("cannot write quarantine file " + path_ + ": " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  while (::fsync(fd_) != 0) {
    if (errno != EINTR)
      return make_error("cannot sync quarantine file " + path_ + ": " + std::strerror(errno));
  }
  return Status::success();
}

Result<S3Prefix> parse_s3_prefix(const std::string& text) {
  auto ref = parse_s3_reference(text);
  if (!ref.ok()) return make_error("not an s3://bucket/prefix: '" + text.substr(0, 80) + "'");
  S3Prefix where{ref->bucket, ref->key};
  if (where.prefix.back() != '/') where.prefix += '/';
  return where;
}

S3Quarantine::S3Quarantine(std::unique_ptr<HttpClient> http, aws::ServiceContext context,
                           aws::S3Addressing addressing, S3Prefix where)
    : http_(std::move(http)), where_(std::move(where)) {
  context.http = http_.get();
  client_ = std::make_unique<aws::S3Client>(std::move(context), std::move(addressing));
}

std::string S3Quarantine::key_for(const S3Prefix& where, const std::string& message_id) {
  return where.prefix + message_id + ".json";
}

Status S3Quarantine::put(const QuarantineEntry& entry) {
  return client_->put_object(where_.bucket, key_for(where_, entry.ref.message_id),
                             to_quarantine_line(entry) + "\n", "application/json");
}

Status QuarantineSet::put(const QuarantineEntry& entry) {
  for (const auto& destination : destinations_) {
    Status stored = destination->put(entry);
    if (!stored.ok()) return stored;
  }
  return Status::success();
}

} // namespace c42
