// AWS credentials and the provider interface every credential source
// implements (environment, web identity/STS, profile, container, IMDS),
// modelled on aws-c-auth so sources compose: a chain picks the source that
// is configured and a cache sits in front of the chain.
#pragma once

#include "common/clock.h"
#include "common/result.h"

#include <optional>
#include <string>

namespace c42::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token; // empty for long-term keys
  // Absent for credentials that never expire (static keys); temporary
  // credentials carry it so the cache knows when to refresh.
  std::optional<TimePoint> expiration;
};

// What a source's settings say, read without fetching credentials: no
// network call, no process started (--check-config asks only this).
struct SourceSetup {
  enum class State {
    kAbsent, // none of its settings is present: a chain asks the next source
    kReady,  // configured; get_credentials() fetches from it
    kBroken, // configured but unusable: `detail` says what to fix
  };
  State state = State::kReady;
  // kAbsent: what would configure it ("AWS_ROLE_ARN is not set"); kReady:
  // the settings that chose it ("AWS_WEB_IDENTITY_TOKEN_FILE"), for
  // messages; kBroken: what is wrong and how to fix it.
  std::string detail;
  // Ready without a setting of its own (instance metadata is tried on any
  // machine): when it fails, the chain also says what else could be set.
  bool by_default = false;

  static SourceSetup absent(std::string why) { return {State::kAbsent, std::move(why), false}; }
  static SourceSetup ready(std::string settings, bool by_default = false) {
    return {State::kReady, std::move(settings), by_default};
  }
  static SourceSetup broken(std::string fix) { return {State::kBroken, std::move(fix), false}; }
};

class CredentialsProvider {
public:
  virtual ~CredentialsProvider() = default;
  // An error message says why this source has no credentials and what to
  // fix; it never contains secret material. A provider that calls the
  // network retries there as its service's documentation says; the chain
  // then makes its failure final (never kTransient), so the AWS call that
  // asked for credentials does not retry the whole exchange again.
  virtual Result<Credentials> get_credentials() = 0;
  // Short label for messages ("environment", "profile default").
  virtual std::string name() const = 0;
  // A source with nothing to configure (static keys) is always ready.
  virtual SourceSetup setup() const { return SourceSetup::ready(""); }
};

// "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)": a source's name and the
// settings that chose it, as messages and `sqs-poll --whoami` show it.
inline std::string source_label(const std::string& name, const SourceSetup& setup) {
  if (setup.state != SourceSetup::State::kReady || setup.detail.empty()) return name;
  return name + " (" + setup.detail + ")";
}

} // namespace c42::aws
