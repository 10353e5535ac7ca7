// HttpClient over one libcurl easy handle, so connections are reused across
// requests made by the same thread.
#pragma once

#include "common/http.h"

#include <memory>

namespace c42 {

class CurlHttpClient final : public HttpClient {
public:
  CurlHttpClient();
  ~CurlHttpClient() override;
  Result<HttpResponse> send(const HttpRequest& request, const BodySink* sink = nullptr) override;

  // A factory for worker threads.
  static HttpClientFactory factory();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace c42
