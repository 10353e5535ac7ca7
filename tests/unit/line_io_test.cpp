#include "common/line_io.h"
#include "tests/unit/test_support.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <future>
#include <gtest/gtest.h>
#include <map>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace c42 {
namespace {

using test_support::TempFile;

class Pipe {
public:
  Pipe() { EXPECT_EQ(::pipe(fds_), 0); }
  ~Pipe() {
    close_read();
    close_write();
  }
  int read_fd() const { return fds_[0]; }
  int write_fd() const { return fds_[1]; }
  void write(const std::string& text) {
    ASSERT_EQ(::write(fds_[1], text.data(), text.size()), ssize_t(text.size()));
  }
  void close_read() {
    if (fds_[0] >= 0) ::close(fds_[0]);
    fds_[0] = -1;
  }
  void close_write() {
    if (fds_[1] >= 0) ::close(fds_[1]);
    fds_[1] = -1;
  }

private:
  int fds_[2] = {-1, -1};
};

std::vector<std::string> read_all(LineReader& reader, std::vector<uint64_t>* numbers = nullptr) {
  std::vector<std::string> lines;
  std::string_view line;
  for (;;) {
    auto more = reader.next(&line);
    EXPECT_TRUE(more.ok()) << (more.ok() ? "" : more.error().message);
    if (!more.ok() || !*more) break;
    lines.emplace_back(line);
    if (numbers) numbers->push_back(reader.line_number());
  }
  return lines;
}

// --- LineReader ---

TEST(LineReader, SkipsBlankLinesButCountsThem) {
  TempFile file("a\n\nb\n\n\nc\n");
  LineReader reader(file.fd());
  std::vector<uint64_t> numbers;
  EXPECT_EQ(read_all(reader, &numbers), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(numbers, (std::vector<uint64_t>{1, 3, 6}));
  EXPECT_EQ(reader.fd(), file.fd());
}

TEST(LineReader, ReturnsAFinalLineWithoutNewline) {
  TempFile file("first\nlast");
  LineReader reader(file.fd());
  EXPECT_EQ(read_all(reader), (std::vector<std::string>{"first", "last"}));
  // End of input stays end of input.
  std::string_view line;
  auto again = reader.next(&line);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
}

TEST(LineReader, EmptyInputHasNoLines) {
  TempFile file("");
  LineReader reader(file.fd());
  EXPECT_TRUE(read_all(reader).empty());
  TempFile blanks("\n\n\n");
  LineReader blank_reader(blanks.fd());
  EXPECT_TRUE(read_all(blank_reader).empty());
}

TEST(LineReader, KeepsCarriageReturnsAndOtherBytes) {
  TempFile file(std::string("a\r\n b \0 c\n", 10));
  LineReader reader(file.fd());
  EXPECT_EQ(read_all(reader), (std::vector<std::string>{"a\r", std::string(" b \0 c", 6)}));
}

TEST(LineReader, LinesLongerThanOneReadAreJoined) {
  std::string big(300000, 'x');
  big[0] = 'A';
  big.back() = 'Z';
  TempFile file("s\n" + big + "\n" + big + "y");
  LineReader reader(file.fd());
  auto lines = read_all(reader);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "s");
  EXPECT_EQ(lines[1], big);
  EXPECT_EQ(lines[2], big + "y");
}

TEST(LineReader, LineOfExactlyTheLimitIsAccepted) {
  TempFile file("0123456789\nabcdefghij");
  LineReader reader(file.fd(), 10);
  EXPECT_EQ(read_all(reader), (std::vector<std::string>{"0123456789", "abcdefghij"}));
}

TEST(LineReader, CompleteLineLongerThanTheLimitIsAnError) {
  TempFile file("ok\n" + std::string(11, 'x') + "\nafter\n");
  LineReader reader(file.fd(), 10);
  std::string_view line;
  auto first = reader.next(&line);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(line, "ok");
  auto second = reader.next(&line);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("line 2"), std::string::npos) << second.error().message;
  EXPECT_NE(second.error().message.find("longer than 10"), std::string::npos);
}

TEST(LineReader, UnfinishedLongLineAtEndOfInputIsAnError) {
  TempFile file("ok\n" + std::string(25, 'x'));
  LineReader reader(file.fd(), 10);
  std::string_view line;
  ASSERT_TRUE(reader.next(&line).ok());
  auto second = reader.next(&line);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("line 2"), std::string::npos) << second.error().message;
}

