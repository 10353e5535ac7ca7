// The hot path's scanner (common/record_scanner.h) against jsoncpp: a line
// it accepts must be read the same by the full parser, and the rows the hot
// path writes for it must be those the full parser's path writes, byte for
// byte. The first byte picks the configuration; the rest is one line.
#include "common/json_text.h"
#include "common/json_value.h"
#include "common/record_scanner.h"
#include "common/source_record.h"
#include "common/stages/transform.h"
#include "tests/fuzz/fuzz_support.h"

#include <cstdint>
#include <cstdlib>

namespace {

std::string unescaped(std::string_view escaped) {
  std::string out;
  c42::append_unescaped(out, escaped);
  return out;
}

void check_source_record(std::string_view line, uint8_t choice) {
  using namespace c42;
  SourceRecordView scanned;
  if (!scan_source_record(line, &scanned)) return;
  auto value = parse_json_object(line);
  if (!value.ok()) std::abort();
  auto record = source_record_from_json(*value);
  if (!record.ok() || value->isMember("line_b64")) std::abort();
  if (unescaped(scanned.bucket) != record->bucket || unescaped(scanned.key) != record->key ||
      unescaped(scanned.event_time) != record->event_time ||
      unescaped(scanned.etag) != record->etag || scanned.index != record->index ||
      unescaped(scanned.line) != record->line)
    std::abort();
  // What it accepts is in the one form the writer gives, so it can be copied
  // on as it is.
  std::string again;
  if (!append_json_string(again, record->line) || again != "\"" + std::string(scanned.line) + "\"")
    std::abort();
  TransformConfig config;
  config.row_id = (choice & 1) != 0;
  if (choice & 2) config.max_field_bytes = kMinMaxFieldBytes;
  if (choice & 4) config.time_field = "t";
  FixedClock clock(TimePoint(std::chrono::seconds(1440938160)));
  Transformer fast(config, clock), full(config, clock);
  std::string got, expected;
  full.transform(*record, expected);
  if (fast.transform(scanned, got) && got != expected) std::abort();
}

void check_row(std::string_view line) {
  using namespace c42;
  if (!scan_row(line)) return;
  // What la-post would otherwise check before posting the line.
  if (!is_clean_json_text(line) || !parse_json_object(line).ok()) std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  c42::fuzz::Input input(data, size);
  const uint8_t choice = input.byte();
  std::string_view line = input.rest();
  check_source_record(line, choice);
  check_row(line);
  return 0;
}
