#include "common/json_value.h"
#include "common/stages/announcement.h"
#include "common/stages/fetcher.h"
#include "common/stages/lister.h"
#include "common/stream.h"
#include "common/time_format.h"
#include "tests/unit/test_support.h"

#include <deque>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace c42 {
namespace {

using test_support::split_lines;
using test_support::TempFile;

TimePoint at(const char* iso) {
  auto t = parse_iso8601(iso);
  EXPECT_TRUE(t.ok()) << iso;
  return t.ok() ? *t : TimePoint();
}

aws::S3ListedObject object(const std::string& key, const char* modified = "2026-11-01T10:00:00Z") {
  aws::S3ListedObject o;
  o.key = key;
  o.last_modified = at(modified);
  o.etag = "\"e\"";
  o.size = 1;
  return o;
}

// Serves scripted pages and records every request, with what had been
// written to the output by the time it came.
class FakeLister final : public ObjectLister {
public:
  explicit FakeLister(const TempFile& out) : out_(out) {}
  Result<aws::ListObjectsPage> list(const std::string& bucket,
                                    const aws::ListObjectsRequest& request) override {
    buckets.push_back(bucket);
    requests.push_back(request);
    written_before.push_back(split_lines(out_.contents()).size());
    EXPECT_FALSE(pages.empty()) << "unexpected page request";
    if (pages.empty()) return make_error("no page");
    auto next = pages.front();
    pages.pop_front();
    return next;
  }
  std::deque<Result<aws::ListObjectsPage>> pages;
  std::vector<std::string> buckets;
  std::vector<aws::ListObjectsRequest> requests;
  std::vector<size_t> written_before;

private:
  const TempFile& out_;
};

aws::ListObjectsPage page(std::vector<aws::S3ListedObject> objects, const std::string& next = "") {
  aws::ListObjectsPage p;
  p.objects = std::move(objects);
  p.truncated = !next.empty();
  p.next_continuation_token = next;
  return p;
}

// One last page of these keys, modified at object()'s default time.
aws::ListObjectsPage page_of(const std::vector<std::string>& keys) {
  std::vector<aws::S3ListedObject> objects;
  for (const auto& k : keys)
    objects.push_back(object(k));
  return page(objects);
}

class ListerTest : public testing::Test {
protected:
  ListerTest() : source(out) { config.listing = S3Listing{"exports", "2026/"}; }

  Outcome list(std::function<bool()> stop = {}) {
    LineWriter writer(out.fd());
    Lister lister(
        config, source, writer, [this](Severity, const std::string& m) { reports.push_back(m); },
        stop);
    Outcome outcome = lister.run();
    stats = lister.stats();
    EXPECT_TRUE(writer.flush().ok());
    return outcome;
  }
  std::vector<std::string> lines() const { return split_lines(out.contents()); }

  TempFile out;
  FakeLister source;
  ListConfig config;
  ListStats stats;
  std::vector<std::string> reports;
};

TEST(S3ListingTest, ParsesBucketAndPrefix) {
  auto full = parse_s3_listing("s3://b/2026/11/");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->bucket, "b");
  EXPECT_EQ(full->prefix, "2026/11/");
  auto bare = parse_s3_listing("s3://b");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->prefix, "");
  EXPECT_EQ(bare->reference(), "s3://b/");
  EXPECT_FALSE(parse_s3_listing("s3:///p").ok());
  EXPECT_FALSE(parse_s3_listing("https://b/p").ok());
}

