// How the Log Analytics senders name an answer they did not want: one line
// with the status, the service's error code and a short piece of its body.
#pragma once

#include "common/http.h"

#include <string>

namespace c42::la {

// "HTTP 403: <the body's first 200 bytes, line breaks made spaces>", or
// "HTTP 403" for an empty body. Never includes request headers, which carry
// keys and tokens.
std::string http_error_text(const HttpResponse& response);

// The service's error code: the x-ms-error-code header (the Logs Ingestion
// API's REST reference lists it), else "code" of the Azure error body
// {"error":{"code":…}}, else "Error" of the Data Collector API's
// {"Error":…}; empty when there is none.
std::string service_error_code(const HttpResponse& response);

} // namespace c42::la
