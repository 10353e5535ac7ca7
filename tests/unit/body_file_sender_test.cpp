#include "common/body_file_sender.h"
#include "tests/unit/test_support.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace c42 {
namespace {

using test_support::split_lines;
using test_support::TempFile;

RecordBatch batch_of(std::initializer_list<std::string_view> records) {
  RecordBatch batch;
  for (std::string_view r : records)
    batch.append(r);
  batch.close();
  return batch;
}

TEST(BodyFileSender, WritesEachBodyExactlyAsOneLine) {
  TempFile file;
  {
    LineWriter out(file.fd());
    BodyFileSender sender(out, "bodies");
    SendResult first = sender.send(batch_of({R"({"a":1})", R"({ "b" : "x\ny" })"}));
    SendResult second = sender.send(batch_of({R"({})"}));
    EXPECT_TRUE(first.ok);
    EXPECT_TRUE(second.ok);
    EXPECT_TRUE(first.failed.empty());
    ASSERT_TRUE(out.flush().ok());
  }
  EXPECT_EQ(file.contents(), "[{\"a\":1},{ \"b\" : \"x\\ny\" }]\n[{}]\n");
}

TEST(BodyFileSender, BodiesFromManyWorkersNeverInterleave) {
  TempFile file;
  {
    LineWriter out(file.fd(), 64);
    std::vector<std::thread> workers;
    for (int w = 0; w < 4; ++w)
      workers.emplace_back([&out, w] {
        BodyFileSender sender(out, "bodies");
        std::string record = "{\"w\":\"" + std::string(200, char('a' + w)) + "\"}";
        for (int i = 0; i < 50; ++i)
          EXPECT_TRUE(sender.send(batch_of({record, record})).ok);
      });
    for (auto& t : workers)
      t.join();
    ASSERT_TRUE(out.flush().ok());
  }
  std::vector<std::string> lines = split_lines(file.contents());
  ASSERT_EQ(lines.size(), 200u);
  for (const std::string& line : lines) {
    std::string record = "{\"w\":\"" + std::string(200, line[7]) + "\"}";
    EXPECT_EQ(line, "[" + record + "," + record + "]");
  }
}

TEST(BodyFileSender, AFailedWriteIsFatalAndNamesTheFile) {
  test_support::IgnoreSigpipe no_sigpipe;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  LineWriter out(fds[1], 0);
  BodyFileSender sender(out, "dry.ndjson");
  SendResult result = sender.send(batch_of({R"({"a":1})"}));
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.fatal);
  EXPECT_NE(result.error.find("dry.ndjson"), std::string::npos) << result.error;
  ::close(fds[1]);
}

} // namespace
} // namespace c42
