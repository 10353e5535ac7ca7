#include "bench/micro/sample_lines.h"

#include <cstdint>
#include <cstdio>

namespace c42::bench {

namespace {

// The JSON text below is what a Code42 export holds: escapes (\" \\ \t),
// UTF-8 names and a raw U+2028 (bytes E2 80 A8) inside strings.
const char* const kFlat =
    R"({"eventId":"0_1_%zu_774687978","eventType":"MODIFIED","eventTimestamp":"2026-11-25T03:31:48.460Z",)"
    R"("insertionTimestamp":"2026-11-25T15:41:24.807Z","fieldErrors":[],)"
    R"("filePath":"C:\\Users\\jürgen\\Desktop\\Q3 \"final\"\\","fileName":"Résumé)"
    "\xe2\x80\xa8"
    R"(final.docx","fileType":"FILE","fileCategory":"Document","fileSize":%zu,)"
    R"("fileOwner":"user75@example.com","md5Checksum":"%s",)"
    R"("sha256Checksum":"%s",)"
    R"("createTimestamp":"2026-11-25T10:01:01.026Z","modifyTimestamp":"2026-11-25T20:34:00.961Z",)"
    R"("deviceUserName":"user75@example.com","osHostName":"LAPTOP-705FCA",)"
    R"("domainName":"host339.corp.example.com","publicIpAddress":"203.0.113.55",)"
    R"("privateIpAddresses":["10.0.83.201","fe80::1c2d"],"deviceUid":"218881839909643594",)"
    R"("userUid":"1049371929724401677","actor":null,"source":"Endpoint","url":null,"shared":null,)"
    R"("exposure":["RemovableMedia"],"processOwner":"user75","processName":"explorer.exe",)"
    R"("tabWindowTitle":"Inbox – Outlook\tdraft","riskScore":7,"riskSeverity":"MODERATE",)"
    R"("riskIndicators":[{"name":"Remote file path","weight":3}]})";

const char* const kNested =
    R"({"@timestamp":"2026-11-25T03:47:21.917Z","event":{"id":"0_2_%zu_18","inserted":)"
    R"("2026-11-25T22:32:59.990Z","action":"file-emailed","observer":"Gmail","shareType":[]},)"
    R"("user":{"email":"王伟@example.cn","id":"1049371929724401677","deviceUid":"2188818399"},)"
    R"("file":{"name":"数据.xlsx","directory":"\\\\fileserver\\share$\\user75\\",)"
    R"("category":"Spreadsheet","sizeInBytes":%zu,"owner":"user75@example.com",)"
    R"("hash":{"md5":"%s","sha256":)"
    R"("%s","md5Error":null},)"
    R"("classifications":[]},"source":{"category":"Device","name":"LAPTOP-705FCA",)"
    R"("ip":"203.0.113.55","privateIp":["10.0.83.201"],"operatingSystem":"Windows 11"},)"
    R"("destination":{"category":"Cloud Storage","name":"Dropbox","tabs":[{"title":)"
    R"("Übersicht – \"Dropbox\"","url":"https://x.example/a\\b"}]},"process":{"executable":)"
    R"("C:\\Program Files\\Google\\chrome.exe","owner":"user75"},"risk":{"score":12,)"
    R"("severity":"HIGH","indicators":[{"name":"Untrusted domain","weight":9}],"trusted":false}})";

// Hex digits that differ from line to line, as checksums do: without them
// the lines would compress far better than real exports and inflate would
// look faster than it is.
std::string hex(uint64_t& state, size_t digits) {
  std::string out;
  while (out.size() < digits) {
    state += 0x9e3779b97f4a7c15u; // splitmix64
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    z ^= z >> 31;
    char buffer[17];
    std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(z));
    out += buffer;
  }
  out.resize(digits);
  return out;
}

std::string event(const char* pattern, size_t i, uint64_t& state) {
  char buffer[4096];
  int n = std::snprintf(buffer, sizeof buffer, pattern, i, static_cast<size_t>(state % 1000000000u),
                        hex(state, 32).c_str(), hex(state, 64).c_str());
  return std::string(buffer, n > 0 ? static_cast<size_t>(n) : 0);
}

} // namespace

std::vector<std::string> sample_lines(size_t count) {
  std::vector<std::string> lines;
  lines.reserve(count);
  uint64_t state = 42;
  for (size_t i = 0; i < count; ++i)
    lines.push_back(event(i % 2 ? kNested : kFlat, i, state));
  return lines;
}

std::string long_line(size_t bytes) {
  std::string line = R"({"eventId":"0_9_9_1","tabTitles":[)";
  const std::string title = "\"tab é\xe2\x80\xa8\\\"x\\\" \"";
  while (line.size() + title.size() + 2 < bytes) {
    line += title;
    line += ',';
  }
  line += title;
  line += "]}";
  return line;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) {
    text += line;
    text += '\n';
  }
  return text;
}

} // namespace c42::bench
