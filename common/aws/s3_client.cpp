#include "common/aws/s3_client.h"

#include "common/aws/xml_text.h"
#include "common/decimal.h"
#include "common/time_format.h"
#include "common/uri.h"

#include <cstdint>
#include <optional>
#include <string_view>

namespace c42::aws {

namespace {

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

struct ContentRange {
  std::optional<uint64_t> first; // absent in "bytes */T"
  std::optional<uint64_t> last;
  std::optional<uint64_t> total; // absent in "bytes N-M/*"
};

// "bytes N-M/T", "bytes N-M/*" or "bytes */T" (RFC 9110, 14.4).
std::optional<ContentRange> parse_content_range(std::string_view text) {
  text = trimmed(text);
  const std::string_view unit = "bytes ";
  if (text.substr(0, unit.size()) != unit) return std::nullopt;
  text.remove_prefix(unit.size());
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view range = text.substr(0, slash);
  std::string_view size = text.substr(slash + 1);
  ContentRange out;
  if (size != "*") {
    out.total = parse_decimal(size);
    if (!out.total) return std::nullopt;
  }
  if (range == "*") {
    if (!out.total) return std::nullopt;
    return out;
  }
  size_t dash = range.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  out.first = parse_decimal(range.substr(0, dash));
  out.last = parse_decimal(range.substr(dash + 1));
  if (!out.first || !out.last || *out.last < *out.first) return std::nullopt;
  if (out.total && *out.last >= *out.total) return std::nullopt;
  return out;
}

std::string quoted(const std::string& text) {
  return "'" + text.substr(0, 100) + (text.size() > 100 ? "...'" : "'");
}

// Why a response to `Range: bytes=<offset>-` cannot be appended to the bytes
// already delivered; empty when it can. S3 honours Range, but a store or
// proxy that ignores it answers 200 with the whole object, and appending that
// would splice a half line onto the first one and repeat everything before.
std::string resume_refusal(const HttpResponse& head, uint64_t offset, const std::string& etag,
                           std::optional<uint64_t> total_size) {
  const std::string not_honoured = "the server did not honour the Range request (asked for bytes " +
                                   std::to_string(offset) + "-, got ";
  if (head.status != 206)
    return not_honoured + "HTTP " + std::to_string(head.status) + " instead of 206)";
  auto header = head.header("Content-Range");
  if (!header) return not_honoured + "a 206 without Content-Range)";
  auto range = parse_content_range(*header);
  if (!range || !range->first || *range->first != offset)
    return not_honoured + "Content-Range " + quoted(*header) + ")";
  if (range->total && total_size && *range->total != *total_size)
    return "object changed while it was being read (it had " + std::to_string(*total_size) +
           " bytes, the resumed response says " + std::to_string(*range->total) + ")";
  // If-Match should have stopped this; a server that ignores it may not.
  auto tag = head.header("ETag");
  if (tag && *tag != etag)
    return "object changed while it was being read (ETag " + quoted(etag) + " became " +
           quoted(*tag) + ")";
  return "";
}

// The elements <name>...</name> of `xml` in order, each as its inner text
// (still XML-encoded): Contents of a ListBucketResult, which holds up to
// 1000 of them.
std::vector<std::string_view> elements(std::string_view xml, std::string_view name) {
  const std::string open = "<" + std::string(name) + ">";
  const std::string close = "</" + std::string(name) + ">";
  std::vector<std::string_view> out;
  for (size_t at = xml.find(open); at != std::string_view::npos; at = xml.find(open, at)) {
    size_t inner = at + open.size();
    size_t end = xml.find(close, inner);
    if (end == std::string_view::npos) break;
    out.push_back(xml.substr(inner, end - inner));
    at = end + close.size();
  }
  return out;
}

} // namespace

Result<ListObjectsPage> parse_list_objects_v2(std::string_view xml) {
  if (xml.find("<ListBucketResult") == std::string_view::npos)
    return make_error("ListObjectsV2 reply is not a ListBucketResult");
  ListObjectsPage page;
  const bool url_encoded = xml_text(xml, "EncodingType").value_or("") == "url";
  page.truncated = xml_text(xml, "IsTruncated").value_or("") == "true";
  page.next_continuation_token = xml_text(xml, "NextContinuationToken").value_or("");
  if (page.truncated && page.next_continuation_token.empty())
    return make_error("ListObjectsV2 reply is truncated but has no NextContinuationToken");
  for (std::string_view contents : elements(xml, "Contents")) {
    auto key = xml_text(contents, "Key");
    if (!key || key->empty()) return make_error("ListObjectsV2 reply has Contents without a Key");
    S3ListedObject object;
    if (url_encoded) {
      auto decoded = percent_decode(*key, true);
      if (!decoded.ok())
        return make_error("ListObjectsV2 reply has a malformed URL-encoded Key: " +
                          decoded.error().message);
      object.key = std::move(decoded).value();
    } else {
      object.key = std::move(*key);
    }
    if (auto modified = xml_text(contents, "LastModified")) {
      auto parsed = parse_iso8601(*modified);
      if (!parsed.ok())
        return make_error("ListObjectsV2 reply has a malformed LastModified '" +
                          modified->substr(0, 40) + "'");
      object.last_modified = *parsed;
    }
    object.etag = xml_text(contents, "ETag").value_or("");
    object.size = parse_decimal(xml_text(contents, "Size").value_or("")).value_or(0);
    page.objects.push_back(std::move(object));
  }
  return page;
}

S3Client::S3Client(ServiceContext context, S3Addressing addressing)
    : ctx_(std::move(context)), addressing_(std::move(addressing)) {}

Result<S3GetResult> S3Client::get_object(const std::string& bucket, const std::string& key,
                                         const S3GetOptions& options,
                                         const std::function<bool(const char*, size_t)>& on_data) {
  S3GetResult result;
  const std::string where = "s3://" + bucket + "/" + key;
  // Both from the response the first byte came from: a resume must continue
  // that version of the object, and only that one.
  std::string etag;
  std::optional<uint64_t> total_size;
  bool consumer_stopped = false;
  uint64_t previous_offset = 0;

  // Each attempt asks for what is still missing: the whole object until a
  // byte has arrived, then the rest from that byte (a resume).
  auto attempt = [&](Attempt& current) -> Status {
    const uint64_t offset = result.bytes; // > 0: this attempt is a resume
    if (offset > previous_offset) ++result.resumes;
    previous_offset = offset;
    HttpRequest request;
    request.method = "GET";
    request.url = s3_object_url(addressing_, bucket, key);
    // Large objects: bounded by the stall limit and the run's deadline, not
    // by a total time.
    request.timeout_ms = 0;
    request.connect_timeout_ms = ctx_.timeouts.connect_ms;
    request.stall_timeout_ms = ctx_.timeouts.stall_ms;
    request.cancelled = ctx_.cancelled;
    if (options.modified_since && offset == 0) {
      // If-Modified-Since has one-second resolution and means "strictly
      // after"; ask from one second earlier so an object written exactly at
      // the cutoff still counts.
      request.headers.emplace_back(
          "If-Modified-Since", format_http_date(*options.modified_since - std::chrono::seconds(1)));
    }
    if (offset > 0) {
      request.headers.emplace_back("Range", "bytes=" + std::to_string(offset) + "-");
      request.headers.emplace_back("If-Match", etag);
    }
    std::string refusal; // why a resumed response was not used
    BodySink sink;
    sink.on_headers = [&](const HttpResponse& head) {
      if (offset > 0) {
        refusal = resume_refusal(head, offset, etag, total_size);
        return refusal.empty();
      }
      if (auto lm = head.header("Last-Modified")) {
        auto parsed = parse_http_date(*lm);
        if (parsed.ok()) result.last_modified = *parsed;
      }
      // A fresh GET may meet a newer version than an earlier attempt that
      // delivered nothing did, so these are taken anew every time.
      etag = head.header("ETag").value_or("");
      total_size.reset();
      if (auto length = head.header("Content-Length"); length && head.status == 200)
        total_size = parse_decimal(trimmed(*length));
      // Servers that ignore If-Modified-Since still must not feed us old data.
      if (options.modified_since && result.last_modified &&
          *result.last_modified < *options.modified_since) {
        result.skipped = true;
        return false;
      }
      if (options.on_start) options.on_start(S3ObjectInfo{result.last_modified, etag});
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
    auto signed_request = prepare_attempt(ctx_, request, Signing::kSigV4S3);
    if (!signed_request.ok()) return signed_request.error();
    auto outcome = ctx_.http->send(*signed_request, &sink);
    if (result.skipped) return Status::success();
    if (consumer_stopped) return make_error("stopped by its reader", ErrorKind::kAborted);
    if (!refusal.empty()) return make_error(refusal);
    Error failure;
    if (outcome.ok()) {
      long status = outcome->status;
      if (status == 304 && offset == 0) {
        result.skipped = true;
        return Status::success();
      }
      // On a resume, on_headers has vetted any 2xx to be the right 206.
      if (status == 200 || status == 206) return Status::success();
      if (status == 416 && offset > 0) {
        // Nothing left to send: finished, if what we have is provably all.
        std::optional<uint64_t> range_total;
        if (auto header = outcome->header("Content-Range"))
          if (auto range = parse_content_range(*header)) range_total = range->total;
        bool known = total_size || range_total;
        if (known && (!total_size || *total_size == offset) &&
            (!range_total || *range_total == offset))
          return Status::success();
      }
      failure.message = describe_service_error(status, outcome->body);
      if (status == 412)
        failure.message = "object changed while it was being read (" + failure.message + ")";
      if (is_retryable_status(status) || has_retryable_code(*outcome)) {
        failure.kind = ErrorKind::kTransient;
        current.retry_after = retry_after_of(*outcome, ctx_.clock->now());
      }
    } else {
      failure = outcome.error();
    }
    if (failure.kind == ErrorKind::kTransient && result.bytes > 0 && etag.empty())
      return make_error(failure.message + " after " + std::to_string(result.bytes) +
                        " bytes, and not resuming: the response had no ETag to pin the "
                        "object's version, so the rest could come from another one");
    return failure;
  };

  auto run = run_with_retries(ctx_.retry, *ctx_.clock, ctx_.sleeper, attempt, ctx_.cancelled);
  if (consumer_stopped) return make_error("reading " + where + " was stopped", ErrorKind::kAborted);
  if (!run.status.ok())
    return make_error("cannot get " + where + ": " + run.status.error().message,
                      run.status.error().kind);
  return result;
}

Result<ListObjectsPage> S3Client::list_objects_v2(const std::string& bucket,
                                                  const ListObjectsRequest& request) {
  // Keys come URL-encoded (encoding-type=url): XML 1.0 cannot carry every
  // character a key may hold.
  std::string query = "list-type=2&encoding-type=url&max-keys=" + std::to_string(request.max_keys);
  if (!request.prefix.empty()) query += "&prefix=" + uri_encode(request.prefix, true);
  if (!request.continuation_token.empty())
    query += "&continuation-token=" + uri_encode(request.continuation_token, true);
  else if (!request.start_after.empty())
    query += "&start-after=" + uri_encode(request.start_after, true);
  HttpRequest http_request;
  http_request.method = "GET";
  http_request.url = s3_bucket_url(addressing_, bucket) + "?" + query;
  const std::string where = "s3://" + bucket + "/" + request.prefix;
  auto outcome = call_with_retries(ctx_, http_request, Signing::kSigV4S3);
  if (!outcome.ok())
    return make_error("cannot list " + where + ": " + outcome.error().message,
                      outcome.error().kind);
  const HttpResponse& response = outcome->response;
  if (response.status < 200 || response.status > 299)
    return make_error("cannot list " + where + ": " +
                      describe_service_error(response.status, response.body));
  auto page = parse_list_objects_v2(response.body);
  if (!page.ok()) return make_error("cannot list " + where + ": " + page.error().message);
  return page;
}

Status S3Client::put_object(const std::string& bucket, const std::string& key,
                            const std::string& body, const std::string& content_type) {
  HttpRequest request;
  request.method = "PUT";
  request.url = s3_object_url(addressing_, bucket, key);
  request.headers.emplace_back("Content-Type", content_type);
  request.body = body;
  const std::string where = "s3://" + bucket + "/" + key;
  auto outcome = call_with_retries(ctx_, request, Signing::kSigV4S3);
  if (!outcome.ok())
    return make_error(where + ": PutObject failed: " + outcome.error().message,
                      outcome.error().kind);
  const HttpResponse& response = outcome->response;
  if (response.status < 200 || response.status > 299)
    return make_error(
        where + ": PutObject failed: " + describe_service_error(response.status, response.body));
  return Status::success();
}

} // namespace c42::aws
