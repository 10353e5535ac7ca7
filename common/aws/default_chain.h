// The credentials the tools use: the provider chain behind a cache. Today the
// chain holds the environment provider; web identity (Azure managed identity
// -> STS), profiles and instance metadata join it here.
#pragma once

#include "common/aws/credentials.h"
#include "common/clock.h"
#include "common/environment.h"

#include <memory>

namespace c42::aws {

std::unique_ptr<CredentialsProvider> default_credentials_provider(const Environment& env,
                                                                  const Clock& clock);

} // namespace c42::aws
