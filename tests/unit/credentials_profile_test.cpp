// The shared config and credentials files, the profile source that reads
// them, and credential_process.
#include "common/aws/process_credentials_provider.h"
#include "common/aws/profile_credentials_provider.h"
#include "common/aws/shared_config.h"
#include "common/time_format.h"
#include "tests/unit/credentials_support.h"

#include <chrono>
#include <gtest/gtest.h>

namespace c42::aws {
namespace {

using test_support::contains;
using test_support::reply;
using test_support::ScratchDir;
using test_support::SharedScriptedHttp;
using State = SourceSetup::State;

// --- parse_shared_file ---

TEST(SharedConfig, ConfigProfilesAreDefaultOrPrefixedAndOtherSectionsSkipped) {
  auto profiles = parse_shared_file(R"([default]
region = eu-west-1
[profile c42]
role_arn=arn:aws:iam::123456789012:role/c42
[profile   spaced  ]
a = 1
[sso-session corp]
sso_start_url = https://example
[services dev]
s3 =
  endpoint_url = http://127.0.0.1
[not-a-profile]
b = 2
[profile]
c = 3
)",
                                    SharedFileKind::kConfig);
  ASSERT_EQ(profiles.size(), 3u);
  EXPECT_EQ(profiles["default"]["region"], "eu-west-1");
  EXPECT_EQ(profiles["c42"]["role_arn"], "arn:aws:iam::123456789012:role/c42");
  EXPECT_EQ(profiles["spaced"]["a"], "1");
}

TEST(SharedConfig, CredentialsProfilesAreNamedPlainly) {
  auto profiles = parse_shared_file("[default]\naws_access_key_id = AKID\n[c42]\nx = y\n",
                                    SharedFileKind::kCredentials);
  EXPECT_EQ(profiles["default"]["aws_access_key_id"], "AKID");
  EXPECT_EQ(profiles["c42"]["x"], "y");
}

TEST(SharedConfig, CommentsContinuationsAndLineEndings) {
  auto profiles = parse_shared_file("# comment\r\n; another\r\n[default] # trailing\r\n"
                                    "key = value # comment\r\n"
                                    "hash = a#b;c\r\n"
                                    "spaced = with space ; comment\r\n"
                                    "s3 =\r\n"
                                    "  max_concurrent_requests = 20\r\n"
                                    "after = yes\r\n"
                                    "empty =\r\n"
                                    " = no name\r\n"
                                    "no equals sign\r\n",
                                    SharedFileKind::kConfig);
  const ProfileSettings& p = profiles["default"];
  EXPECT_EQ(p.at("key"), "value");
  EXPECT_EQ(p.at("hash"), "a#b;c"); // a comment needs whitespace before it
  EXPECT_EQ(p.at("spaced"), "with space");
  EXPECT_EQ(p.at("s3"), "");
  EXPECT_EQ(p.count("max_concurrent_requests"), 0u); // a sub-setting of s3
  EXPECT_EQ(p.at("after"), "yes");
  EXPECT_EQ(p.at("empty"), "");
  EXPECT_EQ(p.size(), 6u);
}

TEST(SharedConfig, AProfileNamedTwiceIsMergedLaterWinning) {
  auto profiles = parse_shared_file("[default]\na = 1\nb = 1\n[other]\n[default]\nb = 2\n",
                                    SharedFileKind::kCredentials);
  EXPECT_EQ(profiles["default"]["a"], "1");
  EXPECT_EQ(profiles["default"]["b"], "2");
}

TEST(SharedConfig, PathsComeFromTheEnvironmentOrHome) {
  MapEnvironment env(std::map<std::string, std::string>{{"HOME", "/home/u"}});
  SharedFiles files = shared_files(env);
  EXPECT_EQ(files.config, "/home/u/.aws/config");
  EXPECT_EQ(files.credentials, "/home/u/.aws/credentials");
  EXPECT_EQ(files.profile, "default");
  EXPECT_FALSE(files.profile_chosen);
  env.set("AWS_CONFIG_FILE", "~/cfg");
  env.set("AWS_SHARED_CREDENTIALS_FILE", "/etc/creds");
  env.set("AWS_PROFILE", "c42");
  files = shared_files(env);
  EXPECT_EQ(files.config, "/home/u/cfg");
  EXPECT_EQ(files.credentials, "/etc/creds");
  EXPECT_EQ(files.profile, "c42");
  EXPECT_TRUE(files.profile_chosen);
  EXPECT_EQ(shared_files(MapEnvironment()).config, ""); // no HOME: no default files
}

TEST(SharedConfig, TheCredentialsFileWinsAndMissingFilesAreEmpty) {
  ScratchDir dir;
  SharedFiles files;
  files.config = dir.write("config", "[profile p]\na = config\nb = config\n");
  files.credentials = dir.write("credentials", "[p]\nb = credentials\n");
  files.profile = "p";
  auto loaded = load_profile(files);
  ASSERT_TRUE(loaded.ok());
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((**loaded)["a"], "config");
  EXPECT_EQ((**loaded)["b"], "credentials");
  files.credentials = dir.path() + "/missing";
  files.profile = "q";
  loaded = load_profile(files);
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->has_value());
  files.config = dir.path(); // a directory cannot be read as a file
  loaded = load_profile(files);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().kind, ErrorKind::kConfig);
}

