#include "tools/c42-transform/options.h"

#include "common/la/logs_ingestion_sender.h"
#include "common/la/shared_key.h"
#include "tools/tool_support.h"

namespace c42::c42_transform {

Result<Config> parse_options(int argc, char** argv, const Environment& env) {
  CLI::App app{
      "Reads the c42-stream(7) records s3-fetch writes on standard input and writes one Log "
      "Analytics row per record on standard output: Bucket_Name, Key, Actual_Time and Raw_Data, "
      "the original line byte for byte. A line that is not valid UTF-8 also gets "
      "Raw_Data_Base64 with its exact bytes. A line too long for one field is split into rows "
      "sharing a Record_Id, numbered by Part_Number from 1 to Part_Count; joining their Raw_Data "
      "in that order gives the line back. Control lines pass through unchanged and in order. A "
      "line that is neither a control line nor a source record is skipped and fails the "
      "message it falls in (its end line goes out with ok false); the run goes on and exits "
      "with status 1.",
      "c42-transform"};
  Config config;
  std::string api;
  app.add_option("--max-field-bytes", config.transform.max_field_bytes,
                 "Longest Raw_Data or Raw_Data_Base64 value to write, in bytes after JSON "
                 "decoding, 1024 to 1048576; a longer line is split into parts that each fit. "
                 "Log Analytics truncates longer values silently. Default: the limit of the "
                 "API of --for-api.")
      ->check(tool::whole_number(kMinMaxFieldBytes, kMaxMaxFieldBytes));
  app.add_option("--for-api", api,
                 "The API la-post posts the rows to, whose field limit is the default "
                 "--max-field-bytes: data-collector (32000, the default; it suits both APIs) or "
                 "ingestion (64000) (or LA_API).")
      ->check(CLI::IsMember({"ingestion", "data-collector"}));
  app.add_option("--time-field", config.transform.time_field,
                 "Name of a top-level string member of the original line to copy into an "
                 "Event_Time field, for use with la-post --time-generated-field Event_Time. When "
                 "the line is not a JSON object or lacks a non-empty string member of that name, "
                 "Event_Time is the record's Actual_Time, or the current time when that is empty; "
                 "the first such record is reported on standard error. Without this option no "
                 "Event_Time is written.")
      ->check(CLI::Validator(
          [](std::string& value) {
            return value.empty() ? std::string("must not be empty") : std::string();
          },
          ""))
      ->type_name("NAME");
  app.add_flag("--row-id", config.transform.row_id,
               "Give every row a Record_Id, not only the parts of a split line: the first 32 "
               "hex digits of the SHA-256 of bucket, key, ETag and line index, the same on every "
               "delivery of the object, so that rows a redelivery repeats can be removed in a "
               "query.");
  tool::add_check_config(app, config.check_only);
  Status parsed = tool::parse(app, argc, argv);
  if (!parsed.ok()) return parsed.error();
  // LA_API is la-post's too, so one configuration sets both stages. Unlike
  // la-post, a DCR ID alone does not choose ingestion here: rows split for
  // 64 KB would be cut by a Data Collector API that a second la-post may
  // also post them to.
  if (app.count("--for-api") == 0) {
    api = env.get("LA_API").value_or("data-collector");
    if (api != "ingestion" && api != "data-collector")
      return tool::usage("LA_API must be ingestion or data-collector, not '" + api + "'");
  }
  if (app.count("--max-field-bytes") == 0)
    config.transform.max_field_bytes = api == "ingestion" ? la::kLogsIngestionMaxFieldValueBytes
                                                          : la::kDataCollectorMaxFieldValueBytes;
  return config;
}

} // namespace c42::c42_transform
