#include "common/aws/credentials_chain.h"

namespace c42::aws {

Result<Credentials> CredentialsChain::get_credentials() {
  if (providers_.empty()) return make_error("no AWS credential sources are configured");
  std::string reasons;
  for (const auto& provider : providers_) {
    auto credentials = provider->get_credentials();
    if (credentials.ok()) return credentials;
    if (!reasons.empty()) reasons += "; ";
    reasons += provider->name() + ": " + credentials.error().message;
  }
  return make_error("no AWS credentials found (" + reasons + ")");
}

} // namespace c42::aws
