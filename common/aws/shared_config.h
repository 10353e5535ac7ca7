// The shared AWS config and credentials files (~/.aws/config and
// ~/.aws/credentials) as the AWS SDKs read them: INI-style profiles,
// "[default]" and "[profile NAME]" in the config file, "[NAME]" in the
// credentials file, whose settings win when a profile is in both.
#pragma once

#include "common/environment.h"
#include "common/result.h"

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace c42::aws {

using ProfileSettings = std::map<std::string, std::string>;

struct SharedFiles {
  std::string config;          // AWS_CONFIG_FILE, else ~/.aws/config
  std::string credentials;     // AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials
  std::string profile;         // AWS_PROFILE, else "default"
  bool profile_chosen = false; // AWS_PROFILE is set: the profile must exist
};

// Where the files are and which profile is meant. A leading "~/" in a path
// is $HOME; without HOME the default paths are empty (no files).
SharedFiles shared_files(const Environment& env);

// "~/x" with $HOME for "~"; other paths as given.
std::string expand_home(const Environment& env, const std::string& path);

enum class SharedFileKind { kConfig, kCredentials };

// Every profile of one file's text. Lines starting with '#' or ';' are
// comments, and so is the rest of a setting's line from a '#' or ';' that
// follows whitespace; setting names and values are trimmed; indented lines
// continue the setting above (sub-settings, which no credentials setting
// has); sections that are not profiles ("[sso-session x]", "[services x]",
// a config section without "profile ") are skipped; a profile named twice
// is merged, later settings winning.
std::map<std::string, ProfileSettings> parse_shared_file(std::string_view text,
                                                         SharedFileKind kind);

// The profile files.profile from both files, the credentials file's
// settings winning; nullopt when neither has it. A missing file is empty; a
// file that exists but cannot be read is a kConfig error.
Result<std::optional<ProfileSettings>> load_profile(const SharedFiles& files);

} // namespace c42::aws
