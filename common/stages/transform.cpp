#include "common/stages/transform.h"

#include "common/crypto.h"
#include "common/json_text.h"
#include "common/json_value.h"
#include "common/stages/stage_input.h"
#include "common/stream.h"
#include "common/time_format.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace c42 {

namespace {

size_t base64_length(size_t bytes) {
  return (bytes + 2) / 3 * 4;
}

// Part boundaries (end offsets) such that each part's decoded Raw_Data holds
// at most max_value bytes (an invalid byte decodes to the 3-byte U+FFFD) and,
// for a line that is not valid UTF-8, the base64 of its raw bytes fits too.
std::vector<size_t> cut_points(std::string_view line, size_t max_value, bool valid_utf8) {
  std::vector<size_t> ends;
  if (valid_utf8) {
    // Valid UTF-8 decodes to itself: each part ends at the last character
    // boundary within reach, found by stepping back over continuation bytes.
    for (size_t start = 0; line.size() - start > max_value;) {
      size_t end = start + max_value;
      while (end > start && (static_cast<unsigned char>(line[end]) & 0xC0) == 0x80)
        --end;
      ends.push_back(end);
      start = end;
    }
    ends.push_back(line.size());
    return ends;
  }
  const size_t max_raw = max_value / 4 * 3;
  size_t start = 0, value = 0;
  for (size_t i = 0; i < line.size();) {
    size_t n = utf8_sequence_length(line, i);
    size_t value_n = n == 0 ? 3 : n;
    if (n == 0) n = 1;
    if (i > start && (value + value_n > max_value || i + n - start > max_raw)) {
      ends.push_back(i);
      start = i;
      value = 0;
    }
    value += value_n;
    i += n;
  }
  ends.push_back(line.size());
  return ends;
}

// cut_points for a valid line given as the escaped contents of its JSON
// string in append_json_string's form: the same parts, as offsets in the
// escaped text, found without decoding it. Plain bytes decode to
// themselves, an escape to one byte (three for \u2028 and \u2029).
std::vector<size_t> escaped_cut_points(std::string_view escaped, size_t max_value) {
  std::vector<size_t> ends;
  size_t value = 0;
  for (size_t i = 0; i < escaped.size();) {
    const size_t plain_end = skip_plain_json_bytes(escaped, i);
    if (plain_end > i) {
      if (value == max_value) {
        ends.push_back(i);
        value = 0;
      }
      const size_t take = std::min(plain_end - i, max_value - value);
      value += take;
      i += take;
      continue;
    }
    size_t length = 0, decoded = 0;
    if (escaped[i] == '\\') {
      length = escaped[i + 1] == 'u' ? 6 : 2;
      decoded = length == 6 && escaped[i + 2] == '2' ? 3 : 1;
    } else {
      length = decoded = utf8_sequence_length(escaped, i);
    }
    if (value > 0 && value + decoded > max_value) {
      ends.push_back(i);
      value = 0;
    }
    value += decoded;
    i += length;
  }
  ends.push_back(escaped.size());
  return ends;
}

// Bytes of the decoded Raw_Data for a line that is not valid UTF-8.
size_t replaced_length(std::string_view line) {
  size_t length = 0;
  for (size_t i = 0; i < line.size();) {
    size_t n = utf8_sequence_length(line, i);
    length += n == 0 ? 3 : n;
    i += n == 0 ? 1 : n;
  }
  return length;
}

void append_record_id(std::string& out, const SourceRecord& record) {
  out += ",\"Record_Id\":\"";
  out += transform_record_id(record.bucket, record.key, record.etag, record.index);
  out += '"';
}

void append_base64_member(std::string& out, std::string_view bytes) {
  out += ",\"Raw_Data_Base64\":\"";
  out += base64_encode(bytes);
  out += '"';
}

// A source record from another producer (or with line_b64), read in full.
Result<SourceRecord> source_record_from_line(std::string_view line) {
  auto value = parse_json_object(line);
  if (!value.ok()) return value.error();
  return source_record_from_json(*value);
}

} // namespace

std::string transform_record_id(std::string_view bucket, std::string_view key,
                                std::string_view etag, uint64_t index) {
  std::string input;
  input.reserve(bucket.size() + key.size() + etag.size() + 23);
  input.append(bucket);
  input.push_back('\0');
  input.append(key);
  input.push_back('\0');
  input.append(etag);
  input.push_back('\0');
  input += std::to_string(index);
  return sha256_hex(input).substr(0, 32);
}

