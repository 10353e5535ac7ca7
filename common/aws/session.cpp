#include "common/aws/session.h"

#include "common/aws/default_chain.h"
#include "common/aws/endpoints.h"

namespace c42::aws {

Result<Session> Session::open(const Environment& env, const Clock& clock, HttpClientFactory http,
                              const std::string& region_hint) {
  auto region = resolve_region(env, region_hint);
  if (!region.ok()) return region.error();
  std::shared_ptr<CredentialsProvider> credentials =
      default_credentials_provider(env, clock, std::move(http));
  auto check = credentials->get_credentials();
  if (!check.ok()) return check.error();
  return Session(std::move(credentials), std::move(region.value()), clock);
}

ServiceContext Session::context(HttpClient* http, const std::string& service) const {
  ServiceContext ctx;
  ctx.http = http;
  ctx.credentials = credentials_.get();
  ctx.clock = clock_;
  ctx.region = region_;
  ctx.service = service;
  return ctx;
}

} // namespace c42::aws