TEST(LineReader, UnfinishedLongLineFailsWithoutWaitingForItsEnd) {
  // Memory stays bounded: the reader must not wait for a newline that may
  // never come once the limit is passed.
  Pipe pipe;
  pipe.write(std::string(100, 'x'));
  std::atomic<bool> rescued{false};
  std::promise<void> done;
  std::future<void> done_future = done.get_future();
  std::thread watchdog([&] {
    if (done_future.wait_for(std::chrono::seconds(2)) == std::future_status::ready) return;
    rescued = true;
    pipe.close_write();
  });
  LineReader reader(pipe.read_fd(), 10);
  std::string_view line;
  auto result = reader.next(&line);
  bool was_rescued = rescued;
  done.set_value();
  EXPECT_FALSE(result.ok());
  EXPECT_FALSE(was_rescued) << "next() blocked waiting for the end of an over-long line";
  watchdog.join();
}

// read() passes over a line longer than the limit without holding it and
// goes on with the next one, so one bad record cannot stop a run.
TEST(LineReader, ReadSkipsAnOverlongLineAndGoesOn) {
  const std::string huge(300000, 'h');
  TempFile file("a\n" + huge + "\nb\n" + huge + "x\n\nc");
  LineReader reader(file.fd(), 1000);
  std::string_view line;
  std::vector<std::string> got;
  std::vector<uint64_t> overlong;
  for (;;) {
    auto r = reader.read(&line);
    ASSERT_TRUE(r.ok());
    if (*r == LineRead::kEnd) break;
    if (*r == LineRead::kOverlong) {
      overlong.push_back(reader.line_number());
      continue;
    }
    got.emplace_back(line);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(overlong, (std::vector<uint64_t>{2, 4}));
}

TEST(LineReader, OverlongLineAtEndOfInputIsReportedOnce) {
  TempFile file("a\n" + std::string(200000, 'h'));
  LineReader reader(file.fd(), 1000);
  std::string_view line;
  ASSERT_EQ(*reader.read(&line), LineRead::kLine);
  ASSERT_EQ(*reader.read(&line), LineRead::kOverlong);
  EXPECT_EQ(reader.line_number(), 2u);
  EXPECT_EQ(*reader.read(&line), LineRead::kEnd);
}

TEST(LineReader, HasBufferedLine) {
  Pipe pipe;
  LineReader reader(pipe.read_fd());
  EXPECT_FALSE(reader.has_buffered_line());
  pipe.write("a\nb\nc");
  std::string_view line;
  ASSERT_TRUE(*reader.next(&line));
  EXPECT_EQ(line, "a");
  EXPECT_TRUE(reader.has_buffered_line());
  ASSERT_TRUE(*reader.next(&line));
  EXPECT_EQ(line, "b");
  // "c" is not a line yet: its newline (or the end of input) has not come.
  EXPECT_FALSE(reader.has_buffered_line());
  pipe.write("\nd");
  pipe.close_write();
  ASSERT_TRUE(*reader.next(&line));
  EXPECT_EQ(line, "c");
  // The read that found "c\n" also took "d"; end of input is not yet seen.
  ASSERT_TRUE(*reader.next(&line));
  EXPECT_EQ(line, "d");
  EXPECT_FALSE(reader.has_buffered_line());
  auto end = reader.next(&line);
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(*end);
  EXPECT_FALSE(reader.has_buffered_line());
}

// Regression: has_buffered_line() counted the '\n' ending a blank line,
// which next() skips before it has to read again. With only a blank line
// buffered it answered true although next() blocks, and sqs-ack skipped its
// idle flush, so pending deletes waited for the next input line.
TEST(LineReader, HasBufferedLineIgnoresBufferedBlankLines) {
  Pipe pipe;
  LineReader reader(pipe.read_fd());
  pipe.write("a\n\n");
  std::string_view line;
  ASSERT_TRUE(*reader.next(&line));
  EXPECT_EQ(line, "a");
  EXPECT_FALSE(reader.has_buffered_line()) << "next() would block: only a blank line is buffered";
}

TEST(LineReader, ReadErrorIsReported) {
  LineReader reader(-1);
  std::string_view line;
  auto result = reader.next(&line);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("read error"), std::string::npos);
}

// --- LineWriter ---

TEST(LineWriter, BuffersUntilFlush) {
  TempFile file;
  {
    LineWriter writer(file.fd(), 1024);
    ASSERT_TRUE(writer.write_line("one").ok());
    EXPECT_EQ(file.contents(), "");
    ASSERT_TRUE(writer.write_line("two", true).ok());
    EXPECT_EQ(file.contents(), "one\ntwo\n");
    ASSERT_TRUE(writer.write_line("three").ok());
  }
  // The destructor flushes.
  EXPECT_EQ(file.contents(), "one\ntwo\nthree\n");
}

