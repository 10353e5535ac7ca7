// What a sink's delivery engine (common/stages/poster.h) needs from the API
// it posts to: one interface, implemented once per API (the Data Collector
// API in common/la/data_collector_sender.h, the Logs Ingestion API in
// common/la/logs_ingestion_sender.h), so the engine that keeps "nothing
// lost" knows no wire protocol.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace c42 {

// A chunk of records as one JSON array, "[r0,r1,...]", with where each
// record ends, so a sender whose API refuses a request as too large can cut
// it between records and post the parts (the Logs Ingestion API's 413).
struct RecordBatch {
  std::string body;
  std::vector<size_t> ends; // ends[i]: the offset just past record i in body

  size_t records() const { return ends.size(); }
  // Record i's text; records are separated by exactly one ','.
  std::string_view record(size_t i) const {
    size_t begin = i == 0 ? 1 : ends[i - 1] + 1;
    return std::string_view(body).substr(begin, ends[i] - begin);
  }
  // Appends a record before close().
  void append(std::string_view record) {
    body.push_back(ends.empty() ? '[' : ',');
    body.append(record);
    ends.push_back(body.size());
  }
  void close() { body.push_back(']'); }
  // Records [first, first + count) as a closed batch of their own.
  RecordBatch slice(size_t first, size_t count) const {
    RecordBatch part;
    size_t begin = first == 0 ? 1 : ends[first - 1] + 1;
    part.body.reserve(ends[first + count - 1] - begin + 2);
    for (size_t i = first; i < first + count; ++i)
      part.append(record(i));
    part.close();
    return part;
  }
};

// Records of a batch that failed while the rest of it was accepted.
struct FailedRecords {
  size_t first = 0;
  size_t count = 0;
  std::string error;
  // Retries ran out on answers that might have been different (5xx,
  // throttling): the service's fault, not the records'.
  bool transient = false;
};

struct SendResult {
  bool ok = false; // every record was accepted
  // The failure cannot be cured by other data (bad key, unknown workspace,
  // the service unreachable): posting more is pointless.
  bool fatal = false;
  // The run's deadline came before the chunk was accepted; later chunks
  // would fare the same, but the service is not at fault.
  bool out_of_time = false;
  // As FailedRecords::transient, for a chunk that failed whole (failed
  // empty).
  bool transient = false;
  std::string error;
  int attempts = 0;
  // When !ok and not empty: the only records that failed (ascending,
  // disjoint), each with its reason; the others were accepted, as when a
  // sender split the batch and some parts got through. Empty: every record
  // failed, for `error`.
  std::vector<FailedRecords> failed;
};

class ChunkSender {
public:
  virtual ~ChunkSender() = default;
  // The batch holds at least one record, each a JSON object. The sender
  // owns retries.
  virtual SendResult send(const RecordBatch& batch) = 0;
};

// Makes a sender per worker thread.
using ChunkSenderFactory = std::function<std::unique_ptr<ChunkSender>()>;

} // namespace c42
