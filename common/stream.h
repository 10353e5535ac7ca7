// The c42-stream(7) contract: the control lines tools exchange. Records are
// plain JSON objects and are handled by each tool's own code; this file owns
// the control lines (objects whose first key is "@c42").
#pragma once

#include "common/json_value.h"
#include "common/result.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace c42 {

inline constexpr const char* kControlKey = "@c42";

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

// s3-fetch output framing a message's records.
struct BeginLine {
  MessageRef ref;
};

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
};

// sqs-ack output: what happened to one message.
struct ResultLine {
  MessageRef ref;
  std::string action; // deleted, kept, released, delete-failed
  std::string reason; // why kept / why the delete failed
};

// The value of "@c42", or empty for a record / non-control line.
std::string control_kind(const Json::Value& line);

std::string to_line(const MessageLine& m);
std::string to_line(const BeginLine& b);
std::string to_line(const EndLine& e);
std::string to_line(const ResultLine& r);

Result<MessageLine> message_from_json(const Json::Value& v);
Result<BeginLine> begin_from_json(const Json::Value& v);
Result<EndLine> end_from_json(const Json::Value& v);
Result<ResultLine> result_from_json(const Json::Value& v);

} // namespace c42
