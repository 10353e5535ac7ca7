#include "common/stages/acker.h"

#include "common/json_text.h"
#include "common/stages/heartbeat.h"
#include "common/stages/quarantine.h"
#include "common/stages/stage_input.h"
#include "common/stream.h"

#include <cstdint>
#include <map>
#include <poll.h>
#include <set>
#include <vector>

namespace c42 {

namespace {

// How long to wait for more end lines before sending a partial batch: long
// enough to gather a burst, short enough that deletes are prompt.
constexpr int kBatchLingerMs = 100;

struct Pending {
  MessageRef ref;
  std::string reason;      // why a released message was not deleted
  std::string done_action; // the result once SQS did it
};

class Batcher {
public:
  Batcher(MessageDeleter& deleter, LineWriter& out,
          const std::function<void(const std::string&)>& warn, AckStats* stats)
      : deleter_(deleter), out_(out), warn_(warn), stats_(stats) {}

  void add_delete(const MessageRef& ref) { add(deletes_, Pending{ref, "", "deleted"}, false); }
  // Deleted once it is in the quarantine.
  void add_quarantined(const MessageRef& ref, const std::string& reason) {
    add(deletes_, Pending{ref, reason, "quarantined"}, false);
  }
  void add_release(const MessageRef& ref, const std::string& reason) {
    add(releases_, Pending{ref, reason, "released"}, true);
  }

  void flush_all() {
    for (auto& [queue, list] : deletes_)
      send(queue, list, false);
    for (auto& [queue, list] : releases_)
      send(queue, list, true);
    deletes_.clear();
    releases_.clear();
  }
  bool empty() const { return deletes_.empty() && releases_.empty(); }

  void result(const MessageRef& ref, const std::string& action, const std::string& reason) {
    ResultLine line{ref, action, reason};
    if (!out_.write_line(to_line(line), true).ok()) output_failed = true;
  }

  bool output_failed = false;
  bool service_error = false;

private:
  using Queues = std::map<std::string, std::vector<Pending>>;

  void add(Queues& queues, Pending pending, bool release) {
    const std::string queue = pending.ref.queue_url;
    auto& list = queues[queue];
    list.push_back(std::move(pending));
    if (list.size() == static_cast<size_t>(aws::kSqsMaxBatch)) {
      send(queue, list, release);
      queues.erase(queue);
    }
  }

  void send(const std::string& queue, const std::vector<Pending>& refs, bool release) {
    if (refs.empty()) return;
    std::vector<aws::SqsBatchEntry> entries;
    for (size_t i = 0; i < refs.size(); ++i)
      entries.push_back(aws::SqsBatchEntry{std::to_string(i), refs[i].ref.receipt_handle, 0});
    auto reply = release ? deleter_.change_visibility_batch(queue, entries)
                         : deleter_.delete_batch(queue, entries);
    const std::string failed = release ? "release-failed" : "delete-failed";
    if (!reply.ok()) {
      service_error = true;
      if (warn_) warn_(reply.error().message);
      for (const Pending& p : refs) {
        ++stats_->failed;
        result(p.ref, failed, reply.error().message);
      }
      return;
    }
    std::vector<bool> reported(refs.size(), false);
    for (const std::string& id : reply->succeeded) {
      size_t i = aws::batch_entry_index(id);
      if (i >= refs.size() || reported[i]) continue;
      reported[i] = true;
      const std::string& done = refs[i].done_action;
      ++(done == "released"      ? stats_->released
         : done == "quarantined" ? stats_->quarantined
                                 : stats_->deleted);
      result(refs[i].ref, done, refs[i].reason);
    }
    for (const aws::SqsBatchFailure& f : reply->failed) {
      size_t i = aws::batch_entry_index(f.id);
      if (i >= refs.size() || reported[i]) continue;
      reported[i] = true;
      ++stats_->failed;
      std::string reason = f.code + (f.message.empty() ? "" : ": " + f.message);
      if (warn_) warn_("message " + refs[i].ref.message_id + ": " + failed + ": " + reason);
      result(refs[i].ref, failed, reason);
    }
    // An entry the reply forgot is not known to be deleted.
    for (size_t i = 0; i < refs.size(); ++i) {
      if (reported[i]) continue;
      ++stats_->failed;
      result(refs[i].ref, failed, "no result for this entry in the batch reply");
    }
  }

