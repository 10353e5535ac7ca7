#include "common/body_file_sender.h"

namespace c42 {

SendResult BodyFileSender::send(const RecordBatch& batch) {
  SendResult result;
  result.attempts = 1;
  Status written = out_.write_line(batch.body);
  if (written.ok()) {
    result.ok = true;
    return result;
  }
  result.fatal = true;
  result.error = "cannot write the request bodies to " + name_ + ": " + written.error().message;
  return result;
}

} // namespace c42
