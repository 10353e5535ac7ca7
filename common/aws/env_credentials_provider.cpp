#include "common/aws/env_credentials_provider.h"

#include <utility>

namespace c42::aws {

// Only variable names go into messages: the values are secrets.
SourceSetup EnvCredentialsProvider::setup() const {
  const bool id = env_.get("AWS_ACCESS_KEY_ID").has_value();
  const bool secret = env_.get("AWS_SECRET_ACCESS_KEY").has_value();
  if (!id && !secret)
    return SourceSetup::absent("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
  if (!id) return SourceSetup::broken("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
  if (!secret)
    return SourceSetup::broken("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  return SourceSetup::ready("AWS_ACCESS_KEY_ID");
}

Result<Credentials> EnvCredentialsProvider::get_credentials() {
  SourceSetup checked = setup();
  if (checked.state != SourceSetup::State::kReady)
    return make_error(checked.detail, ErrorKind::kConfig);
  Credentials credentials;
  credentials.access_key_id = *env_.get("AWS_ACCESS_KEY_ID");
  credentials.secret_access_key = *env_.get("AWS_SECRET_ACCESS_KEY");
  credentials.session_token = env_.get("AWS_SESSION_TOKEN").value_or("");
  return credentials;
}

} // namespace c42::aws
