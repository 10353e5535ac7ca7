#include "common/stream.h"

#include <algorithm>

namespace c42 {

namespace {

Json::Value control(const char* kind) {
  Json::Value v(Json::objectValue);
  v[kControlKey] = kind;
  return v;
}

void put_ref(Json::Value& v, const MessageRef& ref) {
  v["queue_url"] = ref.queue_url;
  v["message_id"] = ref.message_id;
  v["receipt_handle"] = ref.receipt_handle;
}

Result<MessageRef> ref_from_json(const Json::Value& v, const std::string& kind) {
  MessageRef ref;
  for (const char* name : {"queue_url", "message_id", "receipt_handle"}) {
    if (!has_string_member(v, name))
      return make_error("'" + kind + "' control line lacks string field '" + name + "'");
  }
  ref.queue_url = v["queue_url"].asString();
  ref.message_id = v["message_id"].asString();
  ref.receipt_handle = v["receipt_handle"].asString();
  return ref;
}

uint64_t count_member(const Json::Value& v, const char* name) {
  const Json::Value& m = v[name];
  return m.isUInt64() ? m.asUInt64() : 0;
}

} // namespace

std::string span_key(const MessageRef& ref) {
  return ref.queue_url + "\n" + ref.receipt_handle;
}

void OpenSpans::begin(const MessageRef& ref) {
  open_.emplace(span_key(ref), std::string());
}

size_t OpenSpans::fail_all(const std::string& reason) {
  for (auto& [key, failure] : open_)
    if (failure.empty()) failure = reason;
  return open_.size();
}

std::string OpenSpans::end(const MessageRef& ref) {
  auto it = open_.find(span_key(ref));
  if (it == open_.end()) return std::string();
  std::string failure = std::move(it->second);
  open_.erase(it);
  return failure;
}

std::string control_kind(const Json::Value& line) {
  return line.isObject() ? string_member(line, kControlKey) : std::string();
}

std::string to_control_line(const Json::Value& control) {
  std::string line = "{";
  line += to_json_line(Json::Value(kControlKey));
  line += ':';
  line += to_json_line(control[kControlKey]);
  for (const std::string& name : control.getMemberNames()) {
    if (name == kControlKey) continue;
    line += ',';
    line += to_json_line(Json::Value(name));
    line += ':';
    line += to_json_line(control[name]);
  }
  line += '}';
  return line;
}

std::string to_line(const MessageLine& m) {
  Json::Value v = control("message");
  put_ref(v, m.ref);
  v["receive_count"] = m.receive_count;
  if (!m.sent_at.empty()) v["sent_at"] = m.sent_at;
  v["body"] = m.body;
  return to_control_line(v);
}

std::string to_line(const LeaseLine& l) {
  Json::Value v = control("lease");
  put_ref(v, l.ref);
  if (!l.received_at.empty()) v["received_at"] = l.received_at;
  v["visibility_timeout"] = l.visibility_timeout;
  return to_control_line(v);
}

std::string to_line(const BeginLine& b) {
  Json::Value v = control("begin");
  put_ref(v, b.ref);
  return to_control_line(v);
}

std::string to_line(const EndLine& e) {
  Json::Value v = control("end");
  put_ref(v, e.ref);
  v["ok"] = e.ok;
  v["fetched"] = Json::UInt64(e.fetched);
  v["skipped"] = Json::UInt64(e.skipped);
  v["failed"] = Json::UInt64(e.failed);
  v["records"] = Json::UInt64(e.records);
  if (!e.error.empty()) v["error"] = e.error;
  if (e.delivered >= 0) v["delivered"] = Json::Int64(e.delivered);
  if (!e.interrupted.empty()) v["interrupted"] = e.interrupted;
  if (e.receive_count > 0) v["receive_count"] = e.receive_count;
  if (!e.body.empty()) v["body"] = e.body;
  return to_control_line(v);
}

std::string to_line(const ResultLine& r) {
  Json::Value v = control("result");
  put_ref(v, r.ref);
  v["action"] = r.action;
  if (!r.reason.empty()) v["reason"] = r.reason;
  return to_control_line(v);
}

Result<MessageLine> message_from_json(const Json::Value& v) {
  auto ref = ref_from_json(v, "message");
  if (!ref.ok()) return ref.error();
  if (!has_string_member(v, "body")) return make_error("'message' control line lacks 'body'");
  MessageLine m;
  m.ref = std::move(ref.value());
  m.body = v["body"].asString();
  m.receive_count = v["receive_count"].isInt() ? v["receive_count"].asInt() : 0;
  m.sent_at = string_member(v, "sent_at");
  return m;
}

Result<LeaseLine> lease_from_json(const Json::Value& v) {
  auto ref = ref_from_json(v, "lease");
  if (!ref.ok()) return ref.error();
  const Json::Value& timeout = v["visibility_timeout"];
  if (!timeout.isInt() || timeout.asInt() < 1 || timeout.asInt() > 43200)
    return make_error("'lease' control line lacks a visibility_timeout of 1 to 43200 seconds");
  LeaseLine l;
  l.ref = std::move(ref.value());
  l.received_at = string_member(v, "received_at");
  l.visibility_timeout = timeout.asInt();
  return l;
}

Result<BeginLine> begin_from_json(const Json::Value& v) {
  auto ref = ref_from_json(v, "begin");
  if (!ref.ok()) return ref.error();
  return BeginLine{std::move(ref.value())};
}

Result<EndLine> end_from_json(const Json::Value& v) {
  auto ref = ref_from_json(v, "end");
  if (!ref.ok()) return ref.error();
  if (!v["ok"].isBool()) return make_error("'end' control line lacks boolean 'ok'");
  EndLine e;
  e.ref = std::move(ref.value());
  e.ok = v["ok"].asBool();
  e.fetched = count_member(v, "fetched");
  e.skipped = count_member(v, "skipped");
  e.failed = count_member(v, "failed");
  e.records = count_member(v, "records");
  e.error = string_member(v, "error");
  if (v.isMember("delivered")) {
    if (!v["delivered"].isInt64() || v["delivered"].asInt64() < 0)
      return make_error("'end' control line has a malformed 'delivered'");
    e.delivered = v["delivered"].asInt64();
  }
  // Informational: a malformed value reads as absent.
  e.interrupted = string_member(v, "interrupted");
  e.receive_count = v["receive_count"].isInt() ? std::max(0, v["receive_count"].asInt()) : 0;
  e.body = string_member(v, "body");
  return e;
}

Result<ResultLine> result_from_json(const Json::Value& v) {
  auto ref = ref_from_json(v, "result");
  if (!ref.ok()) return ref.error();
  ResultLine r;
  r.ref = std::move(ref.value());
  r.action = string_member(v, "action");
  r.reason = string_member(v, "reason");
  return r;
}

} // namespace c42
