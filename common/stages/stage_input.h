// The one input loop of every stage core. It reads c42-stream(7) lines,
// hands the stage its records and the control lines it owns, passes every
// other control line on unchanged and in order, passes over lines longer
// than the stream's limit (the stage fails its open spans), and names the
// input line the same way in every tool: "input line N".
#pragma once

#include "common/diagnostics.h"
#include "common/exit_codes.h"
#include "common/json_value.h"
#include "common/line_io.h"
#include "common/result.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace c42 {

class StageInput {
public:
  struct Handlers {
    // Lines that are not control lines. Unset: they pass on.
    std::function<Status(std::string_view text)> record;
    // The control-line kinds the stage owns, each with its handler; the line
    // arrives parsed. Other kinds pass on unparsed.
    std::map<std::string, std::function<Status(Json::Value& line, std::string_view text)>> control;
    // How a line passes on. Unset: written to the output as it is; control
    // lines are flushed at once, since a later stage may wait for them.
    std::function<Status(std::string_view text, bool control)> pass_on;
    // A line longer than the stream's limit was passed over; `what` says so
    // ("input line N is longer than …"). Unset: reported as an error.
    std::function<void(const std::string& what)> overlong;
    // Called before each line is read (sqs-ack sends a waiting batch when
    // no further line is at hand).
    std::function<void()> before_read;
  };

  // stop (may be empty) is asked before each line; true ends the loop.
  StageInput(LineReader& in, LineWriter& out, Report report, std::function<bool()> stop = {});

  // Reads to the end of input. A handler's error stops reading: it is
  // reported as "input line N: …" and the outcome is kBadInput, as is a
  // control line that is not a JSON object or input that cannot be read.
  // A failed write to the output stops it with kOutputFailed, a stop
  // request with kInterrupted.
  Outcome run(const Handlers& handlers);

  // "input line N", the line being handled.
  std::string where() const;
  uint64_t line_number() const { return in_.line_number(); }

  // Writes a line on unchanged; control lines are flushed at once.
  Status pass_on(std::string_view text, bool control);

private:
  LineReader& in_;
  LineWriter& out_;
  Report report_;
  std::function<bool()> stop_;
};

} // namespace c42
