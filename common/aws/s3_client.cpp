#include "common/aws/s3_client.h"

#include "common/time_format.h"

namespace c42::aws {

S3Client::S3Client(ServiceContext context, S3Addressing addressing)
    : ctx_(std::move(context)), addressing_(std::move(addressing)) {}

Result<S3GetResult> S3Client::get_object(const std::string& bucket, const std::string& key,
                                         const S3GetOptions& options,
                                         const std::function<bool(const char*, size_t)>& on_data) {
  S3GetResult result;
  const std::string where = "s3://" + bucket + "/" + key;
  std::string etag;
  bool consumer_stopped = false;
  bool too_old = false;
  Backoff backoff(ctx_.retry);

  for (int attempt = 1;; ++attempt) {
    HttpRequest request;
    request.method = "GET";
    request.url = s3_object_url(addressing_, bucket, key);
    request.timeout_ms = 0; // large objects: bounded by the stall timeout instead
    if (options.modified_since && result.bytes == 0) {
      // If-Modified-Since has one-second resolution and means "strictly
      // after"; ask from one second earlier so an object written exactly at
      // the cutoff still counts.
      request.headers.emplace_back(
          "If-Modified-Since", format_http_date(*options.modified_since - std::chrono::seconds(1)));
    }
    if (result.bytes > 0) {
      request.headers.emplace_back("Range", "bytes=" + std::to_string(result.bytes) + "-");
      if (!etag.empty()) request.headers.emplace_back("If-Match", etag);
    }
    BodySink sink;
    sink.on_headers = [&](const HttpResponse& head) {
      if (auto lm = head.header("Last-Modified")) {
        auto parsed = parse_http_date(*lm);
        if (parsed.ok()) result.last_modified = *parsed;
      }
      if (auto tag = head.header("ETag"); tag && etag.empty()) etag = *tag;
      // Servers that ignore If-Modified-Since still must not feed us old data.
      if (options.modified_since && result.bytes == 0 && result.last_modified &&
          *result.last_modified < *options.modified_since) {
        too_old = true;
        return false;
      }
      if (result.bytes == 0 && options.on_start) options.on_start(result.last_modified);
      return true;
    };
    sink.on_data = [&](const char* data, size_t size) {
      result.bytes += size;
      if (!on_data(data, size)) {
        consumer_stopped = true;
        return false;
      }
      return true;
    };
    uint64_t before = result.bytes;
    // Retries are ours here (resume by Range), so each attempt is one send;
    // call_with_retries would add its own "(after N attempts)" to ours.
    auto signed_request = sign_now(ctx_, request, /*s3_mode=*/true);
    Result<HttpResponse> outcome = signed_request.ok()
                                       ? ctx_.http->send(*signed_request, &sink)
                                       : Result<HttpResponse>(signed_request.error());
    if (too_old) {
      result.skipped = true;
      return result;
    }
    if (consumer_stopped) return make_error("reading " + where + " was stopped");
    std::string failure;
    if (outcome.ok()) {
      long status = outcome->status;
      if (status == 304) {
        result.skipped = true;
        return result;
      }
      if (status == 200 || status == 206) return result;
      failure = describe_service_error(status, outcome->body);
      if (status == 412) failure = "object changed while it was being read (" + failure + ")";
      if (!is_retryable_status(status)) return make_error("cannot get " + where + ": " + failure);
    } else {
      failure = outcome.error().message;
    }
    if (attempt >= ctx_.retry.max_attempts)
      return make_error("cannot get " + where + ": " + failure + " " + attempts_note(attempt));
    if (result.bytes > before) ++result.resumes;
    ctx_.sleeper(backoff.delay(attempt));
  }
}

} // namespace c42::aws