Transformer::Transformer(TransformConfig config, const Clock& clock)
    : config_(std::move(config)), clock_(clock) {
  // Below this a part could not hold even one character's base64, and a tiny
  // limit would only multiply rows; the CLI enforces the same bound.
  config_.max_field_bytes = std::max(config_.max_field_bytes, kMinMaxFieldBytes);
}

std::string Transformer::event_time(const SourceRecord& record) {
  auto object = parse_json_object(record.line);
  if (object.ok()) {
    std::string value = string_member(*object, config_.time_field.c_str());
    // An empty time is no time: Log Analytics would reject or misplace it.
    if (!value.empty()) return value;
  }
  ++stats_.time_fallbacks;
  if (!record.event_time.empty()) return record.event_time;
  return format_iso8601(clock_.now());
}

void Transformer::transform(const SourceRecord& record, std::string& out) {
  ++stats_.records;
  const size_t max = config_.max_field_bytes;
  std::string prefix = "{\"Bucket_Name\":";
  append_json_string(prefix, record.bucket);
  prefix += ",\"Key\":";
  append_json_string(prefix, record.key);
  prefix += ",\"Actual_Time\":";
  append_json_string(prefix, record.event_time);
  if (!config_.time_field.empty()) {
    prefix += ",\"Event_Time\":";
    append_json_string(prefix, event_time(record));
  }
  if (config_.row_id) append_record_id(prefix, record);

  const std::string_view line = record.line;
  const size_t mark = out.size();
  bool valid = true;
  // Fast path: a valid line is written in one pass; its decoded size is its
  // byte size, so only an invalid line needs measuring after the fact.
  if (line.size() <= max) {
    out += prefix;
    out += ",\"Raw_Data\":";
    valid = append_json_string(out, line);
    if (valid) {
      out += "}\n";
      ++stats_.rows;
      return;
    }
    if (replaced_length(line) <= max && base64_length(line.size()) <= max) {
      append_base64_member(out, line);
      out += "}\n";
      ++stats_.rows;
      ++stats_.invalid_utf8;
      return;
    }
    out.resize(mark);
  } else {
    valid = is_valid_utf8(line);
  }
  if (!valid) ++stats_.invalid_utf8;
  append_parts(record, prefix, valid, out);
}

bool Transformer::transform(const SourceRecordView& record, std::string& out) {
  if (!config_.time_field.empty()) return false;
  if (record.prefix != source_prefix_) {
    source_prefix_.assign(record.prefix);
    row_prefix_.assign("{\"Bucket_Name\":\"").append(record.bucket);
    row_prefix_.append("\",\"Key\":\"").append(record.key);
    row_prefix_.append("\",\"Actual_Time\":\"").append(record.event_time).append("\"");
    bucket_.clear();
    append_unescaped(bucket_, record.bucket);
    key_.clear();
    append_unescaped(key_, record.key);
    etag_.clear();
    append_unescaped(etag_, record.etag);
  }
  ++stats_.records;
  // A line whose escaped form fits decodes to no more bytes, so it is one
  // whole row; a longer one may decode to more than fits, and is cut.
  const std::vector<size_t> ends = record.line.size() <= config_.max_field_bytes
                                       ? std::vector<size_t>{record.line.size()}
                                       : escaped_cut_points(record.line, config_.max_field_bytes);
  stats_.rows += ends.size();
  if (ends.size() > 1) ++stats_.split_records;
  // Parts always carry a Record_Id, so that they can be joined again.
  std::string id_member;
  if (config_.row_id || ends.size() > 1)
    id_member =
        ",\"Record_Id\":\"" + transform_record_id(bucket_, key_, etag_, record.index) + "\"";
  const std::string count = std::to_string(ends.size());
  size_t start = 0;
  for (size_t part = 0; part < ends.size(); ++part) {
    out += row_prefix_;
    out += id_member;
    if (ends.size() > 1) {
      out += ",\"Part_Number\":";
      out += std::to_string(part + 1);
      out += ",\"Part_Count\":";
      out += count;
    }
    out += ",\"Raw_Data\":\"";
    out += record.line.substr(start, ends[part] - start);
    out += "\"}\n";
    start = ends[part];
  }
  return true;
}

