#include "common/crypto.h"
#include "common/json_text.h"
#include "common/json_value.h"
#include "common/record_scanner.h"
#include "common/source_record.h"
#include "common/stages/transform.h"
#include "common/stream.h"
#include "tests/unit/record_corpus.h"
#include "tests/unit/test_support.h"

#include <cstdio>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace c42 {
namespace {

using test_support::split_lines;

const TimePoint kNow = TimePoint(std::chrono::seconds(1440938160)); // 2015-08-30T12:36:00Z

SourceRecord make_record(std::string line, std::string event_time = "2024-01-02T03:04:05Z",
                         uint64_t index = 7) {
  SourceRecord r;
  r.bucket = "code42-bucket";
  r.key = "exports/2024/01/02/events.json.gz";
  r.event_time = std::move(event_time);
  r.etag = "\"9b2cf535f27731c974343645a3985328\"";
  r.index = index;
  r.line = std::move(line);
  return r;
}

std::string transform_one(const SourceRecord& record, TransformConfig config = {}) {
  FixedClock clock(kNow);
  Transformer t(std::move(config), clock);
  std::string out;
  t.transform(record, out);
  return out;
}

// Splits '\n'-terminated output into parsed rows; fails the test on any
// line that is not a JSON object.
std::vector<Json::Value> parse_rows(const std::string& out) {
  std::vector<Json::Value> rows;
  EXPECT_TRUE(out.empty() || out.back() == '\n') << "output must end with a newline";
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    auto row = parse_json_object(std::string_view(out).substr(start, end - start));
    EXPECT_TRUE(row.ok()) << (row.ok() ? "" : row.error().message);
    if (row.ok()) rows.push_back(*row);
    start = end + 1;
  }
  return rows;
}

std::string decode_base64(const Json::Value& v) {
  auto bytes = base64_decode(v.asString());
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? *bytes : std::string();
}

std::string expected_id(const SourceRecord& r) {
  const std::string nul(1, '\0');
  std::string input = r.bucket + nul + r.key + nul + r.etag + nul + std::to_string(r.index);
  return sha256_hex(input).substr(0, 32);
}

TEST(TransformRecord, ExactOutputForSimpleRecord) {
  SourceRecord r = make_record(R"({"eventId":"e1","fileName":"a.txt"})");
  EXPECT_EQ(transform_one(r),
            "{\"Bucket_Name\":\"code42-bucket\",\"Key\":\"exports/2024/01/02/events.json.gz\","
            "\"Actual_Time\":\"2024-01-02T03:04:05Z\","
            "\"Raw_Data\":\"{\\\"eventId\\\":\\\"e1\\\",\\\"fileName\\\":\\\"a.txt\\\"}\"}\n");
}

TEST(TransformRecord, RawDataRoundTripsExactBytes) {
  std::string controls;
  for (int c = 1; c < 0x20; ++c)
    controls.push_back(static_cast<char>(c));
  controls += "\x7f";
  const std::vector<std::string> lines = {
      R"({"path":"C:\\Users\\x","q":"say \"hi\""})",
      "ctl:" + controls + ":end",
      "sep\xE2\x80\xA8line\xE2\x80\xA9para",
      std::string("nul\0in\0the\0middle\0", 19),
      "not json at all {",
      "\xF0\x9F\x98\x80 \xC3\xA9 \xE2\x82\xAC",
      "",
  };
  for (const std::string& line : lines) {
    std::string out = transform_one(make_record(line));
    // One output line per record: nothing inside may break NDJSON framing.
    EXPECT_EQ(out.find('\n'), out.size() - 1) << line;
    EXPECT_EQ(out.find("\xE2\x80\xA8"), std::string::npos);
    EXPECT_EQ(out.find("\xE2\x80\xA9"), std::string::npos);
    auto rows = parse_rows(out);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0]["Raw_Data"].asString(), line);
    EXPECT_EQ(rows[0]["Raw_Data"].asString().size(), line.size());
    EXPECT_FALSE(rows[0].isMember("Raw_Data_Base64"));
    EXPECT_FALSE(rows[0].isMember("Record_Id"));
    EXPECT_FALSE(rows[0].isMember("Event_Time"));
    EXPECT_EQ(rows[0]["Bucket_Name"].asString(), "code42-bucket");
    EXPECT_EQ(rows[0]["Key"].asString(), "exports/2024/01/02/events.json.gz");
    EXPECT_EQ(rows[0]["Actual_Time"].asString(), "2024-01-02T03:04:05Z");
  }
}

