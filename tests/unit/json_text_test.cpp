#include "common/json_text.h"
#include "common/json_value.h"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace c42 {
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";

struct Appended {
  std::string text;
  bool valid;
};

// Strict parsing accepts only objects and arrays at the top level.
Result<Json::Value> parse_string_literal(const std::string& literal) {
  auto array = parse_json("[" + literal + "]");
  if (!array.ok()) return array;
  if (array->size() != 1) return make_error("not one value");
  return (*array)[0];
}

Appended append(std::string_view bytes, std::string start = "") {
  Appended a{std::move(start), false};
  a.valid = append_json_string(a.text, bytes);
  return a;
}

// --- append_json_string ---

TEST(AppendJsonString, PlainAsciiIsQuotedVerbatim) {
  auto a = append("hello world 123 {}[]:,/'");
  EXPECT_TRUE(a.valid);
  EXPECT_EQ(a.text, "\"hello world 123 {}[]:,/'\"");
}

TEST(AppendJsonString, AppendsWithoutTouchingExistingText) {
  auto a = append("x", "prefix:");
  EXPECT_EQ(a.text, "prefix:\"x\"");
}

TEST(AppendJsonString, EmptyStringIsTwoQuotes) {
  auto a = append("");
  EXPECT_TRUE(a.valid);
  EXPECT_EQ(a.text, "\"\"");
}

TEST(AppendJsonString, EscapesQuoteBackslashAndNamedControls) {
  auto a = append("a\"b\\c\nd\re\tf\bg\fh");
  EXPECT_TRUE(a.valid);
  EXPECT_EQ(a.text, R"("a\"b\\c\nd\re\tf\bg\fh")");
}

TEST(AppendJsonString, OtherControlCharactersBecomeUnicodeEscapes) {
  std::string bytes("\x00\x01\x1f\x0b", 4);
  auto a = append(bytes);
  EXPECT_TRUE(a.valid);
  EXPECT_EQ(a.text, R"("\u0000\u0001\u001f\u000b")");
}

TEST(AppendJsonString, DelAndSlashStayRaw) {
  auto a = append("\x7f/");
  EXPECT_TRUE(a.valid);
  EXPECT_EQ(a.text, "\"\x7f/\"");
}

TEST(AppendJsonString, LineAndParagraphSeparatorsAreEscaped) {
  auto a = append("a\xE2\x80\xA8"
                  "b\xE2\x80\xA9"
                  "c");
  EXPECT_TRUE(a.valid);
  EXPECT_EQ(a.text, R"("a\u2028b\u2029c")");
}

TEST(AppendJsonString, NeighboursOfTheSeparatorsStayRaw) {
  // U+2027 and U+202A share the lead bytes but are ordinary characters.
  auto a = append("\xE2\x80\xA7\xE2\x80\xAA");
  EXPECT_TRUE(a.valid);
  EXPECT_EQ(a.text, "\"\xE2\x80\xA7\xE2\x80\xAA\"");
}

TEST(AppendJsonString, ValidMultibyteSequencesAreKeptRaw) {
  const std::string bytes = "\xC3\xA9"         // U+00E9
                            "\xE2\x82\xAC"     // U+20AC
                            "\xF0\x9F\x98\x80" // U+1F600
                            "\xF4\x8F\xBF\xBF" // U+10FFFF
                            "\xED\x9F\xBF"     // U+D7FF
                            "\xEE\x80\x80";    // U+E000
  auto a = append(bytes);
  EXPECT_TRUE(a.valid);
  EXPECT_EQ(a.text, "\"" + bytes + "\"");
}

TEST(AppendJsonString, InvalidByteBecomesReplacementAndReportsFalse) {
  auto a = append("a\xFF"
                  "b");
  EXPECT_FALSE(a.valid);
  EXPECT_EQ(a.text, "\"a" + kReplacement + "b\"");
}

