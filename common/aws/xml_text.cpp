#include "common/aws/xml_text.h"

#include <cstdint>

namespace c42::aws {

namespace {

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// A character reference's code point, or 0 when it is not one XML allows.
uint32_t char_ref(std::string_view digits, int base) {
  if (digits.empty() || digits.size() > 8) return 0;
  uint32_t cp = 0;
  for (char c : digits) {
    int v = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : 99;
    if (v >= base) return 0;
    cp = cp * base + v;
  }
  bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
  return cp == 0 || surrogate || cp > 0x10FFFF ? 0 : cp;
}

std::string decode_entities(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    size_t semi = text[i] == '&' ? text.find(';', i) : std::string_view::npos;
    if (semi == std::string_view::npos) {
      out += text[i];
      continue;
    }
    std::string_view entity = text.substr(i + 1, semi - i - 1);
    uint32_t cp = 0;
    if (entity == "lt")
      cp = '<';
    else if (entity == "gt")
      cp = '>';
    else if (entity == "amp")
      cp = '&';
    else if (entity == "quot")
      cp = '"';
    else if (entity == "apos")
      cp = '\'';
    else if (entity.size() > 2 && (entity[1] == 'x' || entity[1] == 'X') && entity[0] == '#')
      cp = char_ref(entity.substr(2), 16);
    else if (entity.size() > 1 && entity[0] == '#')
      cp = char_ref(entity.substr(1), 10);
    if (cp == 0) {
      out += text[i]; // not an entity: keep the text as it came
      continue;
    }
    append_utf8(out, cp);
    i = semi;
  }
  return out;
}

} // namespace

std::optional<std::string> xml_text(std::string_view xml, std::string_view name) {
  const std::string open = "<" + std::string(name);
  for (size_t at = xml.find(open); at != std::string_view::npos; at = xml.find(open, at + 1)) {
    size_t after = at + open.size();
    if (after >= xml.size()) return std::nullopt;
    char next = xml[after];
    // "<Arn" must not match "<ArnList>": the name ends at '>', '/' or space.
    if (next != '>' && next != '/' && next != ' ' && next != '\t' && next != '\n' && next != '\r')
      continue;
    size_t end_of_tag = xml.find('>', after);
    if (end_of_tag == std::string_view::npos) return std::nullopt;
    if (xml[end_of_tag - 1] == '/') return std::string();
    const std::string close = "</" + std::string(name) + ">";
    size_t closing = xml.find(close, end_of_tag + 1);
    if (closing == std::string_view::npos) return std::nullopt;
    return decode_entities(xml.substr(end_of_tag + 1, closing - end_of_tag - 1));
  }
  return std::nullopt;
}

} // namespace c42::aws
