#include "common/source_record.h"

#include "common/crypto.h"
#include "common/json_text.h"

namespace c42 {

std::string source_record_prefix(std::string_view bucket, std::string_view key,
                                 std::string_view event_time, std::string_view etag) {
  std::string prefix = "{\"bucket\":";
  append_json_string(prefix, bucket);
  prefix += ",\"key\":";
  append_json_string(prefix, key);
  prefix += ",\"event_time\":";
  append_json_string(prefix, event_time);
  prefix += ",\"etag\":";
  append_json_string(prefix, etag);
  prefix += ",\"index\":";
  return prefix;
}

size_t append_source_record(std::string& out, std::string_view prefix, uint64_t index,
                            std::string_view line) {
  const size_t start = out.size();
  out += prefix;
  out += std::to_string(index);
  out += ",\"line\":";
  if (!append_json_string(out, line)) {
    // Not UTF-8, so JSON cannot hold it as text: keep the exact bytes too.
    out += ",\"line_b64\":\"";
    out += base64_encode(line);
    out += '"';
  }
  out += "}\n";
  return out.size() - start;
}

Result<SourceRecord> source_record_from_json(const Json::Value& v) {
  SourceRecord r;
  for (const char* name : {"bucket", "key", "line"}) {
    if (!has_string_member(v, name))
      return make_error(std::string("record lacks string field '") + name + "'");
  }
  r.bucket = v["bucket"].asString();
  r.key = v["key"].asString();
  r.event_time = string_member(v, "event_time");
  r.etag = string_member(v, "etag");
  if (v["index"].isUInt64()) r.index = v["index"].asUInt64();
  if (has_string_member(v, "line_b64")) {
    auto bytes = base64_decode(v["line_b64"].asString());
    if (!bytes.ok())
      return make_error("record has a malformed 'line_b64': " + bytes.error().message);
    r.line = std::move(bytes.value());
  } else {
    r.line = v["line"].asString();
  }
  return r;
}

} // namespace c42
