#include "common/la/logs_ingestion_sender.h"

#include "common/la/service_error.h"
#include "common/uri.h"

#include <new>
#include <optional>
#include <utility>
#include <vector>
#include <zlib.h>

namespace c42::la {

namespace {

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool has_control_or_space(const std::string& text) {
  for (unsigned char c : text)
    if (c <= 0x20 || c == 0x7f) return true;
  return false;
}

// 400 codes that name the request rather than its records. The docs list
// none for the Logs Ingestion API; these are the codes the stand-in answers
// (tests/standins/README.md), our choice where the docs are silent. Any
// other 400 fails only the records it was given.
bool names_the_request(const std::string& code) {
  return code == "InvalidStream" || code == "InvalidApiVersion" || code == "MissingApiVersion";
}

std::string bytes(size_t n) {
  return std::to_string(n) + " bytes";
}

} // namespace

bool valid_dcr_id(const std::string& dcr_id) {
  if (dcr_id.size() != 4 + 32 || !starts_with(dcr_id, "dcr-")) return false;
  for (size_t i = 4; i < dcr_id.size(); ++i)
    if (!is_hex(dcr_id[i])) return false;
  return true;
}

bool valid_stream_name(const std::string& stream) {
  size_t prefix = starts_with(stream, "Custom-") ? 7 : starts_with(stream, "Microsoft-") ? 10 : 0;
  if (prefix == 0 || stream.size() == prefix) return false;
  for (size_t i = prefix; i < stream.size(); ++i) {
    char c = stream[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool valid_token_scope(const std::string& scope) {
  return starts_with(scope, "https://") && ends_with(scope, "/.default") && scope.size() > 8 + 9 &&
         !has_control_or_space(scope);
}

Status check_logs_ingestion_endpoint(const std::string& endpoint) {
  if (has_control_or_space(endpoint))
    return make_error("Logs Ingestion endpoint contains spaces or control characters");
  auto url = parse_url(endpoint);
  if (!url.ok()) return make_error("Logs Ingestion endpoint: " + url.error().message);
  if (endpoint.find_first_of("?#") != std::string::npos)
    return make_error("Logs Ingestion endpoint must not have a query or fragment: " + endpoint);
  return Status::success();
}

HttpRequest build_logs_ingestion_request(const LogsIngestionTarget& target,
                                         std::string_view gzipped_body, const std::string& token) {
  std::string base = target.endpoint;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  HttpRequest request;
  request.method = "POST";
  request.url = base + "/dataCollectionRules/" + target.dcr_id + "/streams/" + target.stream +
                "?api-version=" + kLogsIngestionApiVersion;
  request.headers.emplace_back("Content-Type", "application/json");
  request.headers.emplace_back("Content-Encoding", "gzip");
  request.headers.emplace_back("Authorization", "Bearer " + token);
  request.borrowed_body = gzipped_body;
  return request;
}

std::string gzip_compress(const std::string& data) {
  z_stream zs{};
  // windowBits 15 + 16: a gzip header and trailer around the deflate data.
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::bad_alloc();
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  // deflateBound leaves room for everything, so one call finishes.
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::bad_alloc();
  return out;
}

// What became of one request.
struct LogsIngestionSender::Posted {
  enum Answer {
    kAccepted,
    kTooLarge, // 413: halve the part
    kRefused,  // the records were refused: the part fails, the run goes on
    kFailed,   // retries did not help: the part fails, the run goes on
    kFatal,    // no request can succeed: the rest is not sent
    kOutOfTime,
  };
  Answer answer = kAccepted;
  std::string error;
  int attempts = 0;
};

// What one send() has done so far. Parts are posted in order, so failures
// are recorded in ascending order.
struct LogsIngestionSender::Progress {
  int attempts = 0;
  std::vector<FailedRecords> failed;
  bool fatal = false;
  bool out_of_time = false;
  std::string stop_error; // why the parts after a fatal or late one are not sent
  // Requests still allowed for halving parts the service refused.
  int refusal_requests_left = kRefusalSplitRequests;

  void fail(size_t first, size_t count, const std::string& error, bool transient = false) {
    if (!failed.empty()) {
      FailedRecords& last = failed.back();
      if (last.first + last.count == first && last.error == error && last.transient == transient) {
        last.count += count;
        return;
      }
    }
    failed.push_back(FailedRecords{first, count, error, transient});
  }
};

LogsIngestionSender::LogsIngestionSender(std::unique_ptr<HttpClient> http,
                                         LogsIngestionTarget target, azure::TokenProvider& tokens,
                                         const Clock& clock, RetryPolicy retry, Sleeper sleeper,
                                         Timeouts timeouts)
    : http_(std::move(http)), target_(std::move(target)), tokens_(tokens), clock_(clock),
      retry_(retry), sleeper_(std::move(sleeper)), timeouts_(timeouts) {}

SendResult LogsIngestionSender::send(const RecordBatch& batch) {
  Progress progress;
  if (batch.records() > 0) post_part(batch, 0, batch.records(), progress);
  SendResult result;
  result.attempts = progress.attempts;
  if (progress.failed.empty()) {
    result.ok = true;
    return result;
  }
  result.fatal = progress.fatal;
  result.out_of_time = progress.out_of_time;
  result.error =
      result.fatal || result.out_of_time ? progress.stop_error : progress.failed.front().error;
  result.failed = std::move(progress.failed);
  return result;
}

void LogsIngestionSender::post_part(const RecordBatch& batch, size_t first, size_t count,
                                    Progress& progress) {
  if (progress.fatal || progress.out_of_time)
    return progress.fail(first, count, progress.stop_error);
  auto halve = [&] {
    size_t half = count / 2;
    post_part(batch, first, half, progress);
    post_part(batch, first + half, count - half, progress);
  };
  Posted posted;
  {
    const bool whole = first == 0 && count == batch.records();
    RecordBatch part = whole ? RecordBatch() : batch.slice(first, count);
    const std::string& plain = whole ? batch.body : part.body;
    std::string gzipped = gzip_compress(plain);
    const size_t limit = target_.max_request_bytes;
    // Documented: the limit holds for the data compressed and uncompressed.
    if (plain.size() > limit || gzipped.size() > limit) {
      if (count > 1) return halve();
      return progress.fail(first, 1,
                           "a record of " + bytes(batch.record(first).size()) + " (a call of " +
                               bytes(plain.size()) + ", " + bytes(gzipped.size()) +
                               " gzip'd) is larger than the Logs Ingestion API's limit of " +
                               bytes(limit) + " per call");
    }
    posted = post(gzipped);
  }
  progress.attempts += posted.attempts;
  switch (posted.answer) {
  case Posted::kAccepted:
    return;
  case Posted::kTooLarge:
    if (count > 1) return halve();
    return progress.fail(first, 1,
                         "the service refused a record of " + bytes(batch.record(first).size()) +
                             " as too large: " + posted.error);
  case Posted::kFatal:
    progress.fatal = true;
    progress.stop_error = posted.error;
    break;
  case Posted::kOutOfTime:
    progress.out_of_time = true;
    progress.stop_error = posted.error;
    break;
  case Posted::kRefused:
    // The service refuses a whole request for one bad record. Halving finds
    // it, so the records around it (other messages' among them) are
    // delivered and only its own message fails; within a budget, since a
    // refusal of every record would cost two requests a record.
    if (count > 1 && progress.refusal_requests_left >= 2) {
      progress.refusal_requests_left -= 2;
      return halve();
    }
    break;
  case Posted::kFailed:
    return progress.fail(first, count, posted.error, true);
  }
  progress.fail(first, count, posted.error);
}

LogsIngestionSender::Posted LogsIngestionSender::post(const std::string& gzipped) {
  const std::string& scope = target_.token_scope;
  bool answered = false;     // some attempt got an HTTP response
  bool token_failed = false; // the last attempt got no token
  // Set by an answer retrying cannot change.
  std::optional<Posted::Answer> refusal;
  auto run = run_with_retries(retry_, clock_, sleeper_, [&](Attempt& attempt) -> Status {
    token_failed = false;
    for (bool fresh_token = false;; fresh_token = true) {
      auto token = tokens_.get_token(scope);
      if (!token.ok()) {
        token_failed = true;
        return make_error("no Microsoft Entra token for " + scope + ": " + token.error().message,
                          token.error().kind == ErrorKind::kTransient ? ErrorKind::kTransient
                                                                      : ErrorKind::kFailed);
      }
      HttpRequest request = build_logs_ingestion_request(target_, gzipped, token->token);
      // As for the Data Collector API: the stall limit and the run's
      // deadline bound an upload, not a fixed total.
      request.timeout_ms = 0;
      request.connect_timeout_ms = timeouts_.connect_ms;
      request.stall_timeout_ms = timeouts_.stall_ms;
      Status in_time = fit_to_deadline(request, retry_, clock_.now());
      if (!in_time.ok()) return in_time;
      auto response = http_->send(request);
      if (!response.ok()) return response.error();
      answered = true;
      const long status = response->status;
      if (status >= 200 && status < 300) return Status::success();
      // An expired or revoked token: one more try at once with a new one.
      if (status == 401 && !fresh_token) {
        tokens_.invalidate(scope);
        continue;
      }
      std::string error = http_error_text(*response);
      if (is_retryable_status(status)) {
        attempt.retry_after = retry_after_of(*response, clock_.now());
        return make_error(error, ErrorKind::kTransient);
      }
      std::string fix;
      if (status == 413) {
        refusal = Posted::kTooLarge;
      } else if (status == 400 && !names_the_request(service_error_code(*response))) {
        refusal = Posted::kRefused;
      } else {
        refusal = Posted::kFatal;
        if (service_error_code(*response) == "InvalidStream")
          fix = "check the stream name and that the DCR declares it";
        else if (status == 401)
          fix = "the endpoint refused a fresh token (from " + tokens_.name() +
                ") too; check that the token scope " + scope + " is the endpoint's cloud";
        else if (status == 403)
          fix = "the identity (" + tokens_.name() +
                ") needs the Monitoring Metrics Publisher role on the data collection rule (a "
                "new role assignment can take 30 minutes to apply)";
        else if (status == 404)
          fix = "check the endpoint and the DCR's immutable ID";
      }
      return make_error(fix.empty() ? error : error + "; " + fix);
    }
  });
  Posted posted;
  posted.attempts = run.attempts;
  if (run.status.ok()) return posted;
  posted.error = run.status.error().message;
  if (run.status.error().kind == ErrorKind::kOutOfTime)
    posted.answer = Posted::kOutOfTime;
  else if (refusal)
    posted.answer = *refusal;
  // Without a token, or without any answer after every try, no request
  // can get through.
  else if (token_failed || !answered)
    posted.answer = Posted::kFatal;
  else
    posted.answer = Posted::kFailed;
  return posted;
}

} // namespace c42::la
