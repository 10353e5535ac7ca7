#include "common/aws/provider_support.h"

#include "common/json_value.h"
#include "common/time_format.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sys/stat.h>

namespace c42::aws {

Result<ServiceContext> ProviderClient::context(int attempts, Timeouts timeouts) {
  if (!http_) {
    if (!net_.http || net_.clock == nullptr)
      return make_error("no HTTP client was provided for fetching credentials");
    http_ = net_.http();
  }
  ServiceContext ctx;
  ctx.http = http_.get();
  ctx.clock = net_.clock;
  ctx.region = net_.region;
  ctx.timeouts = timeouts;
  ctx.sleeper = net_.sleeper;
  ctx.retry.max_attempts = std::max(attempts, 1); // a count, never kUntilDeadline
  ctx.retry.base_delay = Millis(100);
  ctx.retry.max_delay = Millis(1000);
  return ctx;
}

Result<Credentials> credentials_from_json(const Json::Value& reply, const char* token_member,
                                          const std::string& what) {
  Credentials c;
  c.access_key_id = string_member(reply, "AccessKeyId");
  c.secret_access_key = string_member(reply, "SecretAccessKey");
  c.session_token = string_member(reply, token_member);
  if (c.access_key_id.empty() || c.secret_access_key.empty())
    return make_error(what + " has no AccessKeyId or SecretAccessKey");
  if (reply.isMember("Expiration")) {
    std::string text = string_member(reply, "Expiration");
    auto expiration = parse_iso8601(text);
    if (!expiration.ok()) return make_error(what + " has an Expiration that is not ISO 8601");
    c.expiration = *expiration;
  }
  return c;
}

Result<std::string> read_token_file(const std::string& path, const std::string& setting) {
  // Tokens are a few kilobytes (STS takes up to 20,000 characters).
  constexpr off_t kMaxTokenBytes = 256 * 1024;
  const std::string what = setting + " (" + path + ")";
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    return make_error("cannot read " + what + ": " + std::strerror(errno), ErrorKind::kConfig);
  if (!S_ISREG(info.st_mode))
    return make_error(what + " is not a regular file", ErrorKind::kConfig);
  if (info.st_size > kMaxTokenBytes)
    return make_error(what + " is larger than a token can be", ErrorKind::kConfig);
  std::ifstream in(path, std::ios::binary);
  std::string token((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.is_open() || in.bad()) return make_error("cannot read " + what, ErrorKind::kConfig);
  const char* space = " \t\r\n";
  size_t first = token.find_first_not_of(space);
  if (first == std::string::npos) return make_error(what + " is empty", ErrorKind::kConfig);
  token = token.substr(first, token.find_last_not_of(space) - first + 1);
  return token;
}

} // namespace c42::aws
