// The network behind an interface: production uses libcurl (curl_http.h),
// unit tests inject a fake. One HttpClient is used by one thread at a time.
#pragma once

#include "common/result.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace c42 {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive header lookup; the first match wins.
std::optional<std::string> find_header(const HttpHeaders& headers, const std::string& name);
void set_header(HttpHeaders& headers, const std::string& name, const std::string& value);

// Every request has three limits, so no peer can hold a tool forever: the
// connection must be up within connect_timeout_ms; an attempt during which
// no byte moves (either way) for stall_timeout_ms fails; and timeout_ms
// bounds the whole attempt (0: none; uploads and downloads whose duration
// grows with their size rely on the stall limit and the caller's deadline).
struct HttpRequest {
  std::string method = "GET";
  std::string url; // absolute, already percent-encoded
  HttpHeaders headers;
  std::string body;
  // Sent instead of `body` when set: bytes the caller owns and keeps alive
  // until send() returns. A chunk of up to 30 MB is then never copied, however
  // many attempts it takes.
  std::optional<std::string_view> borrowed_body;
  // What goes on the wire.
  std::string_view payload() const { return borrowed_body ? *borrowed_body : body; }
  long timeout_ms = 60000;
  long connect_timeout_ms = 10000;
  long stall_timeout_ms = 30000;
  // A response body that is not streamed to a BodySink and grows beyond this
  // fails the attempt: a misbehaving peer cannot make us buffer without end.
  size_t max_response_bytes = 1u << 20;
  // Polled about once a second while the transfer runs; true aborts it (a
  // termination signal arrived).
  std::function<bool()> cancelled;
};

// The per-attempt limits a tool's --connect-timeout and --stall-timeout set.
struct Timeouts {
  long connect_ms = 10000;
  long stall_ms = 30000;
};

struct HttpResponse {
  long status = 0;
  HttpHeaders headers;
  std::string body; // empty when the body went to a BodySink
  std::optional<std::string> header(const std::string& name) const {
    return find_header(headers, name);
  }
};

// Streaming receipt of a response body. on_headers runs once the status line
// and headers are in; returning false aborts the transfer (e.g. an object
// older than the cutoff). on_data returning false aborts too. Bodies of
// non-2xx responses are never streamed: they are collected in
// HttpResponse::body for the error message.
struct BodySink {
  std::function<bool(const HttpResponse& head)> on_headers;
  std::function<bool(const char* data, size_t size)> on_data;
};

class HttpClient {
public:
  virtual ~HttpClient() = default;
  // Returns the response for any HTTP status; an Error only when no complete
  // response arrived, its kind saying why: kTransient when there was no
  // answer (connection failed or broke, an attempt timed out), kAborted when
  // the transfer was stopped on purpose (a BodySink returned false,
  // `cancelled` said so), kFailed when a body that is not streamed grew past
  // max_response_bytes.
  virtual Result<HttpResponse> send(const HttpRequest& request, const BodySink* sink = nullptr) = 0;
};

// Makes a client per worker thread.
using HttpClientFactory = std::function<std::unique_ptr<HttpClient>()>;

} // namespace c42
