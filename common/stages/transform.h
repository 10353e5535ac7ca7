// The core of c42-transform: turns s3-fetch source records into the rows
// Log Analytics stores, passing c42-stream(7) control lines through in order.
//
// Output row (members in this order; optional ones only when they apply):
//   {"Bucket_Name":…,"Key":…,"Actual_Time":…[,"Event_Time":…]
//    [,"Record_Id":…[,"Part_Number":N,"Part_Count":M]]
//    ,"Raw_Data":…[,"Raw_Data_Base64":…]}
// Raw_Data decodes to the original line byte for byte. A line that is not
// valid UTF-8 cannot be a JSON string as is: Raw_Data then holds it with
// U+FFFD replacements and Raw_Data_Base64 the exact bytes.
//
// Split records. Azure truncates long field values silently (Data Collector
// API: 32 KB, Logs Ingestion API: 64 KB), which would cut events in half
// without anyone noticing. A line whose Raw_Data (or Raw_Data_Base64) would
// exceed max_field_bytes is therefore written as several rows sharing a
// Record_Id, numbered by Part_Number from 1 to Part_Count. Cuts fall between
// UTF-8 characters of the raw line, never inside one, and every part is
// escaped on its own, so each part is a valid string and joining the parts'
// Raw_Data in order gives the line back (for non-UTF-8 lines, joining the
// decoded Raw_Data_Base64 does). Record_Id depends only on bucket, key, the
// object's ETag and the line index, so a redelivered object yields the same
// ids and its duplicate parts can be dropped when joining, while the parts
// of an overwritten key's old and new versions never join.
//
// Row ids. With row_id every row carries that Record_Id, whole rows too, so
// that any row a redelivery repeats can be removed in a query (c42-stream(7)
// gives it); a whole row's id is the one its parts would have had.
//
// Joining the parts back in KQL (Data Collector API table; columns carry the
// type suffixes _s and _d it adds, and exist only once some row had them:
// use column_ifexists() in saved queries that must run before that):
//
//   Code42Logs_CL
//   | where isnotnull(Part_Count_d) // split lines only: whole rows have no Part_Count
//   // A redelivered object repeats parts; keep one per (Record_Id, Part_Number).
//   | summarize arg_max(TimeGenerated, Raw_Data_s, Part_Count_d, Bucket_Name_s, Key_s)
//       by Record_Id_s, Part_Number = toint(Part_Number_d)
//   | summarize Parts = make_list(bag_pack("n", Part_Number, "data", Raw_Data_s)),
//       Received = count(), Part_Count = take_any(Part_Count_d),
//       Bucket_Name = take_any(Bucket_Name_s), Key = take_any(Key_s),
//       TimeGenerated = max(TimeGenerated)
//       by Record_Id_s
//   | where Received == toint(Part_Count) // a part still missing: not whole yet
//   // make_list order is undefined, so sort each record's parts explicitly.
//   | mv-apply Part = Parts on (
//       order by toint(Part.n) asc
//       | summarize Pieces = make_list(tostring(Part.data))
//       | project Raw_Data = strcat_array(Pieces, "")
//     )
//   | project TimeGenerated, Record_Id_s, Bucket_Name, Key, Raw_Data
//
// Kusto caps a string value at 1 MB by default, so lines beyond that cannot
// be reassembled inside a query; read their parts instead.
#pragma once

#include "common/clock.h"
#include "common/diagnostics.h"
#include "common/exit_codes.h"
#include "common/line_io.h"
#include "common/record_scanner.h"
#include "common/source_record.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace c42 {

inline constexpr size_t kDefaultMaxFieldBytes = 32000;
inline constexpr size_t kMinMaxFieldBytes = 1024;
inline constexpr size_t kMaxMaxFieldBytes = 1u << 20;

struct TransformConfig {
  // Longest Raw_Data / Raw_Data_Base64 value, in bytes after JSON decoding.
  // Values below kMinMaxFieldBytes are raised to it.
  size_t max_field_bytes = kDefaultMaxFieldBytes;
  // Top-level string member of the original line copied to Event_Time;
  // empty: no Event_Time.
  std::string time_field;
  // Give whole rows a Record_Id too, not only the parts of split lines.
  bool row_id = false;
};

struct TransformStats {
  uint64_t records = 0;        // source records read
  uint64_t rows = 0;           // rows written (each part counts)
  uint64_t split_records = 0;  // records written as several parts
  uint64_t invalid_utf8 = 0;   // records whose line was not valid UTF-8
  uint64_t time_fallbacks = 0; // Event_Time not taken from time_field
  uint64_t skipped = 0;        // lines that could not be read as records
  uint64_t unattributed = 0;   // of those, lines outside any message span
};

// First 32 hex digits of sha256(bucket '\0' key '\0' etag '\0' decimal index).
std::string transform_record_id(std::string_view bucket, std::string_view key,
                                std::string_view etag, uint64_t index);

class Transformer {
public:
  Transformer(TransformConfig config, const Clock& clock);

  // Appends the record's row(s), each ending in '\n'. Any SourceRecord can
  // be written, so there is no failure to report.
  void transform(const SourceRecord& record, std::string& out);
  // The hot path, for a record scan_source_record accepted: appends its row
  // byte for byte as transform() would for the same record, copying the
  // escaped strings as they are, a long line cut in its escaped form. With
  // a time field (Event_Time, read from the line) it returns false, writes
  // nothing, and transform() is the one to call.
  bool transform(const SourceRecordView& record, std::string& out);
  const TransformStats& stats() const { return stats_; }

private:
  std::string event_time(const SourceRecord& record);
  void append_parts(const SourceRecord& record, const std::string& prefix, bool valid_utf8,
                    std::string& out);

  TransformConfig config_;
  const Clock& clock_;
  TransformStats stats_;
  // What the hot path keeps from the last object's records: their common
  // prefix as read, the row prefix made from it, and the decoded names a
  // Record_Id is made from.
  std::string source_prefix_;
  std::string row_prefix_;
  std::string bucket_, key_, etag_;
};

// Reads stream lines until end of input. A line that is neither a control
// line nor a readable source record (not JSON, lacking bucket/key/line, or
// longer than the stream limit) is not guessed at: it is skipped, reported,
// and every message span open at that point fails (its end line goes out
// with ok false), so those messages stay on the queue while the rest of the
// run goes on. `report` (may be empty) also hears about the first record
// whose Event_Time had to fall back, so a misspelt time field shows up
// before the end of a long run.
// Outcome: kOk; kPartial when records were skipped; kBadInput for a
// control line that is not JSON or unreadable input; kOutputFailed.
Outcome run_transform(const TransformConfig& config, const Clock& clock, LineReader& in,
                      LineWriter& out, const Report& report, TransformStats* stats);

} // namespace c42
