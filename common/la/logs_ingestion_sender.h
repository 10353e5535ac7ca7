// The Logs Ingestion API's ChunkSender: gzip'd JSON arrays posted to a data
// collection rule's stream with a Microsoft Entra bearer token, as "Logs
// Ingestion API in Azure Monitor" (learn.microsoft.com/azure/azure-monitor/
// logs/logs-ingestion-api-overview) describes the REST call:
//
//   POST {endpoint}/dataCollectionRules/{DCR immutable ID}/streams/{stream}
//        ?api-version=2023-01-01
//   Authorization: Bearer <token>   Content-Type: application/json
//   Content-Encoding: gzip          -> 204 No Content
//
// The endpoint is a data collection endpoint (DCE) or the DCR's own logs
// ingestion endpoint. Limits ("Azure Monitor service limits", Logs Ingestion
// API): 1 MB per call, compressed and uncompressed; 64 KB per field value
// (longer values are truncated); per DCR 2 GB and 12,000 requests a minute,
// beyond which the service answers 429 with Retry-After.
#pragma once

#include "common/azure/token_provider.h"
#include "common/chunk_sender.h"
#include "common/clock.h"
#include "common/http.h"
#include "common/result.h"
#include "common/retry.h"

#include <cstddef>
#include <memory>
#include <string>

namespace c42::la {

inline constexpr const char* kLogsIngestionApiVersion = "2023-01-01";
// "1 MB" and "64 KB" without saying decimal or binary: the decimal reading
// is the smaller, so it holds under either (as for the Data Collector API).
inline constexpr size_t kLogsIngestionMaxRequestBytes = 1000u * 1000u;
inline constexpr size_t kLogsIngestionMaxFieldValueBytes = 64u * 1000u;
// The token audience of the Azure public cloud. The docs give the others:
// https://monitor.azure.us (US Government) and https://monitor.azure.cn
// (operated by 21Vianet), each with "/.default" for a v2 scope.
inline constexpr const char* kMonitorScope = "https://monitor.azure.com/.default";

struct LogsIngestionTarget {
  // DCE or DCR logs ingestion endpoint, scheme://host[:port][/prefix].
  std::string endpoint;
  std::string dcr_id; // the DCR's immutable ID, "dcr-" and 32 hex digits
  std::string stream; // a stream the DCR declares, e.g. Custom-Code42Logs_CL
  std::string token_scope = kMonitorScope;
  // Both the JSON array and its gzip'd form must fit; tests lower it.
  size_t max_request_bytes = kLogsIngestionMaxRequestBytes;
};

// The ID the portal shows on the DCR's overview page (immutableId in its
// JSON): "dcr-" and 32 hexadecimal digits, as every example in the docs.
// The check catches the DCR's name or resource ID given instead.
bool valid_dcr_id(const std::string& dcr_id);
// "Custom-" or "Microsoft-" and letters, digits, '_' and '-' (stream
// declarations use these; the name becomes a URL path segment as is).
bool valid_stream_name(const std::string& stream);
// A v2 scope: "https://<resource>/.default".
bool valid_token_scope(const std::string& scope);
// An http or https URL without query or fragment; the error says why not.
Status check_logs_ingestion_endpoint(const std::string& endpoint);

// The request for one gzip'd body, which it borrows (HttpRequest::
// borrowed_body) and must outlive it; the token goes into Authorization only.
HttpRequest build_logs_ingestion_request(const LogsIngestionTarget& target,
                                         std::string_view gzipped_body, const std::string& token);

// gzip (RFC 1952) of `data`, as Content-Encoding: gzip expects.
std::string gzip_compress(const std::string& data);

// Posts a batch whole when it fits, else in halves, recursively; a part the
// service answers 413 is halved too, down to single records, so one record
// too large for a call fails alone and the rest of the batch is delivered.
//
// Every request goes through the one retry loop: 429 and 5xx (and no
// answer) are retried with backoff honouring Retry-After. A 401 says the
// token was refused (expired or revoked): the cached token is invalidated
// and the request repeated at once with a fresh one, once. The rest is
// decided from the documented codes:
//   413                  the part is too large: halved, as above;
//   400                  the data was refused ("malformed JSON" when records
//                        do not match the stream's schema, the documented
//                        RecordsTimeRangeIsMoreThan30Minutes): the part
//                        is halved down to the records refused, within
//                        kRefusalSplitRequests more requests a batch, and
//                        what is still refused fails while later chunks go
//                        on; except the codes that name the request itself
//                        (InvalidStream, InvalidApiVersion,
//                        MissingApiVersion), fatal;
//   401 again, 403, 404  the request itself is wrong (token audience,
//                        missing Monitoring Metrics Publisher role, unknown
//                        DCR or endpoint): fatal, with what to fix;
//   any other 4xx        fatal.
// No answer at all after every try means the service is unreachable: fatal.
// Requests one batch may spend halving parts refused for their data: one
// bad record among 500 takes 18, two about 36.
inline constexpr int kRefusalSplitRequests = 40;

class LogsIngestionSender final : public ChunkSender {
public:
  // `tokens` is shared by every worker's sender and outlives them; it must
  // be safe to call from several threads (azure::default_token_provider's
  // cache is).
  LogsIngestionSender(std::unique_ptr<HttpClient> http, LogsIngestionTarget target,
                      azure::TokenProvider& tokens, const Clock& clock, RetryPolicy retry,
                      Sleeper sleeper, Timeouts timeouts = {});
  SendResult send(const RecordBatch& batch) override;

private:
  struct Progress;
  struct Posted;
  void post_part(const RecordBatch& batch, size_t first, size_t count, Progress& progress);
  Posted post(const std::string& gzipped);

  std::unique_ptr<HttpClient> http_;
  LogsIngestionTarget target_;
  azure::TokenProvider& tokens_;
  const Clock& clock_;
  RetryPolicy retry_;
  Sleeper sleeper_;
  Timeouts timeouts_;
};

} // namespace c42::la