void Transformer::append_parts(const SourceRecord& record, const std::string& prefix,
                               bool valid_utf8, std::string& out) {
  const size_t max = config_.max_field_bytes;
  const std::string_view line = record.line;
  std::vector<size_t> ends = cut_points(line, max, valid_utf8);
  // With row ids the prefix already holds the Record_Id.
  std::string id_prefix = prefix;
  if (!config_.row_id) append_record_id(id_prefix, record);
  const std::string count = std::to_string(ends.size());
  size_t start = 0;
  for (size_t part = 0; part < ends.size(); ++part) {
    std::string_view bytes = line.substr(start, ends[part] - start);
    out += id_prefix;
    out += ",\"Part_Number\":";
    out += std::to_string(part + 1);
    out += ",\"Part_Count\":";
    out += count;
    out += ",\"Raw_Data\":";
    append_json_string(out, bytes);
    // Every part of an invalid line carries it, so readers need not check
    // which parts happen to be valid on their own.
    if (!valid_utf8) append_base64_member(out, bytes);
    out += "}\n";
    start = ends[part];
  }
  stats_.rows += ends.size();
  if (ends.size() > 1) ++stats_.split_records;
}

Outcome run_transform(const TransformConfig& config, const Clock& clock, LineReader& in,
                      LineWriter& out, const Report& report, TransformStats* stats) {
  Transformer transformer(config, clock);
  StageInput input(in, out, report);
  RepeatedReport repeated(report);
  OpenSpans spans;
  uint64_t skipped = 0, unattributed = 0;
  bool warned_time = false;
  std::string rows;

  // A record that cannot be read is not passed on; the message it belongs
  // to must then not be deleted, so every open span fails with it, and the
  // run goes on with the next line.
  auto skip_record = [&](const std::string& what) {
    ++skipped;
    if (spans.fail_all(what + ": not transformed") == 0) ++unattributed;
    repeated(Severity::kError, "records not transformed", what);
  };

  StageInput::Handlers handlers;
  handlers.overlong = skip_record;
  handlers.record = [&](std::string_view line) {
    SourceRecordView scanned;
    const bool ours = scan_source_record(line, &scanned);
    if (ours) {
      rows.clear();
      if (transformer.transform(scanned, rows)) {
        (void)out.write_lines(rows);
        return Status::success();
      }
    }
    // Another producer's record goes through the parser; one of ours that
    // the hot path declines (a time to read from the line) is decoded, which
    // needs none.
    Result<SourceRecord> record =
        ours ? Result<SourceRecord>(decode_source_record(scanned)) : source_record_from_line(line);
    if (!record.ok()) {
      skip_record(input.where() + ": " + record.error().message);
      return Status::success();
    }
    const uint64_t fallbacks = transformer.stats().time_fallbacks;
    rows.clear();
    transformer.transform(*record, rows);
    if (!warned_time && transformer.stats().time_fallbacks > fallbacks && report) {
      warned_time = true;
      report(Severity::kWarning,
             input.where() +
                 ": the original line is not a JSON object with a non-empty string member '" +
                 config.time_field +
                 "'; Event_Time falls back to Actual_Time or the current time (later records "
                 "are counted, not reported)");
    }
    (void)out.write_lines(rows);
    return Status::success();
  };
  handlers.control["begin"] = [&](Json::Value& value, std::string_view text) {
    auto begin = begin_from_json(value);
    if (begin.ok()) spans.begin(begin->ref);
    return input.pass_on(text, true);
  };
  // The end line of a span that lost a record here goes out not ok, with
  // the reason; every other control line passes on unchanged.
  handlers.control["end"] = [&](Json::Value& value, std::string_view text) {
    auto end = end_from_json(value);
    std::string failure = end.ok() ? spans.end(end->ref) : std::string();
    if (failure.empty()) return input.pass_on(text, true);
    value["ok"] = false;
    if (string_member(value, "error").empty()) value["error"] = failure;
    return input.pass_on(to_control_line(value), true);
  };

  Outcome outcome = input.run(handlers);
  repeated.summarise();
  if (!out.flush().ok()) outcome = Outcome::kOutputFailed;
  if (unattributed > 0 && report)
    report(Severity::kError,
           std::to_string(unattributed) + " records outside any message were not transformed");
  if (outcome == Outcome::kOk && skipped > 0) outcome = Outcome::kPartial;
  if (stats != nullptr) {
    *stats = transformer.stats();
    stats->skipped = skipped;
    stats->unattributed = unattributed;
  }
  return outcome;
}

} // namespace c42