TEST(TransformRecord, InvalidUtf8CarriesExactBytesInBase64) {
  const std::string line = "ok \xFF\xFE mid \xC3 end \xE2\x82";
  std::string out = transform_one(make_record(line));
  auto rows = parse_rows(out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["Raw_Data"].asString(),
            "ok \xEF\xBF\xBD\xEF\xBF\xBD mid \xEF\xBF\xBD end \xEF\xBF\xBD\xEF\xBF\xBD");
  ASSERT_TRUE(rows[0].isMember("Raw_Data_Base64"));
  EXPECT_EQ(decode_base64(rows[0]["Raw_Data_Base64"]), line);
  // Raw_Data_Base64 follows Raw_Data.
  EXPECT_LT(out.find("\"Raw_Data\":"), out.find("\"Raw_Data_Base64\":"));
}

// A line whose multi-byte characters sit where cuts every `max` bytes would
// land, with escapes throughout so escaped and raw sizes differ.
std::string tricky_line(size_t size, size_t max) {
  // All longer than the 1 or 2 bytes left before a cut when they are placed.
  const std::string straddlers[] = {"\xF0\x9F\x98\x80", "\xE2\x82\xAC", "\xE2\x80\xA8"};
  const std::string filler[] = {"ab", "\\\"", "\xC3\xA9", "\t", "cd"};
  std::string line = "{\"message\":\"";
  size_t n = 0, f = 0;
  while (line.size() < size) {
    size_t next_cut = (line.size() / max + 1) * max;
    if (next_cut - line.size() <= 2) {
      line += straddlers[n++ % 3];
    } else {
      line += filler[f++ % 5];
    }
  }
  return line + "\"}";
}

void check_parts(const std::vector<Json::Value>& rows, const SourceRecord& r, size_t max) {
  ASSERT_GE(rows.size(), 2u);
  for (size_t i = 0; i < rows.size(); ++i) {
    const Json::Value& row = rows[i];
    EXPECT_EQ(row["Record_Id"].asString(), expected_id(r));
    EXPECT_EQ(row["Part_Number"].asUInt64(), i + 1);
    EXPECT_EQ(row["Part_Count"].asUInt64(), rows.size());
    EXPECT_EQ(row["Bucket_Name"].asString(), r.bucket);
    EXPECT_EQ(row["Key"].asString(), r.key);
    EXPECT_EQ(row["Actual_Time"].asString(), r.event_time);
    std::string part = row["Raw_Data"].asString();
    EXPECT_FALSE(part.empty());
    EXPECT_LE(part.size(), max) << "part " << i + 1;
  }
}

TEST(TransformSplit, SplitsLongLineAtCharacterBoundaries) {
  const size_t max = kDefaultMaxFieldBytes;
  SourceRecord r = make_record(tricky_line(200 * 1024, max));
  ASSERT_TRUE(is_valid_utf8(r.line));
  // Naive cuts at multiples of max would split a character.
  ASSERT_EQ(static_cast<unsigned char>(r.line[max]) & 0xC0, 0x80);

  std::string out = transform_one(r);
  auto rows = parse_rows(out);
  check_parts(rows, r, max);
  EXPECT_GE(rows.size(), (r.line.size() + max - 1) / max);
  std::string joined;
  for (const Json::Value& row : rows) {
    std::string part = row["Raw_Data"].asString();
    EXPECT_TRUE(is_valid_utf8(part));
    EXPECT_FALSE(row.isMember("Raw_Data_Base64"));
    joined += part;
  }
  EXPECT_EQ(joined, r.line);
  // Split rows list the part fields before Raw_Data, after the provenance.
  size_t first_row_end = out.find('\n');
  EXPECT_LT(out.find("\"Actual_Time\":"), out.find("\"Record_Id\":"));
  EXPECT_LT(out.find("\"Part_Count\":"), out.find("\"Raw_Data\":"));
  EXPECT_LT(out.find("\"Raw_Data\":"), first_row_end);
}

TEST(TransformSplit, RecordIdIsDeterministicPerObjectLine) {
  SourceRecord r = make_record(std::string(5000, 'x'));
  TransformConfig config;
  config.max_field_bytes = 1024;
  std::string first = transform_one(r, config);
  EXPECT_EQ(transform_one(r, config), first); // a redelivery writes the same rows
  r.index = 8;
  auto rows = parse_rows(transform_one(r, config));
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0]["Record_Id"].asString(), expected_id(r));
  EXPECT_NE(rows[0]["Record_Id"].asString(), parse_rows(first)[0]["Record_Id"].asString());
  EXPECT_EQ(rows[0]["Record_Id"].asString().size(), 32u);
}

