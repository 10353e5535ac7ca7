#include "common/stages/heartbeat.h"

#include "common/json_text.h"
#include "common/line_io.h"
#include "common/time_format.h"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <vector>

namespace c42 {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// An extension asks for the receive's timeout again, so a message is never
// hidden for longer after a crash than it was at its receive. It is sent
// once half of the time left is used, which leaves the other half for the
// call and its retries.
milliseconds half(seconds visibility) {
  return std::chrono::duration_cast<milliseconds>(visibility) / 2;
}

// After a failed call: soon, but not in a tight loop, and well before the
// message shows again when that is still ahead.
TimePoint retry_time(TimePoint now, TimePoint hidden_to) {
  milliseconds left = std::chrono::duration_cast<milliseconds>(hidden_to - now);
  milliseconds wait = std::clamp(left / 3, milliseconds(200), milliseconds(5000));
  return now + wait;
}

// The longest lease line there is: a receipt handle is at most 1024 bytes.
constexpr size_t kMaxLeaseLineBytes = 64u << 10;

} // namespace

Heartbeat::Heartbeat(MessageDeleter& sqs, const Clock& clock, Report report)
    : sqs_(sqs), clock_(clock), report_(std::move(report)) {}

void Heartbeat::add(const LeaseLine& lease) {
  const TimePoint now = clock_.now();
  TimePoint received = now;
  if (!lease.received_at.empty()) {
    auto parsed = parse_iso8601(lease.received_at);
    // A receive time in the future is a clock mix-up; now is the safe side.
    if (parsed.ok() && *parsed < now) received = *parsed;
  }
  Lease entry;
  entry.ref = lease.ref;
  entry.visibility = seconds(lease.visibility_timeout);
  entry.received = received;
  entry.hidden_to = received + entry.visibility;
  entry.due = received + half(entry.visibility);
  const std::string key = span_key(lease.ref);
  std::lock_guard<std::mutex> lock(mutex_);
  if (resolved_early_.erase(key) > 0) return;
  if (leases_.emplace(key, std::move(entry)).second) ++stats_.leases;
}

void Heartbeat::resolve(const MessageRef& ref) {
  const std::string key = span_key(ref);
  std::lock_guard<std::mutex> lock(mutex_);
  if (leases_.erase(key) == 0) resolved_early_.insert(key);
}

size_t Heartbeat::held() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return leases_.size();
}

HeartbeatStats Heartbeat::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

// Under mutex_.
void Heartbeat::failed(Lease& lease, TimePoint now, const std::string& reason) {
  ++stats_.failures;
  lease.due = retry_time(now, lease.hidden_to);
  if (lease.warned || !report_) return;
  lease.warned = true;
  report_(Severity::kWarning, "cannot extend the visibility of message " + lease.ref.message_id +
                                  ": " + one_line(reason) +
                                  "; trying again until it shows on its queue at " +
                                  format_iso8601(lease.hidden_to, true));
}

