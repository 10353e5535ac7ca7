#include "common/curl_http.h"

#include <algorithm>
#include <cstring>
#include <curl/curl.h>
#include <mutex>
#include <optional>

namespace c42 {

namespace {

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Bodies of error responses are kept only this far: enough for the service's
// error code and message.
constexpr size_t kMaxErrorBody = 64u << 10;

struct Transfer {
  const BodySink* sink = nullptr;
  const HttpRequest* request = nullptr;
  HttpResponse response;
  bool headers_done = false;
  bool streaming = false;
  // Why we stopped the transfer ourselves, when we did: a consumer or a
  // cancellation (kAborted), or a body too large to hold (kFailed).
  std::optional<Error> stopped;
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new status line (after 100 Continue or a proxy CONNECT): start over.
    t->response.headers.clear();
    // The status is three digits after the first space; anything else is
    // status 0, which no caller mistakes for success.
    size_t space = line.find(' ');
    std::string_view code =
        space == std::string_view::npos ? std::string_view() : line.substr(space + 1, 3);
    t->response.status = 0;
    if (code.size() == 3 &&
        std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; }))
      t->response.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    return n;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    t->response.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return n;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  if (!t->headers_done) {
    t->headers_done = true;
    t->streaming = t->sink != nullptr && t->response.status >= 200 && t->response.status < 300;
    if (t->streaming && t->sink->on_headers && !t->sink->on_headers(t->response)) {
      t->stopped = make_error("transfer aborted", ErrorKind::kAborted);
      return 0;
    }
  }
  if (t->streaming) {
    if (t->sink->on_data && !t->sink->on_data(data, n)) {
      t->stopped = make_error("transfer aborted", ErrorKind::kAborted);
      return 0;
    }
    return n;
  }
  if (t->sink != nullptr) {
    // Only an error body is kept here, and only as far as its message goes.
    if (t->response.body.size() < kMaxErrorBody) t->response.body.append(data, n);
    return n;
  }
  if (t->response.body.size() + n > t->request->max_response_bytes) {
    t->stopped = make_error("response body larger than " +
                            std::to_string(t->request->max_response_bytes) + " bytes");
    return 0;
  }
  t->response.body.append(data, n);
  return n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->request->cancelled && t->request->cancelled()) {
    t->stopped = make_error("cancelled", ErrorKind::kAborted);
    return 1;
  }
  return 0;
}

// A request that cannot even be made (a URL curl cannot use) fails the same
// way every time; anything else (resolving, connecting, TLS, a broken or
// stalled connection, a timeout) means no answer came, worth another try.
ErrorKind failure_kind(CURLcode code) {
  switch (code) {
  case CURLE_UNSUPPORTED_PROTOCOL:
  case CURLE_URL_MALFORMAT:
  case CURLE_NOT_BUILT_IN:
  case CURLE_BAD_FUNCTION_ARGUMENT:
  case CURLE_FAILED_INIT:
    return ErrorKind::kFailed;
  default:
    return ErrorKind::kTransient;
  }
}

} // namespace

struct CurlHttpClient::Impl {
  CURL* curl = nullptr;
};

CurlHttpClient::CurlHttpClient() : impl_(std::make_unique<Impl>()) {
  global_init_once();
  impl_->curl = curl_easy_init();
}

CurlHttpClient::~CurlHttpClient() {
  if (impl_->curl) curl_easy_cleanup(impl_->curl);
}

HttpClientFactory CurlHttpClient::factory() {
  return [] { return std::unique_ptr<HttpClient>(std::make_unique<CurlHttpClient>()); };
}

Result<HttpResponse> CurlHttpClient::send(const HttpRequest& request, const BodySink* sink) {
  CURL* curl = impl_->curl;
  if (curl == nullptr) return make_error("cannot initialise libcurl");
  curl_easy_reset(curl);
  Transfer transfer;
  transfer.sink = sink;
  transfer.request = &request;

  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers)
    headers = curl_slist_append(headers, (name + ": " + value).c_str());
  // Signed requests must go out exactly as signed: no 100-continue round
  // trip, and no header curl would invent that we did not sign.
  headers = curl_slist_append(headers, "Expect:");
  headers = curl_slist_append(headers, "Accept:");

  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "c42-ship/" C42_VERSION);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, request.connect_timeout_ms);
  if (request.timeout_ms > 0) curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, request.timeout_ms);
  // A stalled attempt fails even when the total time is unbounded (large
  // objects, large uploads): no byte in either direction for the stall
  // limit, including the wait for a response that never comes.
  if (request.stall_timeout_ms > 0) {
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, (request.stall_timeout_ms + 999) / 1000);
  }
  if (request.cancelled) {
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  }
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  // Object keys may contain "./" or "../": send the path exactly as signed.
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
  if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else {
    if (request.method != "POST")
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    // POSTFIELDS borrows the bytes: libcurl sends from them without a copy.
    const std::string_view payload = request.payload();
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
  }

  CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (code == CURLE_OK && !transfer.headers_done && sink != nullptr) {
    // An empty 2xx body still owes the sink its headers call.
    bool ok2xx = transfer.response.status >= 200 && transfer.response.status < 300;
    if (ok2xx && sink->on_headers && !sink->on_headers(transfer.response))
      return make_error("transfer aborted", ErrorKind::kAborted);
  }
  if (code != CURLE_OK) {
    if (transfer.stopped) return *transfer.stopped;
    std::string detail = error_buffer[0] ? error_buffer : curl_easy_strerror(code);
    return make_error(detail, failure_kind(code));
  }
  return std::move(transfer.response);
}

} // namespace c42