// An overwritten key is a new object: parts of its old and new versions
// must never join into one line.
TEST(TransformSplit, RecordIdDependsOnTheObjectVersion) {
  SourceRecord r = make_record(std::string(5000, 'x'));
  TransformConfig config;
  config.max_field_bytes = 1024;
  std::string old_version = parse_rows(transform_one(r, config))[0]["Record_Id"].asString();
  r.etag = "\"00000000000000000000000000000000\"";
  auto rows = parse_rows(transform_one(r, config));
  EXPECT_EQ(rows[0]["Record_Id"].asString(), expected_id(r));
  EXPECT_NE(rows[0]["Record_Id"].asString(), old_version);
}

TEST(TransformSplit, LimitIsInclusive) {
  TransformConfig config;
  config.max_field_bytes = 1024;
  auto fits = parse_rows(transform_one(make_record(std::string(1024, 'y')), config));
  ASSERT_EQ(fits.size(), 1u);
  EXPECT_FALSE(fits[0].isMember("Record_Id"));
  EXPECT_FALSE(fits[0].isMember("Part_Number"));
  EXPECT_FALSE(fits[0].isMember("Part_Count"));

  SourceRecord r = make_record(std::string(1025, 'y'));
  auto split = parse_rows(transform_one(r, config));
  check_parts(split, r, 1024);
  ASSERT_EQ(split.size(), 2u);
  EXPECT_EQ(split[0]["Raw_Data"].asString() + split[1]["Raw_Data"].asString(), r.line);
}

TEST(TransformSplit, SmallLimitWithFourByteCharacters) {
  TransformConfig config;
  config.max_field_bytes = 1025; // not a multiple of 4: cuts must still fall between characters
  std::string line;
  for (int i = 0; i < 3000; ++i)
    line += "\xF0\x9F\x98\x80";
  SourceRecord r = make_record(line);
  auto rows = parse_rows(transform_one(r, config));
  check_parts(rows, r, 1025);
  std::string joined;
  for (const Json::Value& row : rows) {
    EXPECT_EQ(row["Raw_Data"].asString().size() % 4, 0u);
    joined += row["Raw_Data"].asString();
  }
  EXPECT_EQ(joined, line);
}

TEST(TransformSplit, InvalidUtf8LineSplitsWithBase64PerPart) {
  const size_t max = kDefaultMaxFieldBytes;
  std::string line = tricky_line(200 * 1024, max);
  for (size_t i = 100; i < line.size(); i += 997)
    line[i] = '\xFF';
  line[max / 4 * 3] = '\xFE'; // at the base64-sized cut
  SourceRecord r = make_record(line);
  ASSERT_FALSE(is_valid_utf8(r.line));

  auto rows = parse_rows(transform_one(r));
  check_parts(rows, r, max);
  std::string joined_bytes, joined_text;
  for (const Json::Value& row : rows) {
    ASSERT_TRUE(row.isMember("Raw_Data_Base64"));
    EXPECT_LE(row["Raw_Data_Base64"].asString().size(), max);
    joined_bytes += decode_base64(row["Raw_Data_Base64"]);
    joined_text += row["Raw_Data"].asString();
  }
  EXPECT_EQ(joined_bytes, line);
  // The parts' replacement text joins into the unsplit line's replacement text.
  std::string whole;
  EXPECT_FALSE(append_json_string(whole, line));
  auto whole_text = parse_json("[" + whole + "]");
  ASSERT_TRUE(whole_text.ok());
  EXPECT_EQ(joined_text, (*whole_text)[0].asString());
}

TEST(TransformSplit, InvalidLineSplitsWhenOnlyItsBase64IsTooLong) {
  std::string line(30000, 'z');
  line[10] = '\x80';
  SourceRecord r = make_record(line);
  auto rows = parse_rows(transform_one(r));
  check_parts(rows, r, kDefaultMaxFieldBytes);
  std::string joined;
  for (const Json::Value& row : rows) {
    EXPECT_LE(row["Raw_Data_Base64"].asString().size(), kDefaultMaxFieldBytes);
    joined += decode_base64(row["Raw_Data_Base64"]);
  }
  EXPECT_EQ(joined, line);
}