// --- ProfileCredentialsProvider ---

class Profile : public testing::Test {
protected:
  Profile() : clock(parse_iso8601("2024-05-01T12:00:00Z").value()) { env.set("HOME", dir.path()); }
  void config(const std::string& text) {
    dir.write("config", text), env.set("AWS_CONFIG_FILE", dir.path() + "/config");
  }
  void credentials(const std::string& text) {
    dir.write("credentials", text);
    env.set("AWS_SHARED_CREDENTIALS_FILE", dir.path() + "/credentials");
  }
  ProfileCredentialsProvider provider() {
    return ProfileCredentialsProvider(env, test_support::network(peer, clock));
  }

  ScratchDir dir;
  MapEnvironment env;
  FixedClock clock;
  SharedScriptedHttp peer;
};

TEST_F(Profile, NoFilesOrNoProfileIsAbsentUnlessAwsProfileNamesOne) {
  SourceSetup setup = provider().setup();
  EXPECT_EQ(setup.state, State::kAbsent);
  EXPECT_TRUE(contains(setup.detail, "no profile default in " + dir.path() + "/.aws/credentials"))
      << setup.detail;
  env.set("AWS_PROFILE", "c42");
  setup = provider().setup();
  EXPECT_EQ(setup.state, State::kBroken);
  EXPECT_TRUE(contains(setup.detail, "AWS_PROFILE names a profile that is in neither"));
  EXPECT_EQ(provider().name(), "profile c42");
}

TEST_F(Profile, AProfileWithoutCredentialsIsAbsentSoTheChainGoesOn) {
  config("[default]\nregion = eu-west-1\n");
  EXPECT_EQ(provider().setup().state, State::kAbsent);
  env.set("AWS_PROFILE", "default");
  EXPECT_EQ(provider().setup().state, State::kBroken);
}

TEST_F(Profile, StaticKeysFromTheCredentialsFile) {
  credentials("[default]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = s3cr3t\n"
              "aws_session_token = tok\n");
  SourceSetup setup = provider().setup();
  EXPECT_EQ(source_label(provider().name(), setup), "profile default (aws_access_key_id)");
  auto c = provider().get_credentials();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->access_key_id, "AKIDPROFILE");
  EXPECT_EQ(c->secret_access_key, "s3cr3t");
  EXPECT_EQ(c->session_token, "tok");
  EXPECT_FALSE(c->expiration);
  credentials("[default]\naws_access_key_id = AKIDPROFILE\n");
  EXPECT_EQ(provider().setup().state, State::kBroken);
  EXPECT_EQ(provider().get_credentials().error().kind, ErrorKind::kConfig);
}

TEST_F(Profile, RoleArnWithAWebIdentityTokenFileIsExchangedAtSts) {
  dir.write("token", "profile.token");
  env.set("AWS_PROFILE", "c42");
  config("[profile c42]\nrole_arn = arn:aws:iam::123456789012:role/c42-shipper\n"
         "web_identity_token_file = ~/token\nrole_session_name = from-profile\n");
  EXPECT_EQ(source_label(provider().name(), provider().setup()),
            "profile c42 (role_arn, web_identity_token_file)");
  peer.http.script.push_back(
      reply(200, "<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIAPROFILE"
                 "</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t"
                 "</SessionToken><Expiration>2024-05-01T13:00:00Z</Expiration></Credentials>"
                 "</AssumeRoleWithWebIdentityResult>"));
  auto c = provider().get_credentials();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->access_key_id, "ASIAPROFILE");
  const std::string& body = peer.http.requests.at(0).body;
  EXPECT_TRUE(contains(body, "WebIdentityToken=profile.token"));
  EXPECT_TRUE(contains(body, "RoleSessionName=from-profile"));
  EXPECT_TRUE(contains(body, "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fc42-shipper"));

  config("[profile c42]\nrole_arn = arn:aws:iam::123456789012:role/c42-shipper\n"
         "web_identity_token_file = ~/missing\n");
  EXPECT_TRUE(
      contains(provider().setup().detail,
               "cannot read web_identity_token_file of profile c42 (" + dir.path() + "/missing)"))
      << provider().setup().detail;
}

