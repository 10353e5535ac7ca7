#include "common/aws/static_credentials_provider.h"

namespace c42::aws {

Result<Credentials> StaticCredentialsProvider::get_credentials() {
  if (credentials_.access_key_id.empty() || credentials_.secret_access_key.empty())
    return make_error("the access key id or secret access key is empty", ErrorKind::kConfig);
  return credentials_;
}

} // namespace c42::aws
