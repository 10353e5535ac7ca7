// The c42-stream(7) contract: the control lines tools exchange. Records are
// plain JSON objects and are handled by each tool's own code; this file owns
// the control lines (objects whose first key is "@c42").
#pragma once

#include "common/json_value.h"
#include "common/result.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace c42 {

inline constexpr const char* kControlKey = "@c42";

// The longest line any tool accepts on its input, in bytes. Every producer
// keeps its lines within it (s3-fetch measures each record as encoded), so
// a line one tool writes is never one the next tool refuses. A line over it
// is skipped and fails the message span it falls in, not the run.
inline constexpr size_t kMaxStreamLineBytes = 64u << 20;

// Identifies one received SQS message: enough to delete it or change its
// visibility. The receipt handle is what SQS needs; the id is for people.
struct MessageRef {
  std::string queue_url;
  std::string message_id;
  std::string receipt_handle;
};

// sqs-poll output: one per received message.
struct MessageLine {
  MessageRef ref;
  int receive_count = 0;
  std::string sent_at; // ISO 8601, may be empty
  std::string body;
};

// sqs-poll's side output for sqs-ack's heartbeat: one per received
// message, written before the message line itself, so that every message
// received is known to whoever extends its visibility from the moment it
// was received, wherever in the pipeline it waits.
struct LeaseLine {
  MessageRef ref;
  // When the receive call that brought the message started, ISO 8601 UTC
  // with milliseconds: the visibility timeout runs from a little later, so
  // counting from here is on the safe side. May be empty.
  std::string received_at;
  int visibility_timeout = 0; // seconds, as the receive asked for
};

// s3-fetch output framing a message's records.
struct BeginLine {
  MessageRef ref;
};

// Values of an end line's "interrupted": work on the message was cut short
// by the run's deadline or a stop request, which says nothing about the
// message itself.
inline constexpr const char* kUnstarted = "unstarted";    // no object of it had started
inline constexpr const char* kInProgress = "in-progress"; // abandoned part way
// A dry run (la-post --output) wrote the records instead of posting them:
// nothing was delivered, and the message may be received again at once.
inline constexpr const char* kDryRun = "dry-run";

struct EndLine {
  MessageRef ref;
  bool ok = false;
  uint64_t fetched = 0; // objects read to the end
  uint64_t skipped = 0; // objects left out by --skip-before
  uint64_t failed = 0;  // objects that could not be read
  uint64_t records = 0; // records s3-fetch emitted for this message
  std::string error;    // first failure, when !ok
  // Set by a sink (la-post) once it has resolved every record in the span:
  // how many records of the span it delivered (when messages interleave,
  // the span also holds other messages' records). Absent (-1) until a sink has seen the end line;
  // sqs-ack deletes only delivered-and-ok messages.
  int64_t delivered = -1;
  // Empty, kUnstarted, kInProgress or kDryRun.
  std::string interrupted;
  // Copied by s3-fetch from the message line, so that sqs-ack can
  // quarantine a message that keeps failing with what it said: how often
  // SQS has handed it out (0 when unknown) and its body (absent: empty).
  int receive_count = 0;
  std::string body;
};

// sqs-ack output: what happened to one message.
struct ResultLine {
  MessageRef ref;
  std::string action; // deleted, quarantined, kept, released, delete-failed
  std::string reason; // why kept / why the delete failed
};

// The messages whose begin line has passed and whose end line has not yet.
// A stage that cannot pass a record on fails every open span, since any of
// them may own the record; the span's end line then goes out with ok false,
// so its message stays on the queue while the rest of the run goes on.
class OpenSpans {
public:
  void begin(const MessageRef& ref);
  // Charges `reason` to every open span (a span keeps its first reason).
  // Returns how many spans were open.
  size_t fail_all(const std::string& reason);
  // Closes the span: the reason it failed, or empty when it did not (or was
  // not open).
  std::string end(const MessageRef& ref);

private:
  std::map<std::string, std::string> open_; // span key -> failure reason
};

// The key spans are matched by: a message received twice in one run has two
// receipt handles, and so two spans.
std::string span_key(const MessageRef& ref);

// The value of "@c42", or empty for a record / non-control line.
std::string control_kind(const Json::Value& line);

// A control line as one line of text with "@c42" first, whatever the other
// members are called (a member such as "0" or "!" would otherwise sort
// before it and make the line a record).
std::string to_control_line(const Json::Value& control);

std::string to_line(const MessageLine& m);
std::string to_line(const LeaseLine& l);
std::string to_line(const BeginLine& b);
std::string to_line(const EndLine& e);
std::string to_line(const ResultLine& r);

Result<MessageLine> message_from_json(const Json::Value& v);
Result<LeaseLine> lease_from_json(const Json::Value& v);
Result<BeginLine> begin_from_json(const Json::Value& v);
Result<EndLine> end_from_json(const Json::Value& v);
Result<ResultLine> result_from_json(const Json::Value& v);

} // namespace c42