TEST_F(ListerTest, FollowsContinuationTokensAndWritesEachPageBeforeTheNext) {
  source.pages.push_back(page({object("2026/a.gz"), object("2026/b.gz")}, "token one"));
  source.pages.push_back(page({object("2026/c.gz")}, "token+two"));
  source.pages.push_back(page({object("2026/d.gz")}));
  config.start_after = "2026/0";
  config.page_size = 2;
  EXPECT_EQ(list(), Outcome::kOk);
  EXPECT_EQ(lines(),
            (std::vector<std::string>{"s3://exports/2026/a.gz", "s3://exports/2026/b.gz",
                                      "s3://exports/2026/c.gz", "s3://exports/2026/d.gz"}));
  ASSERT_EQ(source.requests.size(), 3u);
  EXPECT_EQ(source.buckets[0], "exports");
  EXPECT_EQ(source.requests[0].prefix, "2026/");
  EXPECT_EQ(source.requests[0].start_after, "2026/0");
  EXPECT_EQ(source.requests[0].continuation_token, "");
  EXPECT_EQ(source.requests[0].max_keys, 2);
  EXPECT_EQ(source.requests[1].continuation_token, "token one");
  EXPECT_EQ(source.requests[2].continuation_token, "token+two");
  // Bounded memory: a page is out before the next is asked for.
  EXPECT_EQ(source.written_before, (std::vector<size_t>{0, 2, 3}));
  EXPECT_EQ(stats.pages, 3u);
  EXPECT_EQ(stats.listed, 4u);
  EXPECT_EQ(stats.written, 4u);
}

TEST_F(ListerTest, KeysWithSpacesAndUnicodeAreWrittenLiterallyAndReadBackBySFetch) {
  // In S3's order, UTF-8 binary.
  const std::vector<std::string> keys = {"2026/a b+c%20.gz", "2026/cr\rinside",
                                         "2026/\xc3\xa9t\xc3\xa9 \xe2\x80\xa8.gz"};
  source.pages.push_back(page_of(keys));
  EXPECT_EQ(list(), Outcome::kOk);
  auto out = lines();
  ASSERT_EQ(out.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    auto ref = parse_s3_reference(out[i]);
    ASSERT_TRUE(ref.ok()) << out[i];
    EXPECT_EQ(ref->bucket, "exports");
    EXPECT_EQ(ref->key, keys[i]);
  }
}

TEST_F(ListerTest, ReferencesRefuseKeysNoLineCanHoldAndSayWhich) {
  source.pages.push_back(page(
      {object("2026/a"), object("2026/line\nfeed"), object("2026/trailing\r"), object("2026/z")}));
  EXPECT_EQ(list(), Outcome::kPartial);
  EXPECT_EQ(lines(), (std::vector<std::string>{"s3://exports/2026/a", "s3://exports/2026/z"}));
  EXPECT_EQ(stats.refused, 2u);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_NE(reports[0].find("line feed"), std::string::npos) << reports[0];
  EXPECT_EQ(reports[0].find('\n'), std::string::npos);
  EXPECT_NE(reports[1].find("carriage return"), std::string::npos) << reports[1];
}

TEST_F(ListerTest, MessageLinesCarryEveryKeyExactlyAndNumberTheListing) {
  config.output = ListOutput::kMessages;
  const std::vector<std::string> keys = {"2026/\"quoted\" \\ \xe2\x80\xa9", "2026/a",
                                         "2026/line\nfeed", "2026/trailing\r"};
  source.pages.push_back(page_of(keys));
  EXPECT_EQ(list(), Outcome::kOk);
  auto out = lines();
  ASSERT_EQ(out.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    auto value = parse_json_object(out[i]);
    ASSERT_TRUE(value.ok()) << out[i];
    auto message = message_from_json(*value);
    ASSERT_TRUE(message.ok());
    EXPECT_EQ(message->ref.queue_url, "s3://exports/2026/");
    EXPECT_EQ(message->ref.message_id, "s3://exports/" + keys[i]);
    EXPECT_EQ(list_sequence(message->ref.receipt_handle), i + 1);
    // What s3-fetch makes of the body: this object, and no event time, so
    // its records carry Last-Modified as for an s3:// reference.
    auto announced = parse_s3_announcement(message->body);
    ASSERT_TRUE(announced.ok()) << announced.error().message;
    ASSERT_EQ(announced->objects.size(), 1u);
    EXPECT_EQ(announced->objects[0].bucket, "exports");
    EXPECT_EQ(announced->objects[0].key, keys[i]);
    EXPECT_EQ(announced->objects[0].event_time, "");
  }
}

