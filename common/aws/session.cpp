#include "common/aws/session.h"

#include "common/aws/default_chain.h"
#include "common/aws/endpoints.h"

namespace c42::aws {

Result<Session> Session::open(const Environment& env, const Clock& clock, HttpClientFactory http,
                              const std::string& region_hint, CredentialCheck check) {
  auto region = resolve_region(env, region_hint);
  if (!region.ok()) return region.error();
  std::shared_ptr<CredentialsProvider> credentials =
      default_credentials_provider(env, clock, std::move(http), region.value());
  if (check == CredentialCheck::kSetupOnly) {
    SourceSetup setup = credentials->setup();
    if (setup.state == SourceSetup::State::kBroken)
      return make_error(setup.detail, ErrorKind::kConfig);
  } else {
    auto fetched = credentials->get_credentials();
    if (!fetched.ok()) return fetched.error();
  }
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

std::string Session::credentials_source() const {
  return source_label(credentials_->name(), credentials_->setup());
}

Result<S3Session> open_s3_session(const Environment& env, const Clock& clock,
                                  HttpClientFactory http, CredentialCheck check, bool path_style) {
  auto session = Session::open(env, clock, std::move(http), "", check);
  if (!session.ok()) return session.error();
  auto addressing = resolve_s3_addressing(env, session->region(), path_style);
  if (!addressing.ok()) return addressing.error();
  return S3Session{std::move(*session), std::move(*addressing)};
}

} // namespace c42::aws
