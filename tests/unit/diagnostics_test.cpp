#include "common/diagnostics.h"

#include <gtest/gtest.h>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace c42 {
namespace {

struct Heard {
  std::vector<std::pair<Severity, std::string>> lines;
  Report report() {
    return [this](Severity s, const std::string& m) { lines.emplace_back(s, m); };
  }
};

TEST(RepeatedReport, ShowsTheFirstFewOfEachKindThenSummarises) {
  Heard heard;
  RepeatedReport repeated(heard.report(), 2);
  for (int i = 1; i <= 5; ++i)
    repeated(Severity::kError, "records rejected", "record " + std::to_string(i));
  repeated(Severity::kWarning, "fallbacks", "fallback 1");
  ASSERT_EQ(heard.lines.size(), 3u);
  EXPECT_EQ(heard.lines[0].second, "record 1");
  EXPECT_EQ(heard.lines[1].second, "record 2");
  EXPECT_EQ(heard.lines[2].first, Severity::kWarning);
  repeated.summarise();
  ASSERT_EQ(heard.lines.size(), 4u) << "only kinds with hidden lines get a summary";
  EXPECT_EQ(heard.lines[3].first, Severity::kError);
  EXPECT_EQ(heard.lines[3].second, "records rejected: 5 in all, 3 not shown");
}

TEST(RepeatedReport, CountsFromManyThreads) {
  Heard heard;
  RepeatedReport repeated(heard.report(), 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i)
        repeated(Severity::kError, "kind", "x");
    });
  for (auto& t : threads)
    t.join();
  repeated.summarise();
  ASSERT_EQ(heard.lines.size(), 2u);
  EXPECT_EQ(heard.lines[1].second, "kind: 4000 in all, 3999 not shown");
}

TEST(RepeatedReport, WithoutAReportNothingHappens) {
  RepeatedReport repeated(nullptr);
  repeated(Severity::kError, "kind", "x");
  repeated.summarise();
}

} // namespace
} // namespace c42

TEST(OneLine, ControlCharactersBecomeSpaces) {
  EXPECT_EQ(c42::one_line("a\nb\r\tc\x7f\x01"
                          "d"),
            "a b  c  d");
}

TEST(OneLine, LongTextIsCutAtAUtf8BoundaryAndMarked) {
  EXPECT_EQ(c42::one_line("abcdef", 6), "abcdef");
  EXPECT_EQ(c42::one_line("abcdefg", 6), "abcdef...");
  // "\xC3\xA9" is one character; a cut inside it backs off before it.
  EXPECT_EQ(c42::one_line("abcde\xC3\xA9z", 6), "abcde...");
  EXPECT_EQ(c42::one_line("abcd\xC3\xA9z", 6), "abcd\xC3\xA9...");
}
