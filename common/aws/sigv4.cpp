#include "common/aws/sigv4.h"

#include "common/crypto.h"
#include "common/time_format.h"
#include "common/uri.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <strings.h>
#include <utility>
#include <vector>

namespace c42::aws {

namespace {

constexpr char kAlgorithm[] = "AWS4-HMAC-SHA256";

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

std::string lower_ascii(std::string text) {
  for (char& c : text)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return text;
}

bool is_authorization(const std::string& name) {
  return strcasecmp(name.c_str(), "authorization") == 0;
}

// Trims and collapses each run of inner whitespace to one space, as the
// canonical form requires (even inside quotes: see get-header-value-trim).
std::string canonical_header_value(const std::string& value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

// Lower-cased name -> values in request order. std::map gives the byte-wise
// name order SigV4 sorts by.
std::map<std::string, std::vector<std::string>> signable_headers(const HttpRequest& request) {
  std::map<std::string, std::vector<std::string>> headers;
  for (const auto& [name, value] : request.headers) {
    if (is_authorization(name)) continue;
    headers[lower_ascii(name)].push_back(canonical_header_value(value));
  }
  return headers;
}

// RFC 3986 dot-segment removal plus collapsing of empty segments, which is
// what the suite's normalize-path cases expect ("//example//" -> "/example/").
std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> segments;
  bool trailing_slash = false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    bool last = end == path.size();
    if (segment.empty() || segment == ".") {
      trailing_slash = last;
    } else if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      trailing_slash = last;
    } else {
      segments.push_back(segment);
      trailing_slash = false;
    }
    start = end + 1;
  }
  std::string out;
  for (std::string_view segment : segments) {
    out.push_back('/');
    out.append(segment);
  }
  if (out.empty() || trailing_slash) out.push_back('/');
  return out;
}

std::string canonical_uri(const Url& url, bool s3_mode) {
  if (s3_mode) return url.path;
  // The path arrives percent-encoded; encoding it once more is the
  // "double encoding" AWS specifies for every service but S3.
  return uri_encode(normalize_path(url.path), false);
}

// A name or value whose escapes are malformed is encoded as written rather
// than dropped, so the request still signs and the server decides.
std::string canonical_query_component(std::string_view raw) {
  auto decoded = percent_decode(raw, false);
  return uri_encode(decoded.ok() ? decoded.value() : std::string(raw), true);
}

std::string canonical_query(const std::string& query) {
  std::vector<std::pair<std::string, std::string>> params;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    std::string_view param = std::string_view(query).substr(start, end - start);
    if (!param.empty()) {
      size_t equals = param.find('=');
      std::string_view name = param.substr(0, equals);
      std::string_view value =
          equals == std::string_view::npos ? std::string_view() : param.substr(equals + 1);
      params.emplace_back(canonical_query_component(name), canonical_query_component(value));
    }
    start = end + 1;
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    out += name + "=" + value;
  }
  return out;
}

std::string joined_names(const std::map<std::string, std::vector<std::string>>& headers) {
  std::string out;
  for (const auto& entry : headers) {
    if (!out.empty()) out.push_back(';');
    out += entry.first;
  }
  return out;
}

void replace_header(HttpHeaders& headers, const std::string& name, const std::string& value) {
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [&](const auto& header) {
                                 return strcasecmp(header.first.c_str(), name.c_str()) == 0;
                               }),
                headers.end());
  headers.emplace_back(name, value);
}

} // namespace

std::string signed_header_names(const HttpRequest& request) {
  return joined_names(signable_headers(request));
}

std::string canonical_request(const HttpRequest& request, const SigningConfig& config) {
  // sign_request rejects unparsable URLs before getting here; a direct
  // caller with a bad URL gets the root path rather than a crash.
  auto parsed = parse_url(request.url);
  Url url = parsed.ok() ? parsed.value() : Url{};

  std::string out = request.method + "\n";
  out += canonical_uri(url, config.s3_mode) + "\n";
  out += canonical_query(url.query) + "\n";
  auto headers = signable_headers(request);
  for (const auto& [name, values] : headers) {
    out += name + ":";
    for (size_t i = 0; i < values.size(); ++i)
      out += (i ? "," : "") + values[i];
    out += "\n";
  }
  out += "\n";
  out += joined_names(headers) + "\n";
  out += config.payload_hash ? *config.payload_hash : sha256_hex(request.payload());
  return out;
}

std::string credential_scope(const SigningConfig& config) {
  return format_date_stamp(config.time) + "/" + config.region + "/" + config.service +
         "/aws4_request";
}

std::string string_to_sign(const std::string& canonical_request, const SigningConfig& config) {
  return std::string(kAlgorithm) + "\n" + format_amz_date(config.time) + "\n" +
         credential_scope(config) + "\n" + sha256_hex(canonical_request);
}

std::string signing_key(const std::string& secret_access_key, const SigningConfig& config) {
  std::string date_key =
      hmac_sha256_raw("AWS4" + secret_access_key, format_date_stamp(config.time));
  std::string region_key = hmac_sha256_raw(date_key, config.region);
  std::string service_key = hmac_sha256_raw(region_key, config.service);
  return hmac_sha256_raw(service_key, "aws4_request");
}

std::string signature(const std::string& secret_access_key, const SigningConfig& config,
                      const std::string& string_to_sign) {
  return hex_encode(hmac_sha256_raw(signing_key(secret_access_key, config), string_to_sign));
}

Status sign_request(HttpRequest& request, const Credentials& credentials,
                    const SigningConfig& config) {
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty())
    return make_error("cannot sign request: the AWS access key id or secret access key is empty");
  if (config.region.empty() || config.service.empty())
    return make_error("cannot sign request: no AWS region or service name");
  auto url = parse_url(request.url);
  if (!url.ok()) return make_error("cannot sign request: " + url.error().message);

  if (!find_header(request.headers, "Host")) request.headers.emplace_back("Host", url->authority());
  replace_header(request.headers, "X-Amz-Date", format_amz_date(config.time));
  if (!credentials.session_token.empty())
    replace_header(request.headers, "X-Amz-Security-Token", credentials.session_token);
  SigningConfig effective = config;
  if (!effective.payload_hash) effective.payload_hash = sha256_hex(request.payload());
  if (config.s3_mode)
    replace_header(request.headers, "x-amz-content-sha256", *effective.payload_hash);

  std::string to_sign = string_to_sign(canonical_request(request, effective), effective);
  std::string authorization =
      std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" +
      credential_scope(config) + ", SignedHeaders=" + signed_header_names(request) +
      ", Signature=" + signature(credentials.secret_access_key, config, to_sign);
  replace_header(request.headers, "Authorization", authorization);
  return Status::success();
}

} // namespace c42::aws
