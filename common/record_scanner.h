// A strict scanner for the two record shapes our own tools write, so the
// per-record hot path of c42-transform and la-post needs no JSON DOM:
//   the source record s3-fetch writes (common/source_record.h), and
//   the row c42-transform writes (common/stages/transform.h).
// It recognises only exactly what we write: members in our order, no
// whitespace, and every string in the one form append_json_string
// (common/json_text.h) gives it, so a string's escaped bytes can be copied
// on as they are and come out as if decoded and escaped again. Anything
// else (another producer's spacing or escapes, extra members, line_b64) is
// declined, and the caller falls back to the full parser, which decides.
// tests/fuzz/record_scanner_fuzz.cpp checks that whatever the scanner
// accepts, jsoncpp reads the same way.
#pragma once

#include "common/source_record.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace c42 {

// A source record as scanned. The string members are the escaped contents
// of their JSON strings (quotes excluded), exactly as append_json_string
// writes the decoded bytes.
struct SourceRecordView {
  std::string_view bucket;
  std::string_view key;
  std::string_view event_time;
  std::string_view etag;
  uint64_t index = 0;
  std::string_view line; // a valid UTF-8 line (no line_b64 member)
  // The record up to and including "index":, the same for every record of
  // one object (source_record_prefix).
  std::string_view prefix;
};

// True when `text` is exactly
//   {"bucket":S,"key":S,"event_time":S,"etag":S,"index":N,"line":S}
// with every S in append_json_string's form and N at most 19 digits
// without a leading zero; fills *record.
bool scan_source_record(std::string_view text, SourceRecordView* record);

// True when `text` is exactly a row as c42-transform writes it:
//   {"Bucket_Name":S,"Key":S,"Actual_Time":S[,"Event_Time":S]
//    [,"Record_Id":S[,"Part_Number":N,"Part_Count":N]],"Raw_Data":S
//    [,"Raw_Data_Base64":S]}
// with strings and numbers as for scan_source_record. Such a line is clean
// JSON text (is_clean_json_text) and a JSON object.
bool scan_row(std::string_view text);

// Decodes the escaped contents of a string scan_source_record accepted and
// appends the bytes to out.
void append_unescaped(std::string& out, std::string_view escaped);

// The record scan_source_record accepted, decoded: what
// source_record_from_json reads from the same line.
SourceRecord decode_source_record(const SourceRecordView& record);

} // namespace c42
