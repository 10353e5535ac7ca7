// URL parsing and the percent-encodings AWS and S3 event notifications use.
#pragma once

#include "common/result.h"

#include <string>
#include <string_view>

namespace c42 {

struct Url {
  std::string scheme;     // "http" or "https", lower case
  std::string host;       // without port; IPv6 literal without brackets
  int port = 0;           // explicit port, or 0 when absent
  std::string path = "/"; // as written (still percent-encoded), never empty
  std::string query;      // after '?', without it; may be empty

  // host[:port] as it belongs in a Host header (port only when explicit).
  std::string authority() const;
  // scheme://authority
  std::string origin() const;
  bool host_is_ip_address() const;
};

Result<Url> parse_url(std::string_view text);

// RFC 3986 encoding of everything but unreserved characters (A-Z a-z 0-9 -._~),
// as SigV4 requires. '/' is kept when encode_slash is false (object keys in
// paths).
std::string uri_encode(std::string_view text, bool encode_slash);

// Decodes %XX sequences; with plus_as_space also '+' (S3 event notifications
// encode keys like HTML forms). Malformed escapes are an error.
Result<std::string> percent_decode(std::string_view text, bool plus_as_space);

} // namespace c42
