#include "common/line_splitter.h"

#include <algorithm>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace c42 {
namespace {

struct Lines {
  std::vector<std::string> got;
  LineSplitter::Sink sink() {
    return [this](std::string_view line) {
      got.emplace_back(line);
      return true;
    };
  }
};

using Strings = std::vector<std::string>;

// Pushes input in pieces of `step` bytes (0: all at once) and finishes.
Status run(LineSplitter& s, std::string_view input, size_t step = 0) {
  if (step == 0) step = std::max<size_t>(input.size(), 1);
  for (size_t i = 0; i < input.size(); i += step) {
    Status st = s.push(input.substr(i, step));
    if (!st) return st;
  }
  return s.finish();
}

TEST(LineSplitter, SplitsOnNewline) {
  for (size_t step : {0u, 1u, 2u, 5u}) {
    Lines l;
    LineSplitter s(l.sink());
    ASSERT_TRUE(run(s, "alpha\nbeta\ngamma\n", step));
    EXPECT_EQ(l.got, (Strings{"alpha", "beta", "gamma"})) << step;
    EXPECT_EQ(s.lines(), 3u);
    EXPECT_EQ(s.blank_lines(), 0u);
  }
}

TEST(LineSplitter, FinalLineWithoutNewlineIsEmittedAtFinish) {
  Lines l;
  LineSplitter s(l.sink());
  ASSERT_TRUE(s.push("one\ntwo"));
  EXPECT_EQ(l.got, (Strings{"one"}));
  ASSERT_TRUE(s.finish());
  EXPECT_EQ(l.got, (Strings{"one", "two"}));
  EXPECT_EQ(s.lines(), 2u);
}

TEST(LineSplitter, CrlfLosesExactlyOneCarriageReturn) {
  for (size_t step : {0u, 1u, 3u}) {
    Lines l;
    LineSplitter s(l.sink());
    ASSERT_TRUE(run(s, "a\r\nb\r\r\nc\r\n\r\nd\n", step));
    // "b\r\r" keeps one CR; the CRLF-only line is blank.
    EXPECT_EQ(l.got, (Strings{"a", "b\r", "c", "d"})) << step;
    EXPECT_EQ(s.blank_lines(), 1u);
  }
}

TEST(LineSplitter, FinalCarriageReturnIsData) {
  // No line feed follows it, so it is not part of a line ending.
  struct Case {
    const char* input;
    Strings lines;
  };
  for (const Case& c : {Case{"abc\r", {"abc\r"}}, Case{"a\r\nb\r", {"a", "b\r"}},
                        Case{"a\n\r", {"a", "\r"}}, Case{"\r", {"\r"}}, Case{"x\r\r", {"x\r\r"}}}) {
    for (size_t step : {0u, 1u, 2u}) {
      Lines l;
      LineSplitter s(l.sink());
      ASSERT_TRUE(run(s, c.input, step)) << step;
      EXPECT_EQ(l.got, c.lines) << step;
      EXPECT_EQ(s.lines(), c.lines.size()) << step;
      EXPECT_EQ(s.blank_lines(), 0u) << step;
    }
  }
}

TEST(LineSplitter, LoneCarriageReturnIsData) {
  Lines l;
  LineSplitter s(l.sink());
  ASSERT_TRUE(run(s, "left\rright\n\rstart\n"));
  EXPECT_EQ(l.got, (Strings{"left\rright", "\rstart"}));
}

TEST(LineSplitter, BlankLinesAreSkippedButCounted) {
  Lines l;
  LineSplitter s(l.sink());
  ASSERT_TRUE(run(s, "\n\nfirst\n\n\r\nsecond\n\n", 1));
  EXPECT_EQ(l.got, (Strings{"first", "second"}));
  EXPECT_EQ(s.lines(), 2u);
  EXPECT_EQ(s.blank_lines(), 5u);
}

TEST(LineSplitter, EmptyInputEmitsNothing) {
  Lines l;
  LineSplitter s(l.sink());
  ASSERT_TRUE(s.push(""));
  ASSERT_TRUE(s.finish());
  EXPECT_TRUE(l.got.empty());
  EXPECT_EQ(s.lines(), 0u);
  EXPECT_EQ(s.blank_lines(), 0u);
}

TEST(LineSplitter, BytesPassThroughUntouched) {
  // NUL, invalid UTF-8, U+2028 (e2 80 a8), U+0085 (c2 85), form feed, tab.
  std::string weird("a\0b", 3);
  std::string invalid = "\xff\xfe\xc3(";
  std::string separators = "x\xe2\x80\xa8y\xc2\x85z\f\t";
  for (size_t step : {0u, 1u}) {
    Lines l;
    LineSplitter s(l.sink());
    ASSERT_TRUE(
        run(s, weird + "\n" + invalid + "\n" + separators + "\n" + std::string(1, '\0'), step));
    EXPECT_EQ(l.got, (Strings{weird, invalid, separators, std::string(1, '\0')})) << step;
  }
}

TEST(LineSplitter, CompleteLinesAreViewsIntoThePushedBuffer) {
  std::string buffer = "first\nsecond\nthird";
  std::vector<const char*> starts;
  LineSplitter s([&](std::string_view line) {
    starts.push_back(line.data());
    return true;
  });
  ASSERT_TRUE(s.push(buffer));
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts[0], buffer.data());
  EXPECT_EQ(starts[1], buffer.data() + 6);
  ASSERT_TRUE(s.finish()); // "third" was copied: it spanned to finish()
  ASSERT_EQ(starts.size(), 3u);
  EXPECT_TRUE(starts[2] < buffer.data() || starts[2] >= buffer.data() + buffer.size());
}

