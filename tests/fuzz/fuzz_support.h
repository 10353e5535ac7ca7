// What the fuzz targets share: cutting the input into pieces (a transfer
// arrives in pieces of any size) and an HttpClient that answers from it.
#pragma once

#include "common/http.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace c42::fuzz {

// Consumes the input front to back: a few bytes of choices, then the rest.
class Input {
public:
  Input(const uint8_t* data, size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}
  uint8_t byte() {
    if (rest_.empty()) return 0;
    uint8_t b = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return b;
  }
  std::string_view rest() const { return rest_; }
  // Up to `n` bytes off the front.
  std::string_view take(size_t n) {
    std::string_view piece = rest_.substr(0, n);
    rest_.remove_prefix(piece.size());
    return piece;
  }

private:
  std::string_view rest_;
};

// Answers every request with `status` and `body` (and the headers given).
class ReplyHttp final : public HttpClient {
public:
  ReplyHttp(long status, std::string body, HttpHeaders headers = {})
      : status_(status), body_(std::move(body)), headers_(std::move(headers)) {}
  Result<HttpResponse> send(const HttpRequest&, const BodySink* sink) override {
    HttpResponse response;
    response.status = status_;
    response.headers = headers_;
    if (sink != nullptr && status_ >= 200 && status_ < 300) {
      if (sink->on_headers && !sink->on_headers(response))
        return make_error("aborted", ErrorKind::kAborted);
      if (sink->on_data && !body_.empty() && !sink->on_data(body_.data(), body_.size()))
        return make_error("aborted", ErrorKind::kAborted);
    } else {
      response.body = body_;
    }
    return response;
  }

private:
  long status_;
  std::string body_;
  HttpHeaders headers_;
};

} // namespace c42::fuzz
