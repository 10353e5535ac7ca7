#include "common/stages/stage_input.h"

#include "common/json_text.h"
#include "common/stream.h"

namespace c42 {

StageInput::StageInput(LineReader& in, LineWriter& out, Report report, std::function<bool()> stop)
    : in_(in), out_(out), report_(std::move(report)), stop_(std::move(stop)) {
  in_.set_interrupted(stop_);
}

std::string StageInput::where() const {
  return "input line " + std::to_string(in_.line_number());
}

Status StageInput::pass_on(std::string_view text, bool control) {
  Status written = out_.write_line(text, control);
  // The writer's own error already says what failed.
  return written.ok() ? written : Status::success();
}

Outcome StageInput::run(const Handlers& handlers) {
  auto pass = [&](std::string_view text, bool control) {
    return handlers.pass_on ? handlers.pass_on(text, control) : pass_on(text, control);
  };
  auto bad_input = [&](const std::string& message) {
    if (report_) report_(Severity::kError, message);
    return Outcome::kBadInput;
  };
  std::string_view line;
  for (;;) {
    if (out_.failed()) return Outcome::kOutputFailed;
    if (stop_ && stop_()) return Outcome::kInterrupted;
    if (handlers.before_read) handlers.before_read();
    auto got = in_.read(&line);
    if (!got.ok()) {
      if (stop_ && stop_()) return Outcome::kInterrupted;
      return bad_input("cannot read input: " + got.error().message);
    }
    if (*got == LineRead::kEnd) break;
    if (*got == LineRead::kOverlong) {
      const std::string what = where() + " is longer than the stream's limit of " +
                               std::to_string(in_.max_line_bytes()) + " bytes";
      if (handlers.overlong) {
        handlers.overlong(what);
      } else if (report_) {
        report_(Severity::kError, what + "; passed over");
      }
      continue;
    }
    Status handled;
    if (is_control_line(line)) {
      auto value = parse_json_object(line);
      if (!value.ok()) return bad_input(where() + ": " + value.error().message);
      auto owned = handlers.control.find(control_kind(*value));
      handled = owned != handlers.control.end() ? owned->second(*value, line) : pass(line, true);
    } else {
      handled = handlers.record ? handlers.record(line) : pass(line, false);
    }
    if (!handled.ok()) return bad_input(where() + ": " + handled.error().message);
  }
  return out_.failed() ? Outcome::kOutputFailed : Outcome::kOk;
}

} // namespace c42
