// SharedKey signing and request building for the Azure Monitor HTTP Data
// Collector API ("Send log data to Azure Monitor by using the HTTP Data
// Collector API", learn.microsoft.com/azure/azure-monitor/logs/data-collector-api).
// The scheme signs only the verb, the body length, the content type, the date
// and the fixed resource, so the body itself is not covered; the length is.
#pragma once

#include "common/clock.h"
#include "common/http.h"
#include "common/result.h"

#include <cstddef>
#include <string>
#include <string_view>

namespace c42::la {

inline constexpr const char* kDataCollectorApiVersion = "2016-04-01";
inline constexpr const char* kDataCollectorResource = "/api/logs";
// Signed verbatim: a "; charset=utf-8" suffix would change the string to sign
// and the service answers 403 (the docs' C# sample warns about exactly that).
inline constexpr const char* kDataCollectorContentType = "application/json";

// The documented limits say "30 MB per post" and "32 KB for field values"
// without saying whether MB/KB are decimal or binary. The decimal reading is
// the smaller one, so batching to it is safe under either reading; the
// stand-in (tests/standins/la_standin.py) enforces the same numbers.
inline constexpr size_t kDataCollectorMaxBodyBytes = 30u * 1000u * 1000u;
// Azure silently truncates longer values rather than rejecting the post.
inline constexpr size_t kDataCollectorMaxFieldValueBytes = 32u * 1000u;
// Documented: Log-Type holds letters, digits and '_' and is at most 100 long.
inline constexpr size_t kDataCollectorMaxLogTypeLength = 100;

// "POST\n<content_length>\napplication/json\nx-ms-date:<x_ms_date>\n/api/logs".
// content_length is the body's size in bytes (UTF-8), not in characters.
std::string data_collector_string_to_sign(size_t content_length, const std::string& x_ms_date);

// base64(HMAC-SHA256(base64decode(shared_key_base64), string_to_sign)). The
// error never quotes the key: it ends up in logs.
Result<std::string> data_collector_signature(const std::string& shared_key_base64,
                                             const std::string& string_to_sign);

struct DataCollectorTarget {
  std::string workspace_id;         // the workspace (customer) ID, a GUID
  std::string shared_key;           // primary or secondary key, base64
  std::string log_type;             // record type; Azure appends "_CL"
  std::string time_generated_field; // optional: field holding TimeGenerated
  // Optional base URL (scheme://host[:port][/prefix]) replacing
  // https://<workspace_id>.ods.opinsights.azure.com, for stand-ins and proxies.
  std::string endpoint;
  std::string resource_id; // optional: x-ms-AzureResourceId
};

// Letters, digits and underscore only, 1..100 characters.
bool valid_log_type(const std::string& log_type);
// 8-4-4-4-12 hexadecimal digits (either case), no braces.
bool valid_workspace_id(const std::string& workspace_id);

// POST <endpoint>/api/logs?api-version=2016-04-01 with Content-Type, Log-Type,
// x-ms-date, Authorization and, when set, time-generated-field and
// x-ms-AzureResourceId. body is the JSON array text, sent as is; it is not
// parsed here, only its size is checked against the documented limit.
// The request borrows body (HttpRequest::borrowed_body), which must outlive it.
Result<HttpRequest> build_data_collector_request(const DataCollectorTarget& target,
                                                 std::string_view body, TimePoint now);

} // namespace c42::la
