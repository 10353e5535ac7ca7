// The Data Collector API's ChunkSender: SharedKey-signed POSTs to
// /api/logs, as common/la/shared_key.h builds them.
#pragma once

#include "common/chunk_sender.h"
#include "common/clock.h"
#include "common/http.h"
#include "common/la/shared_key.h"
#include "common/retry.h"

#include <memory>
#include <string>

namespace c42::la {

// Retries 429, 5xx and network errors with backoff (honouring Retry-After),
// never 400 or 403. A chunk the service refuses for its content (413, 400
// InvalidDataFormat) fails alone; any other refusal, or no answer at all
// after every try, is fatal: no later chunk could fare better.
class DataCollectorSender final : public ChunkSender {
public:
  DataCollectorSender(std::unique_ptr<HttpClient> http, DataCollectorTarget target,
                      const Clock& clock, RetryPolicy retry, Sleeper sleeper,
                      Timeouts timeouts = {});
  SendResult send(const RecordBatch& batch) override;

private:
  std::unique_ptr<HttpClient> http_;
  DataCollectorTarget target_;
  const Clock& clock_;
  RetryPolicy retry_;
  Sleeper sleeper_;
  Timeouts timeouts_;
};

} // namespace c42::la
