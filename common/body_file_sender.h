// A ChunkSender that posts nothing: it writes each chunk's request body,
// the JSON array a sender would post, as one line to a file (la-post
// --output, the dry run of c42-ship). The bodies are JSON arrays of
// single-line records, so a line feed after each frames them unambiguously.
#pragma once

#include "common/chunk_sender.h"
#include "common/line_io.h"

#include <string>

namespace c42 {

class BodyFileSender final : public ChunkSender {
public:
  // `out` is shared by every worker's sender (LineWriter::write_line is
  // atomic); `name` names the file in errors.
  BodyFileSender(LineWriter& out, std::string name) : out_(out), name_(std::move(name)) {}
  // ok once the body is written; a write that fails is fatal, since every
  // later chunk would fail alike.
  SendResult send(const RecordBatch& batch) override;

private:
  LineWriter& out_;
  std::string name_;
};

} // namespace c42