TEST(AppendJsonString, InvalidSequencesAreReplaced) {
  const std::vector<std::string> invalid = {
      "\x80",             // lone continuation byte
      "\xC0\xAF",         // overlong '/'
      "\xC1\xBF",         // overlong
      "\xE0\x80\xAF",     // overlong 3-byte
      "\xF0\x80\x80\xAF", // overlong 4-byte
      "\xED\xA0\x80",     // high surrogate U+D800
      "\xED\xBF\xBF",     // low surrogate U+DFFF
      "\xF4\x90\x80\x80", // U+110000
      "\xF5\x80\x80\x80", // lead byte beyond U+10FFFF
      "\xFE",
      "\xE2\x82",     // truncated at the end of the input
      "\xF0\x9F\x98", // truncated 4-byte
      "\xC3",         // truncated 2-byte
      "\xC3(",        // continuation missing
  };
  for (const std::string& bytes : invalid) {
    SCOPED_TRACE(testing::PrintToString(bytes));
    auto a = append("<" + bytes + ">");
    EXPECT_FALSE(a.valid);
    // The output is valid UTF-8 and JSON whatever the input was.
    EXPECT_TRUE(is_valid_utf8(a.text));
    EXPECT_NE(a.text.find(kReplacement), std::string::npos);
    EXPECT_EQ(a.text.front(), '"');
    EXPECT_EQ(a.text.substr(0, 2), "\"<");
    EXPECT_EQ(a.text.substr(a.text.size() - 2), ">\"");
    auto parsed = parse_string_literal(a.text);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_TRUE(parsed->isString());
  }
}

TEST(AppendJsonString, ValidTextAfterAnInvalidByteIsKept) {
  auto a = append("\xFF\xC3\xA9\n");
  EXPECT_FALSE(a.valid);
  EXPECT_EQ(a.text, "\"" + kReplacement + "\xC3\xA9\\n\"");
}

TEST(AppendJsonString, ValidInputRoundTripsThroughJsoncppExactly) {
  const std::vector<std::string> samples = {
      "",
      "plain",
      "quote\" backslash\\ slash/",
      std::string("nul\0byte", 8),
      "\x01\x02\x1f\x7f",
      "tab\tnl\ncr\rbs\bff\f",
      "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
      "sep\xE2\x80\xA8"
      "and\xE2\x80\xA9",
      "\xF4\x8F\xBF\xBF",
  };
  for (const std::string& s : samples) {
    SCOPED_TRACE(testing::PrintToString(s));
    std::string text;
    ASSERT_TRUE(append_json_string(text, s));
    auto parsed = parse_string_literal(text);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    ASSERT_TRUE(parsed->isString());
    EXPECT_EQ(parsed->asString(), s);
    // Never a raw newline: the output is a single NDJSON-safe line.
    EXPECT_EQ(text.find('\n'), std::string::npos);
  }
}

// --- is_valid_utf8 ---

// The writer takes 16 bytes per step and a short input byte by byte: every
// kind of byte, at every offset within and across a step, must come out as
// it does alone.
TEST(AppendJsonString, EveryKindOfByteAtEveryOffsetIsWrittenAsItIsAlone) {
  const std::vector<std::string> specials = {"\"",   "\\",       "\n",           "\x01",
                                             "\x1f", "\xC3\xA9", "\xE2\x80\xA8", "\xF0\x9F\x98\x80",
                                             "\xC3", "\xE2\x80", "\xFF",         "a"};
  for (const std::string& special : specials) {
    const Appended alone = append(special);
    const std::string escaped = alone.text.substr(1, alone.text.size() - 2);
    for (size_t before = 0; before < 40; ++before) {
      for (size_t after : {size_t{0}, size_t{1}, size_t{15}, size_t{33}}) {
        const std::string head(before, 'x'), tail(after, 'y');
        const Appended whole = append(head + special + tail, "[");
        EXPECT_EQ(whole.text, "[\"" + head + escaped + tail + "\"")
            << "special " << alone.text << " after " << before << " bytes";
        EXPECT_EQ(whole.valid, alone.valid);
      }
    }
  }
}