TEST(LineWriter, FlushesWhenTheBufferFills) {
  TempFile file;
  LineWriter writer(file.fd(), 16);
  ASSERT_TRUE(writer.write_line("0123456789").ok());
  EXPECT_EQ(file.contents(), "");
  ASSERT_TRUE(writer.write_line("abcdefghij").ok());
  EXPECT_EQ(file.contents(), "0123456789\nabcdefghij\n");
}

TEST(LineWriter, WriteLinesKeepsOrderAndWritesLargeTextThrough) {
  TempFile file;
  LineWriter writer(file.fd(), 32);
  ASSERT_TRUE(writer.write_line("head").ok());
  const std::string big = std::string(100, 'b') + "\n" + std::string(50, 'c') + "\n";
  ASSERT_TRUE(writer.write_lines(big).ok());
  EXPECT_EQ(file.contents(), "head\n" + big);
  ASSERT_TRUE(writer.write_lines("x\ny\n").ok());
  ASSERT_TRUE(writer.write_lines("z\n", true).ok());
  EXPECT_EQ(file.contents(), "head\n" + big + "x\ny\nz\n");
}

TEST(LineWriter, LinesFromSeveralThreadsStayWhole) {
  TempFile file;
  constexpr int kThreads = 6;
  constexpr int kLines = 2000;
  {
    LineWriter writer(file.fd(), 256);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&writer, t] {
        for (int i = 0; i < kLines; ++i) {
          // Lengths vary so that lines straddle buffer boundaries.
          std::string line = "t" + std::to_string(t) + "-" + std::to_string(i) + ":" +
                             std::string(static_cast<size_t>((i * 7 + t) % 90), 'a' + t);
          bool flush = i % 13 == 0;
          EXPECT_TRUE(i % 2 ? writer.write_line(line, flush).ok()
                            : writer.write_lines(line + "\n", flush).ok());
        }
      });
    }
    for (auto& th : threads)
      th.join();
    ASSERT_TRUE(writer.flush().ok());
  }
  std::string text = file.contents();
  ASSERT_FALSE(text.empty());
  ASSERT_EQ(text.back(), '\n');
  std::map<int, int> next_index; // per thread, lines arrive in order
  size_t count = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string line = text.substr(start, end - start);
    start = end + 1;
    ++count;
    ASSERT_EQ(line[0], 't') << line;
    size_t dash = line.find('-'), colon = line.find(':');
    ASSERT_NE(dash, std::string::npos) << line;
    ASSERT_NE(colon, std::string::npos) << line;
    int t = std::stoi(line.substr(1, dash - 1));
    int i = std::stoi(line.substr(dash + 1, colon - dash - 1));
    std::string expected = "t" + std::to_string(t) + "-" + std::to_string(i) + ":" +
                           std::string(static_cast<size_t>((i * 7 + t) % 90), 'a' + t);
    ASSERT_EQ(line, expected);
    ASSERT_EQ(next_index[t], i) << "lines of thread " << t << " out of order";
    ++next_index[t];
  }
  EXPECT_EQ(count, size_t{kThreads} * kLines);
}

TEST(LineWriter, WriteToAClosedPipeFailsAndStaysFailed) {
  test_support::IgnoreSigpipe ignore_sigpipe;
  {
    Pipe pipe;
    pipe.close_read();
    LineWriter writer(pipe.write_fd(), 1024);
    // Buffered: nothing written yet, so no error yet.
    EXPECT_TRUE(writer.write_line("buffered").ok());
    Status s = writer.write_line("now", true);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("cannot write output"), std::string::npos)
        << s.error().message;
    // Sticky: every later call fails too, even ones that would only buffer.
    EXPECT_FALSE(writer.write_line("later").ok());
    EXPECT_FALSE(writer.write_lines("more\n").ok());
    EXPECT_FALSE(writer.flush().ok());
  }
}

TEST(LineWriter, WriteErrorSurfacesOnFlush) {
  test_support::IgnoreSigpipe ignore_sigpipe;
  {
    Pipe pipe;
    pipe.close_read();
    LineWriter writer(pipe.write_fd(), 1024);
    EXPECT_TRUE(writer.write_lines("a\nb\n").ok());
    EXPECT_FALSE(writer.flush().ok());
  }
}

} // namespace
} // namespace c42
