#include "common/aws/credentials_chain.h"

namespace c42::aws {

using State = SourceSetup::State;

CredentialsChain::Choice CredentialsChain::choose() const {
  for (size_t i = 0; i < providers_.size(); ++i) {
    SourceSetup setup = providers_[i]->setup();
    if (setup.state == State::kAbsent) continue;
    if (setup.state == State::kBroken) setup.detail = providers_[i]->name() + ": " + setup.detail;
    return Choice{providers_[i].get(), std::move(setup)};
  }
  Choice none;
  none.setup = SourceSetup::broken("no AWS credentials are configured (" +
                                   absent_summary(providers_.size()) + ")");
  return none;
}

std::string CredentialsChain::absent_summary(size_t end) const {
  std::string summary;
  for (size_t i = 0; i < end && i < providers_.size(); ++i) {
    SourceSetup setup = providers_[i]->setup();
    if (setup.state != State::kAbsent) continue;
    if (!summary.empty()) summary += "; ";
    summary += providers_[i]->name() + ": " + setup.detail;
  }
  return summary;
}

Result<Credentials> CredentialsChain::get_credentials() {
  Choice choice = choose();
  if (choice.setup.state == State::kBroken)
    return make_error(choice.setup.detail, ErrorKind::kConfig);
  auto credentials = choice.provider->get_credentials();
  if (credentials.ok()) return credentials;
  Error error = credentials.error();
  error.message = source_label(choice.provider->name(), choice.setup) + ": " + error.message;
  if (choice.setup.by_default) {
    size_t at = 0;
    while (providers_[at].get() != choice.provider)
      ++at;
    error.message += "; no other source is configured (" + absent_summary(at) + ")";
  }
  if (error.kind == ErrorKind::kTransient) error.kind = ErrorKind::kFailed;
  return error;
}

std::string CredentialsChain::name() const {
  Choice choice = choose();
  return choice.provider ? choice.provider->name() : "credential chain";
}

SourceSetup CredentialsChain::setup() const {
  return choose().setup;
}

} // namespace c42::aws