// Six bytes out for every byte in: the string must grow as it is written.
TEST(AppendJsonString, TextOfNothingButEscapesGrowsTheOutputAsItGoes) {
  for (size_t n : {size_t{1}, size_t{17}, size_t{1000}, size_t{70000}}) {
    const Appended a = append(std::string(n, '\x01'), "prefix");
    std::string expected = "prefix\"";
    for (size_t k = 0; k < n; ++k)
      expected += "\\u0001";
    EXPECT_EQ(a.text, expected + "\"");
  }
}

TEST(IsValidUtf8, AcceptsValidText) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("ascii"));
  EXPECT_TRUE(is_valid_utf8(std::string("\0", 1)));
  EXPECT_TRUE(is_valid_utf8("\xC2\x80"));
  EXPECT_TRUE(is_valid_utf8("\xDF\xBF"));
  EXPECT_TRUE(is_valid_utf8("\xE0\xA0\x80"));
  EXPECT_TRUE(is_valid_utf8("\xED\x9F\xBF"));
  EXPECT_TRUE(is_valid_utf8("\xF0\x90\x80\x80"));
  EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));
  EXPECT_TRUE(is_valid_utf8("\xE2\x80\xA8"));
}

TEST(IsValidUtf8, RejectsInvalidText) {
  EXPECT_FALSE(is_valid_utf8("\x80"));
  EXPECT_FALSE(is_valid_utf8("\xC0\x80"));
  EXPECT_FALSE(is_valid_utf8("\xC1\xBF"));
  EXPECT_FALSE(is_valid_utf8("\xE0\x9F\xBF"));
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));
  EXPECT_FALSE(is_valid_utf8("\xF0\x8F\xBF\xBF"));
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));
  EXPECT_FALSE(is_valid_utf8("\xF8\x88\x80\x80\x80"));
  EXPECT_FALSE(is_valid_utf8("ok\xC3"));
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));
  EXPECT_FALSE(is_valid_utf8("\xC3\xC3"));
  EXPECT_FALSE(is_valid_utf8("\xFF"));
}

// --- utf8_sequence_length ---

TEST(Utf8SequenceLength, LengthOfEachValidUnit) {
  const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
  EXPECT_EQ(utf8_sequence_length(text, 0), 1u);
  EXPECT_EQ(utf8_sequence_length(text, 1), 2u);
  EXPECT_EQ(utf8_sequence_length(text, 3), 3u);
  EXPECT_EQ(utf8_sequence_length(text, 6), 4u);
}

TEST(Utf8SequenceLength, ZeroWhereNoValidSequenceStarts) {
  const std::string text = "\xC3\xA9";
  EXPECT_EQ(utf8_sequence_length(text, 1), 0u);       // a continuation byte
  EXPECT_EQ(utf8_sequence_length("\xE2\x82", 0), 0u); // truncated
  EXPECT_EQ(utf8_sequence_length("\xED\xA0\x80", 0), 0u);
  EXPECT_EQ(utf8_sequence_length("\xC0\x80", 0), 0u);
  EXPECT_EQ(utf8_sequence_length("\xF4\x90\x80\x80", 0), 0u);
  // Decided from the bytes up to the sequence's end only.
  EXPECT_EQ(utf8_sequence_length("\xC3\xA9\xFF", 0), 2u);
}

// --- is_clean_json_text ---

TEST(IsCleanJsonText, AcceptsValidUtf8WithJsonWhitespace) {
  EXPECT_TRUE(is_clean_json_text(""));
  EXPECT_TRUE(is_clean_json_text("{\"a\":\t\"caf\xC3\xA9\"}\r\n"));
  EXPECT_TRUE(is_clean_json_text("\x7f"));
}

