#include "common/json_value.h"
#include "common/stages/quarantine.h"
#include "common/time_format.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace c42 {
namespace {

QuarantineEntry entry(const std::string& id, const std::string& body) {
  QuarantineEntry e;
  e.ref = MessageRef{"https://sqs.us-east-1.amazonaws.com/1/q", id, "secret-ish-handle"};
  e.receive_count = 4;
  e.reason = "s3://b/k.gz: corrupt gzip";
  e.body = body;
  e.quarantined_at = TimePoint(std::chrono::seconds(1764489600));
  return e;
}

TEST(QuarantineLine, HoldsReasonCountIdAndBodyButNoReceiptHandle) {
  const std::string body = "{\"Bucket Name\":\"b\",\n\"Object Key\":\"k.gz\"}";
  std::string line = to_quarantine_line(entry("m-1", body));
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto v = parse_json_object(line);
  ASSERT_TRUE(v.ok()) << line;
  EXPECT_EQ(string_member(*v, "message_id"), "m-1");
  EXPECT_EQ(string_member(*v, "queue_url"), "https://sqs.us-east-1.amazonaws.com/1/q");
  EXPECT_EQ((*v)["receive_count"].asInt(), 4);
  EXPECT_EQ(string_member(*v, "reason"), "s3://b/k.gz: corrupt gzip");
  EXPECT_EQ(string_member(*v, "body"), body) << "byte for byte";
  EXPECT_EQ(string_member(*v, "quarantined_at"), "2025-11-30T08:00:00.000Z");
  EXPECT_EQ(line.find("secret-ish-handle"), std::string::npos);
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(FileQuarantine, AppendsOneLinePerMessage) {
  const std::string path =
      testing::TempDir() + "quarantine-" + std::to_string(::getpid()) + ".ndjson";
  std::ofstream(path) << "earlier line\n";
  {
    auto q = FileQuarantine::open(path);
    ASSERT_TRUE(q.ok()) << q.error().message;
    ASSERT_TRUE((*q)->put(entry("m-1", "a")).ok());
    ASSERT_TRUE((*q)->put(entry("m-2", "b")).ok());
  }
  EXPECT_EQ(read_all(path), "earlier line\n" + to_quarantine_line(entry("m-1", "a")) + "\n" +
                                to_quarantine_line(entry("m-2", "b")) + "\n");
  std::remove(path.c_str());
}

TEST(FileQuarantine, UnwritablePlaceIsAConfigErrorAtOpen) {
  auto q = FileQuarantine::open("/nonexistent-dir/quarantine.ndjson");
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().kind, ErrorKind::kConfig);
  EXPECT_NE(q.error().message.find("/nonexistent-dir/quarantine.ndjson"), std::string::npos);
}

TEST(FileQuarantine, FullDeviceFailsThePut) {
  struct stat info {};
  if (::stat("/dev/full", &info) != 0) GTEST_SKIP() << "no /dev/full";
  auto q = FileQuarantine::open("/dev/full");
  ASSERT_TRUE(q.ok()) << q.error().message;
  Status stored = (*q)->put(entry("m-1", "a"));
  ASSERT_FALSE(stored.ok());
  EXPECT_NE(stored.error().message.find("/dev/full"), std::string::npos);
}

TEST(S3Prefix, ParsesAndEndsWithASlash) {
  auto p = parse_s3_prefix("s3://bkt/quarantine");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->bucket, "bkt");
  EXPECT_EQ(p->prefix, "quarantine/");
  EXPECT_EQ(S3Quarantine::key_for(*p, "m-1"), "quarantine/m-1.json");
  p = parse_s3_prefix("s3://bkt/a/b/");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->prefix, "a/b/");
  EXPECT_FALSE(parse_s3_prefix("s3://bkt").ok());
  EXPECT_FALSE(parse_s3_prefix("s3://bkt/").ok());
  EXPECT_FALSE(parse_s3_prefix("bkt/q").ok());
}

class RecordingQuarantine final : public Quarantine {
public:
  explicit RecordingQuarantine(std::string refuse = "") : refuse_(std::move(refuse)) {}
  Status put(const QuarantineEntry& e) override {
    ++calls;
    if (!refuse_.empty()) return make_error(refuse_);
    (void)e;
    return Status::success();
  }
  int calls = 0;

private:
  std::string refuse_;
};

TEST(QuarantineSet, EveryDestinationMustHoldTheMessage) {
  QuarantineSet set;
  auto first = std::make_unique<RecordingQuarantine>();
  auto second = std::make_unique<RecordingQuarantine>("S3 unreachable");
  RecordingQuarantine* a = first.get();
  set.add(std::move(first));
  set.add(std::move(second));
  Status stored = set.put(entry("m-1", "a"));
  ASSERT_FALSE(stored.ok());
  EXPECT_EQ(stored.error().message, "S3 unreachable");
  EXPECT_EQ(a->calls, 1);
}

} // namespace
} // namespace c42