TransformConfig with_row_id(size_t max_field_bytes = kDefaultMaxFieldBytes) {
  TransformConfig config;
  config.max_field_bytes = max_field_bytes;
  config.row_id = true;
  return config;
}

TEST(TransformRowId, WholeRowCarriesRecordIdBeforeRawData) {
  SourceRecord r = make_record(R"({"eventId":"e1"})");
  EXPECT_EQ(transform_one(r, with_row_id()),
            "{\"Bucket_Name\":\"code42-bucket\",\"Key\":\"exports/2024/01/02/events.json.gz\","
            "\"Actual_Time\":\"2024-01-02T03:04:05Z\",\"Record_Id\":\"" +
                expected_id(r) +
                "\","
                "\"Raw_Data\":\"{\\\"eventId\\\":\\\"e1\\\"}\"}\n");
}

// A line's id must not depend on whether it was split, nor on the option:
// parts written with and without --row-id, and the whole row of the same
// line under a larger limit, all carry the same Record_Id.
TEST(TransformRowId, WholeRowsAndSplitPartsAgree) {
  SourceRecord r = make_record(std::string(5000, 'x'), "2024-01-02T03:04:05Z", 42);
  auto parts = parse_rows(transform_one(r, with_row_id(1024)));
  TransformConfig plain;
  plain.max_field_bytes = 1024;
  EXPECT_EQ(transform_one(r, with_row_id(1024)), transform_one(r, plain));
  ASSERT_EQ(parts.size(), 5u);
  auto whole = parse_rows(transform_one(r, with_row_id(8192)));
  ASSERT_EQ(whole.size(), 1u);
  EXPECT_EQ(whole[0]["Record_Id"].asString(), expected_id(r));
  for (const Json::Value& part : parts)
    EXPECT_EQ(part["Record_Id"].asString(), whole[0]["Record_Id"].asString());
  EXPECT_FALSE(whole[0].isMember("Part_Number"));
  EXPECT_FALSE(whole[0].isMember("Part_Count"));
  EXPECT_EQ(whole[0]["Raw_Data"].asString(), r.line);
}

TEST(TransformRowId, RedeliveryRepeatsTheIdAndAnotherLineOrVersionDoesNot) {
  SourceRecord r = make_record("{\"a\":1}");
  const std::string first = parse_rows(transform_one(r, with_row_id()))[0]["Record_Id"].asString();
  EXPECT_EQ(parse_rows(transform_one(r, with_row_id()))[0]["Record_Id"].asString(), first);
  SourceRecord next_line = r;
  next_line.index = r.index + 1;
  SourceRecord new_version = r;
  new_version.etag = "\"00000000000000000000000000000000\"";
  for (const SourceRecord& other : {next_line, new_version}) {
    std::string id = parse_rows(transform_one(other, with_row_id()))[0]["Record_Id"].asString();
    EXPECT_EQ(id, expected_id(other));
    EXPECT_NE(id, first);
  }
}

TEST(TransformRowId, InvalidUtf8WholeRowKeepsItsBytesAndGetsAnId) {
  const std::string line = "bad \xFF byte";
  SourceRecord r = make_record(line);
  auto rows = parse_rows(transform_one(r, with_row_id()));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["Record_Id"].asString(), expected_id(r));
  EXPECT_EQ(decode_base64(rows[0]["Raw_Data_Base64"]), line);
  EXPECT_FALSE(rows[0].isMember("Part_Number"));
}

TEST(TransformRowId, SplitRowsWithEventTimeKeepTheDocumentedOrder) {
  TransformConfig config = with_row_id(1024);
  config.time_field = "t";
  SourceRecord r =
      make_record("{\"t\":\"2024-05-06T07:08:09Z\",\"pad\":\"" + std::string(3000, 'p') + "\"}");
  std::string out = transform_one(r, config);
  std::string first = out.substr(0, out.find('\n'));
  const std::vector<std::string> order = {
      "\"Bucket_Name\":", "\"Key\":",         "\"Actual_Time\":", "\"Event_Time\":",
      "\"Record_Id\":",   "\"Part_Number\":", "\"Part_Count\":",  "\"Raw_Data\":"};
  size_t at = 0;
  for (const std::string& member : order) {
    size_t found = first.find(member);
    ASSERT_NE(found, std::string::npos) << member;
    EXPECT_GE(found, at) << member;
    at = found;
  }
  EXPECT_EQ(first.find("\"Record_Id\":", first.find("\"Record_Id\":") + 1), std::string::npos)
      << "Record_Id twice";
}

