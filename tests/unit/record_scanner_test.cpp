#include "common/json_text.h"
#include "common/json_value.h"
#include "common/record_scanner.h"
#include "common/source_record.h"
#include "common/stages/transform.h"
#include "tests/unit/record_corpus.h"
#include "tests/unit/test_support.h"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace c42 {
namespace {

std::string unescaped(std::string_view escaped) {
  std::string out;
  append_unescaped(out, escaped);
  return out;
}

TEST(ScanSourceRecord, ReadsWhatS3FetchWrites) {
  std::string line;
  append_source_record(line, source_record_prefix("b\"1", "k\\2", "2024-01-02T03:04:05Z", ""),
                       18446744073709551ull, "a\"b\\c\n\xE2\x80\xA8\xC3\xA9");
  line.pop_back();
  SourceRecordView record;
  ASSERT_TRUE(scan_source_record(line, &record));
  EXPECT_EQ(record.bucket, "b\\\"1");
  EXPECT_EQ(record.key, "k\\\\2");
  EXPECT_EQ(record.event_time, "2024-01-02T03:04:05Z");
  EXPECT_EQ(record.etag, "");
  EXPECT_EQ(record.index, 18446744073709551ull);
  EXPECT_EQ(record.line, "a\\\"b\\\\c\\n\\u2028\xC3\xA9");
  EXPECT_EQ(unescaped(record.line), "a\"b\\c\n\xE2\x80\xA8\xC3\xA9");
  EXPECT_EQ(record.prefix, line.substr(0, line.find("\"index\":") + 8));
}

// Whatever the scanner accepts, jsoncpp reads the same values.
TEST(ScanSourceRecord, AgreesWithTheFullParserOverAVariedCorpus) {
  size_t accepted = 0, records = 0;
  for (const std::string& line : test_support::varied_source_records(11, 400)) {
    ++records;
    auto value = parse_json_object(line);
    ASSERT_TRUE(value.ok()) << line;
    auto full = source_record_from_json(*value);
    ASSERT_TRUE(full.ok()) << line;
    SourceRecordView record;
    if (!scan_source_record(line, &record)) {
      // Only a line that is not UTF-8 has a member the scanner declines.
      EXPECT_TRUE(value->isMember("line_b64")) << line;
      continue;
    }
    ++accepted;
    const SourceRecord decoded = decode_source_record(record);
    EXPECT_EQ(decoded.bucket, full->bucket);
    EXPECT_EQ(decoded.key, full->key);
    EXPECT_EQ(decoded.event_time, full->event_time);
    EXPECT_EQ(decoded.etag, full->etag);
    EXPECT_EQ(decoded.index, full->index);
    EXPECT_EQ(decoded.line, full->line);
    // The escaped bytes are those append_json_string writes for the value.
    std::string again;
    ASSERT_TRUE(append_json_string(again, full->line));
    EXPECT_EQ(again, "\"" + std::string(record.line) + "\"");
  }
  EXPECT_GT(accepted, records / 2);
}

// The scanner takes 64 bytes per step: every escape, run of backslashes
// and UTF-8 sequence, at every offset within and across a step, is read
// back exactly, and each form the writer never uses is declined wherever
// it stands.
TEST(ScanSourceRecord, EscapesAndSequencesAtEveryOffsetOfAStep) {
  const std::string prefix = source_record_prefix("b", "k", "t", "e");
  const std::vector<std::string> kept = {"\"",       "\\",           "\n",     "\x01",
                                         "\xC3\xA9", "\xE2\x80\xA8", "\\\"",   "\xF0\x9F\x98\x80",
                                         "\"\"\\",   "\\\\\\",       "\\\\\"", "\\\\\\\\\t"};
  const std::vector<std::string> declined = {"\\u0041", "\\/",  "\\u00e9", "\"",
                                             "\xC3",    "\x01", "\\\\\\"};
  for (size_t before = 0; before < 140; ++before) {
    for (size_t after : {size_t{0}, size_t{1}, size_t{15}, size_t{70}}) {
      const std::string head(before, 'x'), tail(after, 'y');
      for (const std::string& bytes : kept) {
        std::string line;
        append_source_record(line, prefix, 7, head + bytes + tail);
        line.pop_back();
        SourceRecordView record;
        ASSERT_TRUE(scan_source_record(line, &record)) << line;
        EXPECT_EQ(unescaped(record.line), head + bytes + tail);
      }
      for (const std::string& escaped : declined) {
        const std::string line = prefix + "7,\"line\":\"" + head + escaped + tail + "\"}";
        SourceRecordView record;
        EXPECT_FALSE(scan_source_record(line, &record)) << line;
      }
    }
  }
}

TEST(ScanSourceRecord, DeclinesEveryOtherForm) {
  SourceRecordView record;
  for (const std::string& line : test_support::foreign_source_records())
    EXPECT_FALSE(scan_source_record(line, &record)) << line;
  EXPECT_FALSE(scan_source_record("", &record));
  EXPECT_FALSE(scan_source_record(R"({"@c42":"begin"})", &record));
}

// Every row c42-transform writes (whole, split, base64, Event_Time,
// Record_Id) is recognised, and is clean JSON text and an object.
TEST(ScanRow, RecognisesEveryRowTheTransformWrites) {
  FixedClock clock(TimePoint(std::chrono::seconds(1440938160)));
  TransformConfig configs[4];
  configs[1].row_id = true;
  configs[2].max_field_bytes = 1024;
  configs[3].max_field_bytes = 1024;
  configs[3].row_id = true;
  configs[3].time_field = "@timestamp";
  size_t rows = 0;
  for (const TransformConfig& config : configs) {
    Transformer transformer(config, clock);
    for (const std::string& line : test_support::varied_source_records(5, 200)) {
      auto record = source_record_from_json(*parse_json_object(line));
      std::string out;
      transformer.transform(*record, out);
      for (const std::string& row : test_support::split_lines(out)) {
        ++rows;
        EXPECT_TRUE(scan_row(row)) << row;
        EXPECT_TRUE(is_clean_json_text(row)) << row;
        EXPECT_TRUE(parse_json_object(row).ok()) << row;
      }
    }
  }
  EXPECT_GT(rows, 800u);
}

TEST(ScanRow, DeclinesWhatTheTransformDoesNotWrite) {
  const std::string ok = R"({"Bucket_Name":"b","Key":"k","Actual_Time":"t","Raw_Data":"x"})";
  ASSERT_TRUE(scan_row(ok));
  for (
      const std::string& row : std::vector<std::string>{
          R"({"Bucket_Name":"b","Key":"k","Actual_Time":"t","Raw_Data":"x","Extra":1})",
          R"({"Bucket_Name":"b", "Key":"k","Actual_Time":"t","Raw_Data":"x"})",
          R"({"Key":"k","Bucket_Name":"b","Actual_Time":"t","Raw_Data":"x"})",
          R"({"Bucket_Name":"b","Key":"k","Actual_Time":"t","Part_Number":1,"Part_Count":2,"Raw_Data":"x"})",
          R"({"Bucket_Name":"b","Key":"k","Actual_Time":"t","Record_Id":"i","Part_Number":1,"Raw_Data":"x"})",
          R"({"Bucket_Name":"b","Key":"k","Actual_Time":"t","Record_Id":"i","Part_Number":01,"Part_Count":2,"Raw_Data":"x"})",
          R"({"Bucket_Name":"b","Key":"k","Actual_Time":"t","Raw_Data":"\x"})",
          R"({"Bucket_Name":"b","Key":"k","Actual_Time":"t","Raw_Data":"\u12"})",
          R"({"Bucket_Name":"b","Key":"k","Actual_Time":"t","Raw_Data":"\ud800"})",
          std::string(R"({"Bucket_Name":"b","Key":"k","Actual_Time":"t","Raw_Data":")") + "\x01" +
              R"("})",
          std::string(R"({"Bucket_Name":"b","Key":"k","Actual_Time":"t","Raw_Data":")") + "\xC3" +
              R"("})",
          "\xEF\xBB\xBF" + ok,
          ok + " ",
          ok + "}",
          ok.substr(0, ok.size() - 1),
      })
    EXPECT_FALSE(scan_row(row)) << row;
}

TEST(AppendUnescaped, DecodesEveryEscapeTheWriterUses) {
  std::string bytes;
  for (int c = 0; c < 0x80; ++c)
    bytes.push_back(static_cast<char>(c));
  bytes += "\xE2\x80\xA8\xE2\x80\xA9\xC3\xA9";
  std::string escaped;
  ASSERT_TRUE(append_json_string(escaped, bytes));
  SourceRecordView record;
  std::string line =
      R"({"bucket":"","key":"","event_time":"","etag":"","index":0,"line":)" + escaped + "}";
  ASSERT_TRUE(scan_source_record(line, &record));
  EXPECT_EQ(unescaped(record.line), bytes);
}

} // namespace
} // namespace c42
