#include "common/stages/announcement.h"

#include "common/diagnostics.h"
#include "common/json_value.h"
#include "common/uri.h"

#include <cctype>
#include <exception>
#include <initializer_list>
#include <json/json.h>
#include <memory>
#include <utility>

namespace c42 {

namespace {

constexpr size_t kExcerptBytes = 80;
constexpr size_t kParserMessageBytes = 160;

// A short quote of untrusted text for error messages: bodies can be 256 KiB
// and may hold anything, so never dump them whole.
std::string excerpt(std::string_view text) {
  return "'" + one_line(text, kExcerptBytes) + "'";
}

// An object is one announcement; an array can only be a list of Code42
// notifications. Any other JSON value announces nothing we understand.
Result<Json::Value> parse_json_body(std::string_view text, const std::string& what) {
  // A BOM is harmless framing some publishers add; everything else is
  // strict, notably duplicate keys, which would make "which bucket?"
  // ambiguous.
  std::string_view json = text;
  if (json.substr(0, 3) == "\xEF\xBB\xBF") json.remove_prefix(3);
  auto root = c42::parse_json(json);
  if (!root.ok()) {
    std::string detail = root.error().message;
    const std::string prefix = "invalid JSON: ";
    if (detail.rfind(prefix, 0) == 0) detail.erase(0, prefix.size());
    return make_error(what + " is not valid JSON (" + detail + "): " + excerpt(text));
  }
  if (!root->isObject() && !root->isArray())
    return make_error(what + " is not a JSON object or array: " + excerpt(text));
  return root;
}

const Json::Value* member(const Json::Value& object, const char* name) {
  if (!object.isObject()) return nullptr;
  return object.find(name, name + std::char_traits<char>::length(name));
}

const Json::Value* at(const Json::Value& root, std::initializer_list<const char*> path) {
  const Json::Value* v = &root;
  for (const char* name : path) {
    v = member(*v, name);
    if (v == nullptr) return nullptr;
  }
  return v;
}

Result<std::string> required_string(const Json::Value* v, const std::string& what) {
  if (v == nullptr || v->isNull()) return make_error(what + " is missing");
  if (!v->isString()) return make_error(what + " is not a string");
  std::string s = v->asString();
  if (s.empty()) return make_error(what + " is empty");
  return s;
}

std::string optional_string(const Json::Value* v) {
  return v != nullptr && v->isString() ? v->asString() : std::string();
}

// S3 event notifications encode keys as HTML forms do ("red flower.jpg"
// arrives as "red+flower.jpg", a literal '+' as %2B).
Result<std::string> decode_key(const std::string& raw, const std::string& what) {
  auto decoded = percent_decode(raw, true);
  if (!decoded) return make_error(what + " has a malformed percent-escape: " + excerpt(raw));
  return std::move(decoded).value();
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// `where` names the notification in errors: "Code42 notification" alone, or
// with its list index.
Status add_code42_object(const Json::Value& root, const std::string& where, S3Announcement& out) {
  auto bucket = required_string(member(root, "Bucket Name"), where + ": \"Bucket Name\"");
  if (!bucket) return bucket.error();
  // Code42 sends the key verbatim; decoding it would corrupt keys with '+'.
  auto key = required_string(member(root, "Object Key"), where + ": \"Object Key\"");
  if (!key) return key.error();
  out.objects.push_back({std::move(bucket).value(), std::move(key).value(),
                         optional_string(member(root, "Event Time"))});
  return Status::success();
}

Result<S3Announcement> parse_code42(const Json::Value& root) {
  S3Announcement out;
  out.format = "code42";
  Status added = add_code42_object(root, "Code42 notification", out);
  if (!added) return added.error();
  return out;
}

// All or nothing: acknowledging a message after fetching only the readable
// part of its list would lose the rest.
Result<S3Announcement> parse_code42_list(const Json::Value& list) {
  S3Announcement out;
  out.format = "code42";
  if (list.empty()) return make_error("Code42 notification list is empty");
  for (Json::ArrayIndex i = 0; i < list.size(); ++i) {
    const Json::Value& element = list[i];
    // 0-based, as a JSON path would name it.
    const std::string where = "Code42 notification [" + std::to_string(i) + "]";
    if (!element.isObject())
      return make_error(where + " is not an object: " + excerpt(to_json_line(element)));
    Status added = add_code42_object(element, where, out);
    if (!added) return added.error();
  }
  return out;
}

Result<S3Announcement> parse_s3_records(const Json::Value& root) {
  S3Announcement out;
  out.format = "s3";
  const Json::Value& records = *member(root, "Records");
  if (!records.isArray()) return make_error("S3 event notification: Records is not an array");
  if (records.empty()) return make_error("S3 event notification: Records is empty");
  for (Json::ArrayIndex i = 0; i < records.size(); ++i) {
    const Json::Value& record = records[i];
    std::string where = "S3 event notification record " + std::to_string(i + 1);
    if (!record.isObject()) return make_error(where + " is not an object");
    const Json::Value* source = member(record, "eventSource");
    if (source != nullptr && !(source->isString() && source->asString() == "aws:s3"))
      return make_error(where + ": eventSource is not aws:s3");
    auto name = required_string(member(record, "eventName"), where + ": eventName");
    if (!name) return name.error();
    // Removals, restores, tagging and the like name nothing new to fetch. The
    // prefix test is deliberately loose: a skipped creation would lose data.
    if (!starts_with(*name, "ObjectCreated")) continue;
    auto bucket = required_string(at(record, {"s3", "bucket", "name"}), where + ": s3.bucket.name");
    if (!bucket) return bucket.error();
    auto raw_key = required_string(at(record, {"s3", "object", "key"}), where + ": s3.object.key");
    if (!raw_key) return raw_key.error();
    auto key = decode_key(*raw_key, where + ": s3.object.key");
    if (!key) return key.error();
    out.objects.push_back({std::move(bucket).value(), std::move(key).value(),
                           optional_string(member(record, "eventTime"))});
  }
  return out;
}

Result<S3Announcement> parse_eventbridge(const Json::Value& root) {
  S3Announcement out;
  out.format = "eventbridge";
  const Json::Value* source = member(root, "source");
  if (source == nullptr || !source->isString() || source->asString() != "aws.s3")
    return make_error("EventBridge event: source is not aws.s3");
  auto detail_type = required_string(member(root, "detail-type"), "EventBridge event: detail-type");
  if (!detail_type) return detail_type.error();
  // Deleted, restored, tier-changed objects: nothing to fetch, not a fault.
  if (*detail_type != "Object Created") return out;
  auto bucket = required_string(at(root, {"detail", "bucket", "name"}),
                                "EventBridge event: detail.bucket.name");
  if (!bucket) return bucket.error();
  auto raw_key = required_string(at(root, {"detail", "object", "key"}),
                                 "EventBridge event: detail.object.key");
  if (!raw_key) return raw_key.error();
  // The EventBridge page of the S3 user guide ("EventBridge event message
  // structure", ev-events) says nothing about key encoding and its examples
  // use plain keys, but S3 encodes detail.object.key the same form-URL way as
  // its classic notifications: AWS Lambda Powertools (Python) decodes this
  // field with unquote_plus and OpenSearch Data Prepper with
  // SdkHttpUtils.urlDecode. Taking it literally would break every key with a
  // space or non-ASCII character, so it is decoded like the "s3" format.
  auto key = decode_key(*raw_key, "EventBridge event: detail.object.key");
  if (!key) return key.error();
  out.objects.push_back(
      {std::move(bucket).value(), std::move(key).value(), optional_string(member(root, "time"))});
  return out;
}

Result<S3Announcement> parse_value(const Json::Value& root, std::string_view body, bool allow_sns);

Result<S3Announcement> parse_sns(const Json::Value& root) {
  const Json::Value* type = member(root, "Type");
  if (!type->isString() || type->asString() != "Notification")
    return make_error("SNS message is not of Type Notification: " +
                      excerpt(type->isString() ? type->asString() : type->toStyledString()));
  const Json::Value* message = member(root, "Message");
  if (message == nullptr || !message->isString())
    return make_error("SNS notification has no Message string");
  std::string text = message->asString();
  auto inner = parse_json_body(text, "SNS notification's Message");
  if (!inner) return inner.error();
  auto parsed = parse_value(*inner, text, false);
  if (!parsed) return make_error("SNS notification's Message: " + parsed.error().message);
  parsed->format = "sns+" + parsed->format;
  return parsed;
}

Result<S3Announcement> parse_object(const Json::Value& root, std::string_view body,
                                    bool allow_sns) {
  if (member(root, "Records") != nullptr) return parse_s3_records(root);
  if (allow_sns && member(root, "Type") != nullptr) return parse_sns(root);
  if (member(root, "detail-type") != nullptr) return parse_eventbridge(root);
  if (const Json::Value* event = member(root, "Event")) {
    if (event->isString() && event->asString() == "s3:TestEvent") {
      S3Announcement out;
      out.format = "s3-test";
      out.test_event = true;
      return out;
    }
    return make_error("unrecognised S3 message Event (expected s3:TestEvent): " + excerpt(body));
  }
  if (member(root, "Bucket Name") != nullptr || member(root, "Object Key") != nullptr)
    return parse_code42(root);
  return make_error("not a Code42, S3, SNS or EventBridge notification: " + excerpt(body));
}

Result<S3Announcement> parse_value(const Json::Value& root, std::string_view body, bool allow_sns) {
  if (root.isArray()) return parse_code42_list(root);
  return parse_object(root, body, allow_sns);
}

} // namespace

Result<S3Announcement> parse_s3_announcement(std::string_view body) {
  try {
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos)
      return make_error("message body is empty");
    auto root = parse_json_body(body, "message body");
    if (!root) return root.error();
    return parse_value(*root, body, true);
  } catch (const std::exception& e) {
    // jsoncpp throws on type misuse and on nesting beyond its stack limit.
    std::string what = e.what();
    if (what.size() > kParserMessageBytes) what = what.substr(0, kParserMessageBytes) + "...";
    for (char& c : what)
      if (c == '\n' || c == '\r') c = ' ';
    return make_error("cannot parse message body: " + what);
  } catch (...) {
    return make_error("cannot parse message body");
  }
}

} // namespace c42
