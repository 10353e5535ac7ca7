#include "common/uri.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>

namespace c42 {

std::string Url::authority() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return port ? h + ":" + std::to_string(port) : h;
}

std::string Url::origin() const {
  return scheme + "://" + authority();
}

bool Url::host_is_ip_address() const {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

Result<Url> parse_url(std::string_view text) {
  Url url;
  size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos)
    return make_error("URL has no scheme: " + std::string(text));
  url.scheme = std::string(text.substr(0, scheme_end));
  std::transform(url.scheme.begin(), url.scheme.end(), url.scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (url.scheme != "http" && url.scheme != "https")
    return make_error("URL scheme must be http or https: " + std::string(text));
  std::string_view rest = text.substr(scheme_end + 3);
  size_t path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view tail = path_start == std::string_view::npos ? "" : rest.substr(path_start);
  if (authority.find('@') != std::string_view::npos)
    return make_error("URL must not carry user information");
  std::string_view host_port = authority;
  if (!host_port.empty() && host_port[0] == '[') {
    size_t close = host_port.find(']');
    if (close == std::string_view::npos) return make_error("URL has an unclosed IPv6 literal");
    url.host = std::string(host_port.substr(1, close - 1));
    host_port.remove_prefix(close + 1);
    if (!host_port.empty() && host_port[0] != ':') return make_error("URL has a malformed host");
  } else {
    size_t colon = host_port.rfind(':');
    url.host = std::string(host_port.substr(0, colon));
    host_port = colon == std::string_view::npos ? "" : host_port.substr(colon);
  }
  if (url.host.empty()) return make_error("URL has no host: " + std::string(text));
  if (!host_port.empty()) {
    std::string_view digits = host_port.substr(1);
    if (digits.empty() || digits.size() > 5 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return make_error("URL has a malformed port: " + std::string(text));
    url.port = std::stoi(std::string(digits));
    if (url.port < 1 || url.port > 65535) return make_error("URL port is out of range");
  }
  size_t fragment = tail.find('#');
  if (fragment != std::string_view::npos) tail = tail.substr(0, fragment);
  size_t query = tail.find('?');
  std::string_view path = tail.substr(0, query);
  url.path = path.empty() ? "/" : std::string(path);
  if (query != std::string_view::npos) url.query = std::string(tail.substr(query + 1));
  return url;
}

std::string uri_encode(std::string_view text, bool encode_slash) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3 / 2);
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (c == '/' && !encode_slash)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
} // namespace

Result<std::string> percent_decode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      bool complete = i + 2 < text.size();
      int hi = complete ? hex_value(text[i + 1]) : -1;
      int lo = complete ? hex_value(text[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        return make_error("malformed percent-escape in '" + std::string(text) + "'");
      out.push_back(static_cast<char>(hi << 4 | lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

} // namespace c42
