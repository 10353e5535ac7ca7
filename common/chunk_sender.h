// What a sink's delivery engine (common/stages/poster.h) needs from the API
// it posts to: one interface, implemented once per API (the Data Collector
// API in common/la/data_collector_sender.h, later the Logs Ingestion API),
// so the engine that keeps "nothing lost" knows no wire protocol.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace c42 {

struct SendResult {
  bool ok = false;
  // The failure cannot be cured by other data (bad key, unknown workspace,
  // the service unreachable): posting more is pointless.
  bool fatal = false;
  // The run's deadline came before the chunk was accepted; later chunks
  // would fare the same, but the service is not at fault.
  bool out_of_time = false;
  std::string error;
  int attempts = 0;
};

class ChunkSender {
public:
  virtual ~ChunkSender() = default;
  // body is a JSON array of `records` objects. The sender owns retries.
  virtual SendResult send(const std::string& body, size_t records) = 0;
};

// Makes a sender per worker thread.
using ChunkSenderFactory = std::function<std::unique_ptr<ChunkSender>()>;

} // namespace c42