std::optional<TimePoint> Heartbeat::tick() {
  const TimePoint now = clock_.now();
  struct Due {
    std::string key;
    aws::SqsBatchEntry entry;
  };
  std::map<std::string, std::vector<Due>> due; // by queue
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = leases_.begin(); it != leases_.end();) {
      Lease& lease = it->second;
      if (lease.due > now) {
        ++it;
        continue;
      }
      // SQS refuses an extension past 12 hours after the receive; ask for
      // what is left, whole seconds, and give up on the message when that
      // is nothing.
      auto left = std::chrono::duration_cast<seconds>(lease.received + kSqsMaxHidden - now);
      seconds extension = std::min(lease.visibility, left - seconds(1));
      if (extension < seconds(1)) {
        if (report_)
          report_(Severity::kWarning,
                  "message " + lease.ref.message_id +
                      " cannot be hidden any longer: SQS keeps a message hidden at most 12 "
                      "hours after it was received; it shows on its queue again at " +
                      format_iso8601(lease.hidden_to, true) + " while it is still in work");
        ++stats_.failures;
        it = leases_.erase(it);
        continue;
      }
      due[lease.ref.queue_url].push_back(
          Due{it->first, aws::SqsBatchEntry{"", lease.ref.receipt_handle,
                                            static_cast<int>(extension.count())}});
      ++it;
    }
  }

  // Not a structured binding: C++17 lets no lambda below capture one.
  for (auto& queue_and_list : due) {
    const std::string& queue = queue_and_list.first;
    auto& list = queue_and_list.second;
    for (size_t first = 0; first < list.size(); first += aws::kSqsMaxBatch) {
      const size_t count = std::min(list.size() - first, static_cast<size_t>(aws::kSqsMaxBatch));
      std::vector<aws::SqsBatchEntry> entries;
      for (size_t i = 0; i < count; ++i) {
        entries.push_back(list[first + i].entry);
        entries.back().id = std::to_string(i);
      }
      // The new timeout counts from when SQS takes the call, which is after
      // this: `sent` is on the safe side.
      const TimePoint sent = clock_.now();
      auto reply = sqs_.change_visibility_batch(queue, entries);
      const TimePoint after = clock_.now();
      std::lock_guard<std::mutex> lock(mutex_);
      std::vector<bool> done(count, false);
      auto lease_of = [&](size_t i) -> Lease* {
        auto it = leases_.find(list[first + i].key);
        return it == leases_.end() ? nullptr : &it->second; // resolved meanwhile
      };
      if (!reply.ok()) {
        for (size_t i = 0; i < count; ++i)
          if (Lease* lease = lease_of(i)) failed(*lease, after, reply.error().message);
        continue;
      }
      for (const std::string& id : reply->succeeded) {
        size_t i = aws::batch_entry_index(id);
        if (i >= count || done[i]) continue;
        done[i] = true;
        ++stats_.extensions;
        if (Lease* lease = lease_of(i)) {
          const seconds extension(entries[i].visibility_timeout);
          lease->hidden_to = sent + extension;
          lease->due = sent + half(extension);
          lease->warned = false;
        }
      }
      for (const aws::SqsBatchFailure& f : reply->failed) {
        size_t i = aws::batch_entry_index(f.id);
        if (i >= count || done[i]) continue;
        done[i] = true;
        Lease* lease = lease_of(i);
        if (lease == nullptr) continue;
        const std::string reason = f.code + (f.message.empty() ? "" : ": " + f.message);
        if (!f.sender_fault) {
          failed(*lease, after, reason);
          continue;
        }
        // The receipt handle is no longer good (the message was deleted, or
        // showed and was received again): no retry can cure that.
        ++stats_.failures;
        if (report_)
          report_(Severity::kWarning, "cannot extend the visibility of message " +
                                          lease->ref.message_id + ": " + one_line(reason) +
                                          "; no longer trying");
        leases_.erase(list[first + i].key);
      }
      for (size_t i = 0; i < count; ++i)
        if (!done[i])
          if (Lease* lease = lease_of(i))
            failed(*lease, after, "no result for this entry in the batch reply");
    }
  }

  std::lock_guard<std::mutex> lock(mutex_);
  std::optional<TimePoint> next;
  for (const auto& [key, lease] : leases_)
    if (!next || lease.due < *next) next = lease.due;
  return next;
}

HeartbeatThread::HeartbeatThread(Heartbeat& heartbeat, int lease_fd, Report report)
    : heartbeat_(heartbeat), lease_fd_(lease_fd), report_(std::move(report)) {
  if (::pipe2(wake_, O_CLOEXEC) != 0)
    throw std::system_error(errno, std::generic_category(), "cannot make the heartbeat's pipe");
  thread_ = std::thread([this] { run(); });
}

HeartbeatThread::~HeartbeatThread() {
  stop();
  for (int fd : wake_)
    if (fd >= 0) ::close(fd);
}

void HeartbeatThread::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  char byte = 0;
  while (::write(wake_[1], &byte, 1) < 0 && errno == EINTR) {
  }
  thread_.join();
}

void HeartbeatThread::run() {
  LineReader leases(lease_fd_, kMaxLeaseLineBytes);
  bool reading = lease_fd_ >= 0;
  std::optional<TimePoint> next;
  while (!stopping_) {
    // Lines already read come first; then wait for more, or for the next
    // extension, whichever is sooner (a second at most, so a clock that
    // jumps is noticed).
    int wait_ms = 1000;
    if (next) {
      auto left = std::chrono::duration_cast<milliseconds>(*next - SystemClock().now()).count();
      wait_ms = static_cast<int>(std::clamp<long long>(left, 0, 1000));
    }
    bool readable = false;
    if (reading && leases.has_buffered_line()) {
      readable = true;
    } else if (wait_ms > 0) {
      pollfd fds[2] = {{wake_[0], POLLIN, 0}, {reading ? lease_fd_ : -1, POLLIN, 0}};
      int n = ::poll(fds, 2, wait_ms);
      if (n < 0 && errno != EINTR) break;
      if (stopping_) break;
      readable = n > 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
    }
    if (readable) {
      std::string_view line;
      auto got = leases.read(&line);
      if (!got.ok()) {
        if (report_)
          report_(Severity::kError, "cannot read lease lines: " + got.error().message +
                                        "; visibility is no longer extended for new messages");
        reading = false;
      } else if (*got == LineRead::kEnd) {
        reading = false; // sqs-poll is done receiving; the leases held go on
      } else if (*got == LineRead::kLine) {
        auto value = parse_json_object(line);
        Result<LeaseLine> lease = value.ok() ? lease_from_json(*value) : value.error();
        if (lease.ok()) {
          heartbeat_.add(*lease);
        } else if (report_) {
          report_(Severity::kError, "lease line " + std::to_string(leases.line_number()) + ": " +
                                        lease.error().message + "; passed over");
        }
      }
      // More lines may be waiting: read them before extending.
      if (reading && leases.has_buffered_line()) continue;
    }
    next = heartbeat_.tick();
  }
}

} // namespace c42
