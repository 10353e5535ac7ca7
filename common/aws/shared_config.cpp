#include "common/aws/shared_config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sys/stat.h>

namespace c42::aws {

namespace {

constexpr const char* kSpace = " \t";

std::string_view trim(std::string_view s) {
  size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

// A setting's value up to a comment: '#' or ';' after whitespace.
std::string_view strip_comment(std::string_view value) {
  for (size_t i = 1; i < value.size(); ++i)
    if ((value[i] == '#' || value[i] == ';') && (value[i - 1] == ' ' || value[i - 1] == '\t'))
      return trim(value.substr(0, i));
  return value;
}

// The profile a section header names, or nullopt for a section that is not
// a profile or a header that is malformed.
std::optional<std::string> profile_of(std::string_view line, SharedFileKind kind) {
  size_t close = line.find(']');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = trim(line.substr(close + 1));
  if (!rest.empty() && rest[0] != '#' && rest[0] != ';') return std::nullopt;
  std::string_view name = trim(line.substr(1, close - 1));
  if (name.empty()) return std::nullopt;
  if (kind == SharedFileKind::kCredentials) return std::string(name);
  if (name == "default") return std::string(name);
  const std::string_view prefix = "profile";
  if (name.substr(0, prefix.size()) != prefix || name.size() == prefix.size() ||
      (name[prefix.size()] != ' ' && name[prefix.size()] != '\t'))
    return std::nullopt;
  std::string_view profile = trim(name.substr(prefix.size()));
  if (profile.empty()) return std::nullopt;
  return std::string(profile);
}

Result<std::optional<std::string>> read_if_present(const std::string& path) {
  if (path.empty()) return std::optional<std::string>();
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>();
    return make_error("cannot read " + path + ": " + std::strerror(errno), ErrorKind::kConfig);
  }
  if (!S_ISREG(info.st_mode))
    return make_error(path + " is not a regular file", ErrorKind::kConfig);
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.is_open() || in.bad()) return make_error("cannot read " + path, ErrorKind::kConfig);
  return std::optional<std::string>(std::move(text));
}

} // namespace

std::string expand_home(const Environment& env, const std::string& path) {
  if (path != "~" && path.rfind("~/", 0) != 0) return path;
  auto home = env.get("HOME");
  return home ? *home + path.substr(1) : "";
}

SharedFiles shared_files(const Environment& env) {
  SharedFiles files;
  files.config = expand_home(env, env.get("AWS_CONFIG_FILE").value_or("~/.aws/config"));
  files.credentials =
      expand_home(env, env.get("AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials"));
  auto profile = env.get("AWS_PROFILE");
  files.profile = profile.value_or("default");
  files.profile_chosen = profile.has_value();
  return files;
}

std::map<std::string, ProfileSettings> parse_shared_file(std::string_view text,
                                                         SharedFileKind kind) {
  std::map<std::string, ProfileSettings> profiles;
  ProfileSettings* current = nullptr;
  bool in_setting = false; // an indented line continues the setting above
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(start, end - start);
    start = end + 1;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    std::string_view line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    const bool indented = raw[0] == ' ' || raw[0] == '\t';
    if (line[0] == '[') {
      auto name = profile_of(line, kind);
      current = name ? &profiles[*name] : nullptr;
      in_setting = false;
      continue;
    }
    if (current == nullptr || (indented && in_setting)) continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = trim(line.substr(0, eq));
    if (key.empty()) continue;
    (*current)[std::string(key)] = std::string(strip_comment(trim(line.substr(eq + 1))));
    in_setting = true;
  }
  return profiles;
}

Result<std::optional<ProfileSettings>> load_profile(const SharedFiles& files) {
  std::optional<ProfileSettings> merged;
  // The config file first, so the credentials file's settings win.
  const std::pair<const std::string*, SharedFileKind> sources[] = {
      {&files.config, SharedFileKind::kConfig}, {&files.credentials, SharedFileKind::kCredentials}};
  for (const auto& [path, kind] : sources) {
    auto text = read_if_present(*path);
    if (!text.ok()) return text.error();
    if (!*text) continue;
    auto profiles = parse_shared_file(**text, kind);
    auto found = profiles.find(files.profile);
    if (found == profiles.end()) continue;
    if (!merged) merged.emplace();
    for (auto& [key, value] : found->second)
      (*merged)[key] = value;
  }
  return merged;
}

} // namespace c42::aws