TEST(TransformTime, CopiesTimeField) {
  TransformConfig config;
  config.time_field = "@timestamp";
  SourceRecord r = make_record(R"({"eventId":"e","@timestamp":"2024-05-06T07:08:09.123Z"})");
  std::string out = transform_one(r, config);
  auto rows = parse_rows(out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["Event_Time"].asString(), "2024-05-06T07:08:09.123Z");
  EXPECT_EQ(rows[0]["Actual_Time"].asString(), "2024-01-02T03:04:05Z");
  EXPECT_EQ(rows[0]["Raw_Data"].asString(), r.line);
}

TEST(TransformTime, FallsBackToActualTimeThenClock) {
  TransformConfig config;
  config.time_field = "@timestamp";
  struct Case {
    std::string line, actual, expected;
  };
  const std::vector<Case> cases = {
      {R"({"eventId":"e"})", "2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"},
      {R"({"@timestamp":12345})", "2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"},
      {R"({"@timestamp":""})", "2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"},
      {R"({"nested":{"@timestamp":"2020-01-01T00:00:00Z"}})", "2024-01-02T03:04:05Z",
       "2024-01-02T03:04:05Z"},
      {"not json", "2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"},
      {R"(["@timestamp","2020-01-01T00:00:00Z"])", "", "2015-08-30T12:36:00Z"},
      {"not json", "", "2015-08-30T12:36:00Z"},
  };
  for (const Case& c : cases) {
    FixedClock clock(kNow);
    Transformer t(config, clock);
    std::string out;
    t.transform(make_record(c.line, c.actual), out);
    auto rows = parse_rows(out);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0]["Event_Time"].asString(), c.expected) << c.line;
    EXPECT_EQ(rows[0]["Raw_Data"].asString(), c.line);
    EXPECT_EQ(t.stats().time_fallbacks, 1u) << c.line;
  }
}

TEST(TransformTime, SplitPartsShareEventTime) {
  TransformConfig config;
  config.time_field = "ts";
  config.max_field_bytes = 1024;
  SourceRecord r =
      make_record("{\"ts\":\"2023-03-04T05:06:07Z\",\"pad\":\"" + std::string(4000, 'p') + "\"}");
  auto rows = parse_rows(transform_one(r, config));
  check_parts(rows, r, 1024);
  for (const Json::Value& row : rows)
    EXPECT_EQ(row["Event_Time"].asString(), "2023-03-04T05:06:07Z");
}

// Runs run_transform over `input` fed through a temporary file.
struct RunResult {
  Outcome outcome;
  std::string output;
  TransformStats stats;
  std::vector<std::string> warnings;
};

RunResult run(const std::string& input, TransformConfig config = {},
              size_t max_line_bytes = 1u << 20) {
  RunResult result;
  FILE* in_file = std::tmpfile();
  FILE* out_file = std::tmpfile();
  EXPECT_TRUE(in_file && out_file);
  if (!in_file || !out_file) return result;
  EXPECT_EQ(::write(fileno(in_file), input.data(), input.size()),
            static_cast<ssize_t>(input.size()));
  ::lseek(fileno(in_file), 0, SEEK_SET);
  {
    FixedClock clock(kNow);
    LineReader in(fileno(in_file), max_line_bytes);
    LineWriter out(fileno(out_file));
    result.outcome = run_transform(
        config, clock, in, out,
        [&](Severity, const std::string& m) { result.warnings.push_back(m); }, &result.stats);
  }
  ::lseek(fileno(out_file), 0, SEEK_SET);
  char buffer[65536];
  ssize_t n;
  while ((n = ::read(fileno(out_file), buffer, sizeof buffer)) > 0)
    result.output.append(buffer, static_cast<size_t>(n));
  std::fclose(in_file);
  std::fclose(out_file);
  return result;
}

std::string source_line(const std::string& line, uint64_t index,
                        const std::string& key = "k.json") {
  std::string out;
  append_source_record(out, source_record_prefix("b", key, "2024-01-02T03:04:05Z", "\"e1\""), index,
                       line);
  return out;
}