TEST(ListSequenceTest, OnlyS3ListHandles) {
  EXPECT_EQ(list_sequence("s3-list:17"), 17u);
  EXPECT_FALSE(list_sequence("s3-list:0"));
  EXPECT_FALSE(list_sequence("s3-list:x"));
  EXPECT_FALSE(list_sequence("AQEBzWwaftRI0KuVm4tP"));
}

TEST_F(ListerTest, FiltersOnTimeWindowGlobAndSuffix) {
  config.filters.since = at("2026-11-01T00:00:00Z");
  config.filters.until = at("2026-11-02T00:00:00Z");
  config.filters.match = {"2026/*/events-*"};
  config.filters.suffixes = {".gz", ".json"};
  aws::S3ListedObject unknown_time = object("2026/x/z/events-9.gz");
  unknown_time.last_modified.reset();
  source.pages.push_back(page({
      object("2026/x/events-1.gz", "2026-11-01T00:00:00Z"),     // since is inclusive
      object("2026/x/events-2.gz", "2026-10-31T23:59:59.999Z"), // before the window
      object("2026/x/events-3.gz", "2026-11-02T00:00:00Z"),     // until is exclusive
      object("2026/x/events-4.json", "2026-11-01T12:00:00Z"),
      object("2026/x/events-5.txt", "2026-11-01T12:00:00Z"),  // suffix
      object("2026/x/other-6.gz", "2026-11-01T12:00:00Z"),    // glob
      object("2026/x/y/events-7.gz", "2026-11-01T12:00:00Z"), // '*' spans '/'
      unknown_time,
  }));
  EXPECT_EQ(list(), Outcome::kOk);
  EXPECT_EQ(lines(), (std::vector<std::string>{"s3://exports/2026/x/events-1.gz",
                                               "s3://exports/2026/x/events-4.json",
                                               "s3://exports/2026/x/y/events-7.gz"}));
  EXPECT_EQ(stats.listed, 8u);
  EXPECT_EQ(stats.written, 3u);
}

TEST_F(ListerTest, APageThatCannotBeHadIsAServiceError) {
  source.pages.push_back(page({object("2026/a")}, "t"));
  source.pages.push_back(make_error("cannot list s3://exports/2026/: AccessDenied (HTTP 403)"));
  EXPECT_EQ(list(), Outcome::kService);
  EXPECT_EQ(lines(), (std::vector<std::string>{"s3://exports/2026/a"}));
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].find("AccessDenied"), std::string::npos);
}

TEST_F(ListerTest, AStopBetweenPagesOrDuringARetryIsAnInterruption) {
  source.pages.push_back(page({object("2026/a")}, "t"));
  int asked = 0;
  EXPECT_EQ(list([&] { return ++asked > 1; }), Outcome::kInterrupted);
  EXPECT_EQ(source.requests.size(), 1u);
  source.pages.clear();
  source.pages.push_back(make_error("stopped", ErrorKind::kAborted));
  EXPECT_EQ(list(), Outcome::kInterrupted);
}

TEST_F(ListerTest, KeysOutOfOrderAreNotTakenOnTrust) {
  source.pages.push_back(page({object("2026/b")}, "t"));
  source.pages.push_back(page({object("2026/a")}));
  EXPECT_EQ(list(), Outcome::kService);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].find("out of order"), std::string::npos);
}

TEST_F(ListerTest, AnEmptyListingWritesNothing) {
  source.pages.push_back(page({}));
  EXPECT_EQ(list(), Outcome::kOk);
  EXPECT_TRUE(out.contents().empty());
}

TEST_F(ListerTest, AClosedOutputStops) {
  test_support::IgnoreSigpipe ignore;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  source.pages.push_back(page({object("2026/a")}, "t"));
  LineWriter writer(fds[1]);
  Lister lister(config, source, writer, {});
  EXPECT_EQ(lister.run(), Outcome::kOutputFailed);
  ::close(fds[1]);
  EXPECT_EQ(source.requests.size(), 1u);
}

} // namespace
} // namespace c42
