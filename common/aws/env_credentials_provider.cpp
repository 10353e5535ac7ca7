#include "common/aws/env_credentials_provider.h"

#include <utility>

namespace c42::aws {

Result<Credentials> EnvCredentialsProvider::get_credentials() {
  auto access_key_id = env_.get("AWS_ACCESS_KEY_ID");
  auto secret_access_key = env_.get("AWS_SECRET_ACCESS_KEY");
  // Only variable names go into the message: the values are secrets.
  if (!access_key_id && !secret_access_key)
    return make_error("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
  if (!access_key_id)
    return make_error("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
  if (!secret_access_key)
    return make_error("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  Credentials credentials;
  credentials.access_key_id = std::move(*access_key_id);
  credentials.secret_access_key = std::move(*secret_access_key);
  credentials.session_token = env_.get("AWS_SESSION_TOKEN").value_or("");
  return credentials;
}

} // namespace c42::aws