TEST(TransformRun, PassesControlLinesThroughInOrder) {
  const std::string begin1 =
      R"({"@c42":"begin","queue_url":"q","message_id":"m1","receipt_handle":"r1"})";
  const std::string end1 = R"({"@c42":"end","ok":true, "records":2,"zzz":[1,2]})";
  const std::string begin2 = R"(  { "@c42" : "begin", "message_id":"m2"})";
  const std::string end2 = R"({"@c42":"end","ok":false,"error":"caf\u00e9"})";
  std::string input = begin1 + "\n" + source_line("{\"n\":1}", 1) + source_line("{\"n\":2}", 2) +
                      end1 + "\n\n" + begin2 + "\n" + source_line("bad \xFF byte", 1) + end2 + "\n";
  RunResult r = run(input);
  ASSERT_EQ(r.outcome, Outcome::kOk);
  auto lines = split_lines(r.output);
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[0], begin1);
  EXPECT_EQ(parse_json_object(lines[1])->get("Raw_Data", "").asString(), "{\"n\":1}");
  EXPECT_EQ(parse_json_object(lines[2])->get("Raw_Data", "").asString(), "{\"n\":2}");
  EXPECT_EQ(lines[3], end1);
  EXPECT_EQ(lines[4], begin2);
  auto invalid = parse_json_object(lines[5]);
  ASSERT_TRUE(invalid.ok());
  EXPECT_EQ(decode_base64((*invalid)["Raw_Data_Base64"]), "bad \xFF byte");
  EXPECT_EQ(lines[6], end2);
  EXPECT_EQ(r.stats.records, 3u);
  EXPECT_EQ(r.stats.rows, 3u);
  EXPECT_EQ(r.stats.invalid_utf8, 1u);
  EXPECT_TRUE(r.warnings.empty());
}

TEST(TransformRun, CountsSplitRowsAndWarnsOnceAboutTimeFallback) {
  TransformConfig config;
  config.max_field_bytes = 1024;
  config.time_field = "ts";
  std::string input = source_line("{\"ts\":\"2020-01-01T00:00:00Z\"}", 1) +
                      source_line(std::string(3000, 'q'), 2) + source_line("{}", 3);
  RunResult r = run(input, config);
  ASSERT_EQ(r.outcome, Outcome::kOk);
  EXPECT_EQ(r.stats.records, 3u);
  EXPECT_EQ(r.stats.rows, 5u);
  EXPECT_EQ(r.stats.split_records, 1u);
  EXPECT_EQ(r.stats.time_fallbacks, 2u);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].rfind("input line 2: ", 0), 0u) << r.warnings[0];
  EXPECT_NE(r.warnings[0].find("'ts'"), std::string::npos);
}

// One unreadable record used to stop the whole pipeline (exit 3), and every
// later run on the same message. Now it fails only the message it falls in.
TEST(TransformRun, UnreadableRecordFailsItsSpanAndTheRunGoesOn) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"this is not json", "invalid JSON"},
      {R"(["an","array"])", "expected a JSON object"},
      {R"({"bucket":"b","key":"k","index":1})", "'line'"},
      {R"({"key":"k","line":"x"})", "'bucket'"},
  };
  const std::string begin1 =
      R"({"@c42":"begin","queue_url":"q","message_id":"m1","receipt_handle":"r1"})";
  const std::string end1 =
      R"({"@c42":"end","queue_url":"q","message_id":"m1","receipt_handle":"r1","ok":true})";
  const std::string begin2 =
      R"({"@c42":"begin","queue_url":"q","message_id":"m2","receipt_handle":"r2"})";
  const std::string end2 =
      R"({"@c42":"end","queue_url":"q","message_id":"m2","receipt_handle":"r2","ok":true})";
  for (const auto& [line, why] : bad) {
    std::string input = begin1 + "\n" + source_line("first", 1) + "\n" + line + "\n" +
                        source_line("second", 2) + end1 + "\n" + begin2 + "\n" +
                        source_line("other", 1) + end2 + "\n";
    RunResult r = run(input);
    EXPECT_EQ(r.outcome, Outcome::kPartial) << line;
    EXPECT_EQ(r.stats.unattributed, 0u);
    EXPECT_EQ(r.stats.skipped, 1u);
    auto lines = split_lines(r.output);
    ASSERT_EQ(lines.size(), 7u) << line;
    EXPECT_EQ(parse_json_object(lines[1])->get("Raw_Data", "").asString(), "first");
    EXPECT_EQ(parse_json_object(lines[2])->get("Raw_Data", "").asString(), "second");
    auto failed = parse_json_object(lines[3]);
    ASSERT_TRUE(failed.ok());
    EXPECT_EQ(control_kind(*failed), "end");
    EXPECT_FALSE((*failed)["ok"].asBool());
    // Line 3 is blank and still counted, as an editor would.
    EXPECT_NE((*failed)["error"].asString().find("input line 4"), std::string::npos)
        << (*failed)["error"].asString();
    EXPECT_NE((*failed)["error"].asString().find(why), std::string::npos);
    // The next message is untouched.
    EXPECT_EQ(lines[6], end2);
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_EQ(r.warnings[0].rfind("input line 4: ", 0), 0u) << r.warnings[0];
  }
}