TEST_F(Profile, KindsNotSupportedSayWhatToUseInstead) {
  config("[default]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n");
  EXPECT_TRUE(contains(provider().setup().detail, "source_profile or credential_source"));
  config("[default]\nrole_arn = arn:aws:iam::1:role/r\n");
  EXPECT_TRUE(contains(provider().setup().detail, "web_identity_token_file is not"));
  config("[default]\nsso_session = corp\n");
  EXPECT_TRUE(contains(provider().setup().detail, "SSO profiles are not supported"));
  EXPECT_TRUE(peer.http.requests.empty());
}

TEST_F(Profile, CredentialProcessComesBeforeStaticKeys) {
  std::string script = dir.write("creds.sh",
                                 "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\","
                                 " \"SecretAccessKey\": \"s\"}'\n",
                                 true);
  credentials("[default]\naws_access_key_id = AKIDSTATIC\naws_secret_access_key = s\n");
  config("[default]\ncredential_process = " + script + "\n");
  EXPECT_EQ(source_label(provider().name(), provider().setup()),
            "profile default (credential_process)");
  auto c = provider().get_credentials();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->access_key_id, "AKIDPROC");
}

// --- ProcessCredentialsProvider ---

TEST(CredentialProcess, SplitsLikeTheSdksQuotesKeepingSpaces) {
  EXPECT_EQ(split_command_line("/opt/bin/creds --user helen").value(),
            (std::vector<std::string>{"/opt/bin/creds", "--user", "helen"}));
  EXPECT_EQ(split_command_line("\"/opt/my tools/creds\"  --name \"a b\" \"\"").value(),
            (std::vector<std::string>{"/opt/my tools/creds", "--name", "a b", ""}));
  EXPECT_FALSE(split_command_line("  ").ok());
  EXPECT_FALSE(split_command_line("\"unterminated").ok());
}

class CredentialProcessRun : public testing::Test {
protected:
  ProcessCredentialsProvider
  provider(const std::string& body, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::string script = dir.write("creds.sh", "#!/bin/sh\n" + body, true);
    return ProcessCredentialsProvider("\"" + script + "\" --arg", "credential_process of profile p",
                                      timeout);
  }
  ScratchDir dir;
};

TEST_F(CredentialProcessRun, ReadsVersion1OutputWithExpiration) {
  auto p = provider("[ \"$1\" = --arg ] || exit 9\n"
                    "echo 'secret-on-stderr' >&2\n"
                    "echo '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": "
                    "\"proc-secret\", \"SessionToken\": \"proc-token\", \"Expiration\": "
                    "\"2024-05-01T13:00:00Z\"}'\n");
  EXPECT_EQ(p.setup().state, State::kReady);
  auto c = p.get_credentials();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->access_key_id, "AKIDPROC");
  EXPECT_EQ(c->secret_access_key, "proc-secret");
  EXPECT_EQ(c->session_token, "proc-token");
  EXPECT_EQ(c->expiration, parse_iso8601("2024-05-01T13:00:00Z").value());
}

TEST_F(CredentialProcessRun, FailuresSayHowItEndedButNeverWhatItPrinted) {
  struct Case {
    const char* body;
    const char* says;
  } cases[] = {
      {"echo 'secret-on-stderr' >&2; echo 'secret-on-stdout'; exit 3",
       "exited with status 3 (its standard error is not shown: it may hold secrets)"},
      {"echo 'secret-on-stdout {'", "is not a JSON object"},
      {"echo '{\"Version\": 2, \"AccessKeyId\": \"secret-on-stdout\", \"SecretAccessKey\": "
       "\"x\"}'",
       "must have \"Version\": 1"},
      {"echo '{\"Version\": 1, \"SecretAccessKey\": \"secret-on-stdout\"}'",
       "has no AccessKeyId or SecretAccessKey"},
      {"echo '{\"Version\": 1, \"AccessKeyId\": \"a\", \"SecretAccessKey\": \"secret-on-stdout\", "
       "\"Expiration\": \"soon\"}'",
       "Expiration that is not ISO 8601"},
      {"kill -KILL $$", "was killed by signal 9"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    auto result = provider(std::string(c.body) + "\n").get_credentials();
    ASSERT_FALSE(result.ok());
    const std::string& message = result.error().message;
    EXPECT_TRUE(contains(message, "credential_process of profile p")) << message;
    EXPECT_TRUE(contains(message, c.says)) << message;
    EXPECT_FALSE(contains(message, "secret-on-"));
  }
}

TEST_F(CredentialProcessRun, ACommandThatHangsIsStopped) {
  auto started = std::chrono::steady_clock::now();
  auto result = provider("exec sleep 30\n", std::chrono::milliseconds(300)).get_credentials();
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(contains(result.error().message, "did not finish within"));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST_F(CredentialProcessRun, AMissingProgramIsAConfigurationError) {
  ProcessCredentialsProvider p(dir.path() + "/nonexistent", "credential_process of profile p");
  auto result = p.get_credentials();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kConfig);
  EXPECT_TRUE(contains(result.error().message, "No such file")) << result.error().message;
}

} // namespace
} // namespace c42::aws
