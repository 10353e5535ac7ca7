#include "common/aws/profile_credentials_provider.h"

#include "common/aws/process_credentials_provider.h"
#include "common/aws/static_credentials_provider.h"
#include "common/aws/web_identity_credentials_provider.h"

namespace c42::aws {

ProfileCredentialsProvider::ProfileCredentialsProvider(const Environment& env, ProviderNetwork net)
    : env_(env), net_(std::move(net)) {}

std::string ProfileCredentialsProvider::name() const {
  return "profile " + shared_files(env_).profile;
}

ProfileCredentialsProvider::Resolved ProfileCredentialsProvider::resolve() const {
  const SharedFiles files = shared_files(env_);
  const std::string where =
      (files.credentials.empty() ? std::string("no credentials file") : files.credentials) +
      " or " + (files.config.empty() ? std::string("no config file") : files.config);
  auto loaded = load_profile(files);
  if (!loaded.ok()) return {SourceSetup::broken(loaded.error().message), nullptr};
  if (!*loaded) {
    if (files.profile_chosen)
      return {SourceSetup::broken("AWS_PROFILE names a profile that is in neither " + where),
              nullptr};
    return {SourceSetup::absent("no profile " + files.profile + " in " + where), nullptr};
  }
  const ProfileSettings& p = **loaded;
  auto get = [&p](const char* key) {
    auto found = p.find(key);
    return found == p.end() ? std::string() : found->second;
  };
  auto has = [&p](const char* key) { return p.count(key) > 0; };
  const std::string of = " of profile " + files.profile;

  if (has("role_arn")) {
    if (has("source_profile") || has("credential_source"))
      return {SourceSetup::broken("role_arn with source_profile or credential_source (a signed "
                                  "AssumeRole) is not supported: give the profile "
                                  "web_identity_token_file or credential_process instead"),
              nullptr};
    if (!has("web_identity_token_file"))
      return {SourceSetup::broken("role_arn is set but web_identity_token_file is not: set it to "
                                  "the file that holds the web identity token"),
              nullptr};
    WebIdentitySettings s;
    s.role_arn = get("role_arn");
    s.token_file = expand_home(env_, get("web_identity_token_file"));
    s.session_name = get("role_session_name");
    s.token_setting = "web_identity_token_file" + of;
    s.role_setting = "role_arn" + of;
    s.session_setting = "role_session_name" + of;
    auto source = std::make_unique<WebIdentityCredentialsProvider>(env_, std::move(s), net_);
    SourceSetup setup = source->setup();
    if (setup.state == SourceSetup::State::kReady)
      setup.detail = "role_arn, web_identity_token_file";
    return {std::move(setup), std::move(source)};
  }
  if (has("sso_session") || has("sso_start_url"))
    return {SourceSetup::broken("SSO profiles are not supported: use credential_process, or "
                                "export the credentials to the environment"),
            nullptr};
  if (has("credential_process")) {
    auto source = std::make_unique<ProcessCredentialsProvider>(get("credential_process"),
                                                               "credential_process" + of);
    SourceSetup setup = source->setup();
    if (setup.state == SourceSetup::State::kReady) setup.detail = "credential_process";
    return {std::move(setup), std::move(source)};
  }
  if (has("aws_access_key_id") || has("aws_secret_access_key")) {
    Credentials c;
    c.access_key_id = get("aws_access_key_id");
    c.secret_access_key = get("aws_secret_access_key");
    c.session_token = get("aws_session_token");
    if (c.access_key_id.empty() || c.secret_access_key.empty())
      return {SourceSetup::broken("the profile needs both aws_access_key_id and "
                                  "aws_secret_access_key"),
              nullptr};
    return {SourceSetup::ready("aws_access_key_id"),
            std::make_unique<StaticCredentialsProvider>(std::move(c), name())};
  }
  const std::string none = "profile " + files.profile +
                           " has no credentials (role_arn with "
                           "web_identity_token_file, credential_process, or "
                           "aws_access_key_id and aws_secret_access_key)";
  if (files.profile_chosen) return {SourceSetup::broken(none), nullptr};
  return {SourceSetup::absent(none), nullptr};
}

SourceSetup ProfileCredentialsProvider::setup() const {
  return resolve().setup;
}

Result<Credentials> ProfileCredentialsProvider::get_credentials() {
  Resolved resolved = resolve();
  if (resolved.setup.state != SourceSetup::State::kReady)
    return make_error(resolved.setup.detail, ErrorKind::kConfig);
  return resolved.source->get_credentials();
}

} // namespace c42::aws