TEST(TransformRun, UnreadableRecordOutsideAnyMessageIsCounted) {
  RunResult r = run(source_line("first", 1) + "garbage\n" + source_line("second", 2));
  EXPECT_EQ(r.outcome, Outcome::kPartial);
  EXPECT_EQ(r.stats.unattributed, 1u);
  EXPECT_EQ(split_lines(r.output).size(), 2u);
}

TEST(TransformRun, ManyBadRecordsAreSummarised) {
  std::string input = R"({"@c42":"begin","queue_url":"q","message_id":"m","receipt_handle":"r"})"
                      "\n";
  for (int i = 0; i < 1000; ++i)
    input += "not json\n";
  RunResult r = run(input);
  EXPECT_EQ(r.stats.skipped, 1000u);
  ASSERT_EQ(r.warnings.size(), 4u); // three shown, one summary
  EXPECT_NE(r.warnings[3].find("1000 in all, 997 not shown"), std::string::npos) << r.warnings[3];
}

// LineReader checks the cap only on a line still unfinished after a read, so
// the line must outgrow its 64 KiB read size. The overlong line is dropped
// without being held whole, and reading goes on after it.
TEST(TransformRun, OverlongInputLineFailsItsSpanOnly) {
  const std::string begin =
      R"({"@c42":"begin","queue_url":"q","message_id":"m1","receipt_handle":"r1"})";
  const std::string end =
      R"({"@c42":"end","queue_url":"q","message_id":"m1","receipt_handle":"r1","ok":true})";
  std::string input = begin + "\n" + source_line("short", 1) +
                      source_line(std::string(200000, 'l'), 2) + source_line("after", 3) + end +
                      "\n";
  RunResult r = run(input, {}, 2048);
  EXPECT_EQ(r.outcome, Outcome::kPartial);
  auto lines = split_lines(r.output);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(parse_json_object(lines[2])->get("Raw_Data", "").asString(), "after");
  auto failed = parse_json_object(lines[3]);
  ASSERT_TRUE(failed.ok());
  EXPECT_FALSE((*failed)["ok"].asBool());
  EXPECT_NE((*failed)["error"].asString().find("input line 3"), std::string::npos);
  EXPECT_NE((*failed)["error"].asString().find("limit of 2048 bytes"), std::string::npos);
}

TEST(TransformRun, WriteFailureIsOutputFailed) {
  int full = ::open("/dev/full", O_WRONLY);
  if (full < 0) GTEST_SKIP() << "no /dev/full";
  FILE* in_file = std::tmpfile();
  ASSERT_NE(in_file, nullptr);
  std::string input = source_line("x", 1) +
                      R"({"@c42":"end"})"
                      "\n" +
                      source_line("y", 2);
  ASSERT_EQ(::write(fileno(in_file), input.data(), input.size()),
            static_cast<ssize_t>(input.size()));
  ::lseek(fileno(in_file), 0, SEEK_SET);
  Outcome outcome;
  {
    FixedClock clock(kNow);
    LineReader in(fileno(in_file));
    LineWriter out(full);
    outcome = run_transform({}, clock, in, out, nullptr, nullptr);
  }
  EXPECT_EQ(outcome, Outcome::kOutputFailed);
  std::fclose(in_file);
  ::close(full);
}

TEST(TransformRun, EmptyInputIsOk) {
  RunResult r = run("");
  EXPECT_EQ(r.outcome, Outcome::kOk);
  EXPECT_EQ(r.output, "");
}

// The hot path (a scanned record, no DOM) against the full parser's path,
// record by record, over a varied corpus and every kind of configuration.
std::vector<TransformConfig> fast_path_configs() {
  std::vector<TransformConfig> configs(5);
  configs[1].row_id = true;
  configs[2].max_field_bytes = 1024;
  configs[3].max_field_bytes = 1024;
  configs[3].row_id = true;
  configs[4].time_field = "@timestamp";
  return configs;
}

