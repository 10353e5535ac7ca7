#include "bench/micro/sample_lines.h"

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
    R"("fileOwner":"user75@example.com","md5Checksum":"5dfbd3d12c4a3698aa2ca1af6a107b75",)"
    R"("sha256Checksum":"1622bd795fec898fbcfbb050acab1a6bc69d4bd8b3fa7aa7e1fab9d78c7e134f",)"
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
    R"("hash":{"md5":"5dfbd3d12c4a3698aa2ca1af6a107b75","sha256":)"
    R"("1622bd795fec898fbcfbb050acab1a6bc69d4bd8b3fa7aa7e1fab9d78c7e134f","md5Error":null},)"
    R"("classifications":[]},"source":{"category":"Device","name":"LAPTOP-705FCA",)"
    R"("ip":"203.0.113.55","privateIp":["10.0.83.201"],"operatingSystem":"Windows 11"},)"
    R"("destination":{"category":"Cloud Storage","name":"Dropbox","tabs":[{"title":)"
    R"("Übersicht – \"Dropbox\"","url":"https://x.example/a\\b"}]},"process":{"executable":)"
    R"("C:\\Program Files\\Google\\chrome.exe","owner":"user75"},"risk":{"score":12,)"
    R"("severity":"HIGH","indicators":[{"name":"Untrusted domain","weight":9}],"trusted":false}})";

std::string format(const char* pattern, size_t a, size_t b) {
  char buffer[4096];
  int n = std::snprintf(buffer, sizeof buffer, pattern, a, b);
  return std::string(buffer, n > 0 ? static_cast<size_t>(n) : 0);
}

} // namespace

std::vector<std::string> sample_lines(size_t count) {
  std::vector<std::string> lines;
  lines.reserve(count);
  for (size_t i = 0; i < count; ++i)
    lines.push_back(format(i % 2 ? kNested : kFlat, i, (i * 2654435761u) % 1000000000u));
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