TEST(IsCleanJsonText, RejectsControlsBomAndInvalidUtf8) {
  EXPECT_FALSE(is_clean_json_text(std::string("{\"a\":\"\0\"}", 8)));
  EXPECT_FALSE(is_clean_json_text("{\"a\":\"\x01\"}"));
  EXPECT_FALSE(is_clean_json_text("{\"a\":\"\x1f\"}"));
  EXPECT_FALSE(is_clean_json_text("\xEF\xBB\xBF{}"));
  EXPECT_FALSE(is_clean_json_text("{\"a\":\"\xFF\"}"));
  EXPECT_FALSE(is_clean_json_text("{\"a\":\"\xED\xA0\x80\"}"));
}

// --- is_control_line ---

TEST(IsControlLine, RecognisesTheC42FirstKey) {
  EXPECT_TRUE(is_control_line(R"({"@c42":"begin","queue_url":"q"})"));
  EXPECT_TRUE(is_control_line(R"({"@c42":1})"));
  // Only the prefix is examined.
  EXPECT_TRUE(is_control_line(R"({"@c42")"));
}

TEST(IsControlLine, AllowsJsonWhitespace) {
  EXPECT_TRUE(is_control_line(R"(  {"@c42":"x"})"));
  EXPECT_TRUE(is_control_line("{ \"@c42\":\"x\"}"));
  EXPECT_TRUE(is_control_line("\t{\t\"@c42\" : \"x\"}"));
  EXPECT_TRUE(is_control_line("\r\n{\r\n\"@c42\":\"x\"}"));
  // Vertical tab and form feed are not JSON whitespace.
  EXPECT_FALSE(is_control_line("\v{\"@c42\":\"x\"}"));
  EXPECT_FALSE(is_control_line("{\f\"@c42\":\"x\"}"));
}

TEST(IsControlLine, RejectsEverythingElse) {
  EXPECT_FALSE(is_control_line(""));
  EXPECT_FALSE(is_control_line("   "));
  EXPECT_FALSE(is_control_line("{"));
  EXPECT_FALSE(is_control_line("{}"));
  EXPECT_FALSE(is_control_line(R"({"@c42)"));
  EXPECT_FALSE(is_control_line(R"({"@c43":"x"})"));
  EXPECT_FALSE(is_control_line(R"({"@C42":"x"})"));
  EXPECT_FALSE(is_control_line(R"({"@c42x":"x"})"));
  EXPECT_FALSE(is_control_line(R"({"a":1,"@c42":"x"})"));
  EXPECT_FALSE(is_control_line(R"([{"@c42":"x"}])"));
  EXPECT_FALSE(is_control_line(R"("@c42")"));
  EXPECT_FALSE(is_control_line(R"({'@c42':"x"})"));
  EXPECT_FALSE(is_control_line("s3://bucket/key"));
}

TEST(SkipJsonWhitespace, StopsAtFirstOtherByte) {
  EXPECT_EQ(skip_json_whitespace(" \t\r\nx", 0), 4u);
  EXPECT_EQ(skip_json_whitespace("ab  c", 2), 4u);
  EXPECT_EQ(skip_json_whitespace("   ", 0), 3u);
  EXPECT_EQ(skip_json_whitespace("x", 5), 5u);
}

// Every byte that needs a closer look stops the skip wherever it sits
// relative to the 8- and 16-byte steps; DEL and the rest of ASCII do not.
TEST(SkipPlainJsonBytes, StopsAtTheFirstByteThatNeedsACloserLook) {
  const std::string plain = "abc xyz/{}[]:,0129~\x7f";
  for (char special : std::string("\"\\\x00\x01\x1f\x80\xc3\xff", 8)) {
    for (size_t length = 0; length < 40; ++length) {
      std::string text;
      for (size_t i = 0; i < length; ++i)
        text.push_back(plain[i % plain.size()]);
      EXPECT_EQ(skip_plain_json_bytes(text, 0), length);
      for (size_t at = 0; at < length; ++at) {
        std::string with = text;
        with[at] = special;
        EXPECT_EQ(skip_plain_json_bytes(with, 0), at);
        EXPECT_EQ(skip_plain_json_bytes(with, at), at);
        EXPECT_EQ(skip_plain_json_bytes(with, at + 1), length);
      }
    }
  }
}

} // namespace
} // namespace c42