TEST(TransformFastPath, WritesTheFullParsersRowsByteForByte) {
  for (const TransformConfig& config : fast_path_configs()) {
    FixedClock clock(kNow);
    Transformer fast(config, clock), full(config, clock);
    size_t taken = 0;
    for (const std::string& line : test_support::varied_source_records(3, 600)) {
      auto record = source_record_from_json(*parse_json_object(line));
      ASSERT_TRUE(record.ok());
      std::string expected;
      full.transform(*record, expected);
      SourceRecordView scanned;
      std::string got;
      if (!scan_source_record(line, &scanned) || !fast.transform(scanned, got)) {
        EXPECT_EQ(got, "") << "nothing written when the hot path declines";
        continue;
      }
      ++taken;
      EXPECT_EQ(got, expected) << line;
    }
    // The hot path is taken for most records, except with a time field,
    // whose value only the DOM gives.
    if (config.time_field.empty())
      EXPECT_GT(taken, 400u);
    else
      EXPECT_EQ(taken, 0u);
  }
}

// The hot path cuts a long line in its escaped form: escapes and characters
// of every length at and around each cut, and lines that decode to exactly
// the limit or one byte over it.
TEST(TransformFastPath, CutsLongLinesWhereTheFullPathDoes) {
  std::vector<std::string> lines;
  for (size_t size : {size_t{1023}, size_t{1024}, size_t{1025}, size_t{5000}, size_t{70000}})
    lines.push_back(tricky_line(size, 1024));
  for (const std::string unit : {"\"", "\x01", "\xE2\x80\xA8", "\xC3\xA9", "\xF0\x9F\x98\x80"}) {
    for (size_t before : {size_t{1019}, size_t{1020}, size_t{1021}, size_t{1022}, size_t{1023}}) {
      lines.push_back(std::string(before, 'a') + unit + std::string(1030, 'b'));
      lines.push_back(std::string(before, 'a') + unit);
    }
    std::string dense;
    while (dense.size() < 3000)
      dense += unit;
    lines.push_back(dense);
  }
  for (const TransformConfig& config : fast_path_configs()) {
    if (!config.time_field.empty()) continue;
    TransformConfig small = config;
    small.max_field_bytes = 1024;
    FixedClock clock(kNow);
    Transformer fast(small, clock), full(small, clock);
    for (const std::string& line : lines) {
      const SourceRecord record = make_record(line);
      std::string expected, got, source;
      full.transform(record, expected);
      append_source_record(
          source, source_record_prefix(record.bucket, record.key, record.event_time, record.etag),
          record.index, record.line);
      source.pop_back();
      SourceRecordView scanned;
      ASSERT_TRUE(scan_source_record(source, &scanned));
      ASSERT_TRUE(fast.transform(scanned, got));
      EXPECT_EQ(got, expected) << line.size() << " bytes";
    }
    EXPECT_EQ(fast.stats().rows, full.stats().rows);
    EXPECT_EQ(fast.stats().split_records, full.stats().split_records);
  }
}

TEST(TransformFastPath, RunWritesWhatTheFullParserAloneWould) {
  std::string input;
  std::vector<std::string> lines = test_support::varied_source_records(9, 500);
  for (const std::string& foreign : test_support::foreign_source_records())
    lines.insert(lines.begin() + static_cast<long>(lines.size() / 2), foreign);
  for (const std::string& line : lines)
    input += line + "\n";
  for (const TransformConfig& config : fast_path_configs()) {
    FixedClock clock(kNow);
    Transformer full(config, clock);
    std::string expected;
    uint64_t skipped = 0;
    for (const std::string& line : lines) {
      auto value = parse_json_object(line);
      auto record =
          value.ok() ? source_record_from_json(*value) : Result<SourceRecord>(value.error());
      if (record.ok())
        full.transform(*record, expected);
      else
        ++skipped;
    }
    RunResult result = run(input, config);
    EXPECT_EQ(result.output, expected);
    EXPECT_EQ(result.stats.records, full.stats().records);
    EXPECT_EQ(result.stats.rows, full.stats().rows);
    EXPECT_EQ(result.stats.split_records, full.stats().split_records);
    EXPECT_EQ(result.stats.invalid_utf8, full.stats().invalid_utf8);
    EXPECT_EQ(result.stats.skipped, skipped);
  }
}

} // namespace
} // namespace c42