  MessageDeleter& deleter_;
  LineWriter& out_;
  const std::function<void(const std::string&)>& warn_;
  AckStats* stats_;
  Queues deletes_;
  Queues releases_;
};

bool input_idle(LineReader& in) {
  if (in.has_buffered_line()) return false;
  pollfd p{in.fd(), POLLIN, 0};
  return ::poll(&p, 1, kBatchLingerMs) == 0;
}

} // namespace

Outcome run_ack(const AckConfig& config, MessageDeleter& deleter, LineReader& in, LineWriter& out,
                const Report& report, AckStats* stats, const AckServices& services) {
  std::function<void(const std::string&)> warn;
  if (report) warn = [&report](const std::string& m) { report(Severity::kError, m); };
  Batcher batcher(deleter, out, warn, stats);
  StageInput input(in, out, report);
  std::map<std::string, MessageRef> open; // begun, not yet ended
  // Messages already decided: a repeated end line must not produce a second
  // result (or a second entry for one receipt handle in a batch, which SQS
  // answers by failing the whole batch).
  std::set<std::string> decided;
  struct Released {
    MessageRef ref;
    std::string reason;
  };
  std::vector<Released> dry_run; // released at the end of the input

  StageInput::Handlers handlers;
  handlers.before_read = [&] {
    if (!batcher.empty() && input_idle(in)) batcher.flush_all();
  };
  // Records are not ours to judge; an overlong line is a record (control
  // lines are short), and if it was an end line after all, its message is
  // reported kept as incomplete.
  handlers.record = [](std::string_view) { return Status::success(); };
  handlers.overlong = [](const std::string&) {};
  handlers.control["result"] = [](Json::Value&, std::string_view) { return Status::success(); };
  handlers.control["begin"] = [&](Json::Value& value, std::string_view) {
    auto begin = begin_from_json(value);
    if (begin.ok() && decided.count(span_key(begin->ref)) == 0)
      open[span_key(begin->ref)] = begin->ref;
    return Status::success();
  };
  handlers.control["end"] = [&](Json::Value& value, std::string_view) -> Status {
    auto end = end_from_json(value);
    if (!end.ok()) return end.error();
    const std::string key = span_key(end->ref);
    open.erase(key);
    // Whatever becomes of it, the message is no longer in work: should it
    // stay on the queue, it shows again when its visibility runs out.
    if (services.heartbeat) services.heartbeat->resolve(end->ref);
    if (!decided.insert(key).second) {
      if (report)
        report(Severity::kWarning, input.where() + ": repeated end line for message " +
                                       end->ref.message_id + " ignored");
      return Status::success();
    }
    if (end->ok && end->delivered >= 0) {
      batcher.add_delete(end->ref);
      return Status::success();
    }
    std::string reason = !end->ok ? (end->error.empty() ? "not ok" : end->error)
                                  : "no sink confirmed delivery (is la-post in the pipeline?)";
    // Nobody worked on it before the run's deadline: another run or
    // consumer may take it at once.
    if (end->interrupted == kUnstarted) {
      batcher.add_release(end->ref, reason);
      return Status::success();
    }
    // A dry run only looked at it. Released once the input ends, when the
    // receiving is over: released now, it would be received again by the
    // same run, and again, until its budget was spent.
    if (end->interrupted == kDryRun) {
      dry_run.push_back(Released{end->ref, reason});
      return Status::success();
    }
    // Failed for a reason of its own, often enough: a poison message that
    // would otherwise come back until the queue's retention drops it.
    if (!end->ok && end->interrupted.empty() && config.quarantine_after > 0 &&
        end->receive_count >= config.quarantine_after && services.quarantine) {
      if (end->body.empty()) {
        reason = "not quarantined: the end line lacks the message's body; " + reason;
      } else {
        QuarantineEntry entry{end->ref, end->receive_count, reason, end->body,
                              services.clock ? services.clock->now() : SystemClock().now()};
        Status stored = services.quarantine->put(entry);
        if (stored.ok()) {
          batcher.add_quarantined(end->ref, reason);
          return Status::success();
        }
        if (report)
          report(Severity::kError, "message " + end->ref.message_id +
                                       " kept: quarantine failed: " + stored.error().message);
        reason = "quarantine failed: " + stored.error().message + "; " + reason;
      }
    }
    if (config.release) {
      // Planned: the result line says so; nothing for stderr.
      batcher.add_release(end->ref, reason);
    } else {
      ++stats->kept;
      batcher.result(end->ref, "kept", reason);
    }
    return Status::success();
  };

  Outcome outcome = input.run(handlers);
  for (const Released& message : dry_run)
    batcher.add_release(message.ref, message.reason);
  batcher.flush_all();
  // Messages whose end never came: an upstream stage stopped mid-way.
  for (const auto& [key, ref] : open) {
    ++stats->kept;
    batcher.result(ref, "kept", "incomplete: no end line arrived");
  }
  if (!out.flush().ok() || batcher.output_failed) return Outcome::kOutputFailed;
  if (outcome != Outcome::kOk) return outcome;
  if (batcher.service_error) return Outcome::kService;
  const uint64_t not_deleted = stats->kept + stats->failed + stats->released + stats->quarantined;
  return not_deleted > 0 ? Outcome::kPartial : Outcome::kOk;
}

} // namespace c42
