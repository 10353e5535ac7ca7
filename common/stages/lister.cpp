#include "common/stages/lister.h"

#include "common/decimal.h"
#include "common/json_text.h"

#include <fnmatch.h>

namespace c42 {

Result<S3Listing> parse_s3_listing(const std::string& text) {
  const std::string scheme = "s3://";
  if (text.compare(0, scheme.size(), scheme) != 0)
    return make_error("not an s3://bucket/prefix: '" + one_line(text, 80) + "'");
  size_t slash = text.find('/', scheme.size());
  S3Listing listing;
  listing.bucket = text.substr(scheme.size(), slash == std::string::npos ? std::string::npos
                                                                         : slash - scheme.size());
  if (listing.bucket.empty())
    return make_error("s3://bucket/prefix needs a bucket: '" + one_line(text, 80) + "'");
  if (slash != std::string::npos) listing.prefix = text.substr(slash + 1);
  return listing;
}

bool ListFilters::accepts(const aws::S3ListedObject& object) const {
  // An object whose time is unknown cannot be shown to be inside a window.
  if ((since || until) && !object.last_modified) return false;
  if (since && *object.last_modified < *since) return false;
  if (until && *object.last_modified >= *until) return false;
  if (!match.empty()) {
    bool matched = false;
    for (const std::string& glob : match)
      matched = matched || ::fnmatch(glob.c_str(), object.key.c_str(), 0) == 0;
    if (!matched) return false;
  }
  if (!suffixes.empty()) {
    bool matched = false;
    for (const std::string& suffix : suffixes)
      matched = matched ||
                (object.key.size() >= suffix.size() &&
                 object.key.compare(object.key.size() - suffix.size(), suffix.size(), suffix) == 0);
    if (!matched) return false;
  }
  return true;
}

MessageLine message_for(const S3Listing& listing, const std::string& key, uint64_t sequence) {
  MessageLine m;
  m.ref.queue_url = listing.reference();
  m.ref.message_id = "s3://" + listing.bucket + "/" + key;
  m.ref.receipt_handle = kListReceiptPrefix + std::to_string(sequence);
  m.body = "{\"Bucket Name\":";
  append_json_string(m.body, listing.bucket);
  m.body += ",\"Object Key\":";
  append_json_string(m.body, key);
  m.body += "}";
  return m;
}

std::optional<uint64_t> list_sequence(const std::string& receipt_handle) {
  const std::string prefix = kListReceiptPrefix;
  if (receipt_handle.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  auto sequence = parse_decimal(std::string_view(receipt_handle).substr(prefix.size()));
  if (!sequence || *sequence == 0) return std::nullopt;
  return *sequence;
}

Lister::Lister(ListConfig config, ObjectLister& source, LineWriter& out, Report report,
               std::function<bool()> stop_requested)
    : config_(std::move(config)), source_(source), out_(out), report_(std::move(report)),
      stop_requested_(std::move(stop_requested)) {}

Status Lister::write(const aws::S3ListedObject& object) {
  const std::string reference = "s3://" + config_.listing.bucket + "/" + object.key;
  std::string why;
  if (!is_valid_utf8(object.key)) {
    why = "it is not valid UTF-8";
  } else if (config_.output == ListOutput::kReferences &&
             object.key.find('\n') != std::string::npos) {
    why = "an s3:// line cannot hold its line feed (--checkpoint writes message lines, which can)";
  } else if (config_.output == ListOutput::kReferences && object.key.back() == '\r') {
    why = "s3-fetch takes a carriage return at the end of an s3:// line for a line end "
          "(--checkpoint writes message lines, which keep it)";
  }
  if (!why.empty()) {
    ++stats_.refused;
    if (report_) report_(Severity::kError, "key not written: " + one_line(reference) + ": " + why);
    return Status::success();
  }
  ++stats_.written;
  if (config_.output == ListOutput::kReferences) return out_.write_line(reference);
  return out_.write_line(to_line(message_for(config_.listing, object.key, stats_.written)));
}

Outcome Lister::run() {
  aws::ListObjectsRequest request;
  request.prefix = config_.listing.prefix;
  request.start_after = config_.start_after;
  request.max_keys = config_.page_size;
  while (true) {
    if (stop_requested_ && stop_requested_()) return Outcome::kInterrupted;
    auto page = source_.list(config_.listing.bucket, request);
    if (!page.ok()) {
      if (page.error().kind == ErrorKind::kAborted) return Outcome::kInterrupted;
      if (report_) report_(Severity::kError, page.error().message);
      return Outcome::kService;
    }
    ++stats_.pages;
    for (const aws::S3ListedObject& object : page->objects) {
      // S3 lists in UTF-8 binary order; a key out of order would break the
      // checkpoint's "everything up to here", so it is not taken on trust.
      if (!stats_.last_key.empty() && object.key <= stats_.last_key) {
        if (report_)
          report_(Severity::kError, "ListObjectsV2 returned key '" + one_line(object.key) +
                                        "' after '" + one_line(stats_.last_key) +
                                        "': keys out of order");
        return Outcome::kService;
      }
      ++stats_.listed;
      stats_.last_key = object.key;
      if (!config_.filters.accepts(object)) continue;
      if (!write(object).ok()) return Outcome::kOutputFailed;
    }
    // A page's lines go out before the next page is asked for, so
    // s3-fetch starts on them while S3 answers.
    if (!out_.flush().ok()) return Outcome::kOutputFailed;
    if (!page->truncated) break;
    request.continuation_token = page->next_continuation_token;
  }
  return stats_.refused > 0 ? Outcome::kPartial : Outcome::kOk;
}

S3ObjectLister::S3ObjectLister(std::unique_ptr<HttpClient> http, aws::ServiceContext context,
                               aws::S3Addressing addressing)
    : http_(std::move(http)) {
  context.http = http_.get();
  client_ = std::make_unique<aws::S3Client>(std::move(context), std::move(addressing));
}

Result<aws::ListObjectsPage> S3ObjectLister::list(const std::string& bucket,
                                                  const aws::ListObjectsRequest& request) {
  return client_->list_objects_v2(bucket, request);
}

} // namespace c42