TEST(LineSplitter, LongLineAcrossManyPushes) {
  std::string big;
  for (size_t i = 0; big.size() < 200 * 1024; ++i)
    big += "{\"k" + std::to_string(i) + "\":1},";
  std::string input = "head\n" + big + "\r\ntail\n";
  for (size_t step : {1u, 7u, 4096u}) {
    Lines l;
    LineSplitter s(l.sink(), 256 * 1024);
    ASSERT_TRUE(run(s, input, step)) << step;
    ASSERT_EQ(l.got.size(), 3u);
    EXPECT_EQ(l.got[0], "head");
    EXPECT_EQ(l.got[1], big);
    EXPECT_EQ(l.got[2], "tail");
  }
}

TEST(LineSplitter, LineExactlyAtTheLimitIsAccepted) {
  const size_t kMax = 64;
  std::string line(kMax, 'x');
  // Every way of arriving: whole, byte by byte, with CRLF, unterminated.
  for (std::string input : {line + "\n", line + "\r\n", line}) {
    for (size_t step : {0u, 1u, 10u}) {
      Lines l;
      LineSplitter s(l.sink(), kMax);
      ASSERT_TRUE(run(s, "ok\n" + input, step)) << step;
      EXPECT_EQ(l.got, (Strings{"ok", line})) << step;
    }
  }
}

TEST(LineSplitter, OneByteOverTheLimitIsAnError) {
  const size_t kMax = 64;
  std::string line(kMax + 1, 'x');
  // A final '\r' is data, so at the end of the input it counts.
  std::string at_limit(kMax, 'x');
  for (std::string input :
       {line + "\n", line + "\r\n", line, at_limit + "\rx\n", at_limit + "\r"}) {
    for (size_t step : {0u, 1u, 10u}) {
      Lines l;
      LineSplitter s(l.sink(), kMax);
      Status st = run(s, "ok\n\n" + input, step);
      ASSERT_FALSE(st) << step;
      EXPECT_EQ(st.error().message, "line 3 is longer than 64 bytes");
      EXPECT_EQ(l.got, (Strings{"ok"}));
    }
  }
}

TEST(LineSplitter, OverlongLineFailsBeforeItEnds) {
  // The limit trips while the line is still arriving, so a newline-free
  // object cannot make the splitter buffer it whole.
  const size_t kMax = 1024;
  Lines l;
  LineSplitter s(l.sink(), kMax);
  std::string piece(100, 'y');
  Status st;
  size_t pushed = 0;
  while (st && pushed < 100 * kMax) {
    st = s.push(piece);
    pushed += piece.size();
  }
  ASSERT_FALSE(st);
  EXPECT_LE(pushed, kMax + piece.size());
  EXPECT_EQ(st.error().message, "line 1 is longer than 1024 bytes");
}

TEST(LineSplitter, SinkCanAbort) {
  int calls = 0;
  LineSplitter s([&](std::string_view) { return ++calls < 2; });
  Status st = s.push("a\nb\nc\n");
  ASSERT_FALSE(st);
  EXPECT_EQ(calls, 2);
  EXPECT_NE(st.error().message.find("line 2"), std::string::npos) << st.error().message;
  EXPECT_FALSE(s.push("d\n"));
  EXPECT_FALSE(s.finish());
  EXPECT_EQ(calls, 2);
}

TEST(LineSplitter, ErrorsAreSticky) {
  LineSplitter s(nullptr, 4);
  Status first = s.push("toolong\n");
  ASSERT_FALSE(first);
  Status again = s.push("ok\n");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, first.error().message);
}

TEST(LineSplitter, PushAfterFinishIsAnError) {
  LineSplitter s(nullptr);
  ASSERT_TRUE(s.push("x"));
  ASSERT_TRUE(s.finish());
  ASSERT_TRUE(s.finish());
  EXPECT_FALSE(s.push("y\n"));
}

TEST(LineSplitter, CountsWithoutASink) {
  LineSplitter s(nullptr);
  ASSERT_TRUE(run(s, "a\n\nb\nc", 2));
  EXPECT_EQ(s.lines(), 3u);
  EXPECT_EQ(s.blank_lines(), 1u);
}

} // namespace
} // namespace c42
