#include "common/json_value.h"

#include <cstring>
#include <memory>

namespace c42 {

namespace {

const Json::CharReaderBuilder& strict_builder() {
  static const Json::CharReaderBuilder builder = [] {
    Json::CharReaderBuilder b;
    Json::CharReaderBuilder::strictMode(&b.settings_);
    b.settings_["stackLimit"] = 256;
    return b;
  }();
  return builder;
}

const Json::StreamWriterBuilder& compact_writer() {
  static const Json::StreamWriterBuilder builder = [] {
    Json::StreamWriterBuilder b;
    b["indentation"] = "";
    b["commentStyle"] = "None";
    b["emitUTF8"] = false;
    return b;
  }();
  return builder;
}

} // namespace

Result<Json::Value> parse_json(std::string_view text) {
  thread_local std::unique_ptr<Json::CharReader> reader(strict_builder().newCharReader());
  Json::Value value;
  std::string errors;
  try {
    if (!reader->parse(text.data(), text.data() + text.size(), &value, &errors)) {
      // jsoncpp reports "* Line 1, Column 5\n  message\n" per error; the
      // first error is the one worth a one-line diagnostic.
      auto trim = [](std::string t) {
        size_t b = t.find_first_not_of(" *");
        size_t e = t.find_last_not_of(' ');
        return b == std::string::npos ? std::string() : t.substr(b, e - b + 1);
      };
      size_t first_break = errors.find('\n');
      std::string where = trim(errors.substr(0, first_break));
      std::string what;
      if (first_break != std::string::npos) {
        size_t second_break = errors.find('\n', first_break + 1);
        what = trim(errors.substr(first_break + 1, second_break - first_break - 1));
      }
      std::string line = what.empty() ? where : where + ": " + what;
      return make_error("invalid JSON: " + line);
    }
  } catch (const std::exception& e) {
    return make_error(std::string("invalid JSON: ") + e.what());
  }
  return value;
}

Result<Json::Value> parse_json_object(std::string_view text) {
  auto value = parse_json(text);
  if (!value.ok()) return value;
  if (!value->isObject()) return make_error("expected a JSON object");
  return value;
}

std::string to_json_line(const Json::Value& value) {
  return Json::writeString(compact_writer(), value);
}

std::string string_member(const Json::Value& object, const char* name) {
  const Json::Value* member = object.isObject() ? object.find(name, name + strlen(name)) : nullptr;
  return member != nullptr && member->isString() ? member->asString() : std::string();
}

bool has_string_member(const Json::Value& object, const char* name) {
  const Json::Value* member = object.isObject() ? object.find(name, name + strlen(name)) : nullptr;
  return member != nullptr && member->isString();
}

} // namespace c42
