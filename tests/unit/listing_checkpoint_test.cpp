#include "common/stages/lister.h"
#include "common/stages/listing_checkpoint.h"
#include "common/stream.h"
#include "common/time_format.h"
#include "tests/unit/test_support.h"

#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace c42 {
namespace {

using test_support::split_lines;
using test_support::TempFile;

const S3Listing kListing{"exports", "2026/"};

// A directory of its own per test, removed afterwards.
class ScratchDir {
public:
  ScratchDir() {
    std::string pattern = testing::TempDir() + "s3-list-XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    EXPECT_NE(::mkdtemp(name.data()), nullptr);
    path_ = name.data();
  }
  ~ScratchDir() {
    for (const auto& entry : entries())
      ::unlink((path_ + "/" + entry).c_str());
    ::rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    if (DIR* dir = ::opendir(path_.c_str())) {
      while (dirent* entry = ::readdir(dir))
        if (std::string(entry->d_name) != "." && std::string(entry->d_name) != "..")
          out.push_back(entry->d_name);
      ::closedir(dir);
    }
    return out;
  }

private:
  std::string path_;
};

TEST(ListCheckpointTest, SavesAtomicallyAndLoadsAnyKeyBack) {
  ScratchDir dir;
  const std::string path = dir.path() + "/progress.json";
  auto missing = load_list_checkpoint(path);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(*missing);
  ListCheckpoint saved{"s3://exports/2026/", "2026/line\nfeed \"q\" \xc3\xa9\r"};
  ASSERT_TRUE(save_list_checkpoint(path, saved).ok());
  ASSERT_TRUE(save_list_checkpoint(path, saved).ok()); // replaces
  auto loaded = load_list_checkpoint(path);
  ASSERT_TRUE(loaded.ok());
  ASSERT_TRUE(*loaded);
  EXPECT_EQ((*loaded)->listing, saved.listing);
  EXPECT_EQ((*loaded)->after, saved.after);
  // No temporary file is left beside it.
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"progress.json"});
}

TEST(ListCheckpointTest, AFileThatIsNotACheckpointIsAConfigurationError) {
  ScratchDir dir;
  const std::string path = dir.path() + "/progress.json";
  std::ofstream(path) << "2026/some-key\n";
  auto loaded = load_list_checkpoint(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().kind, ErrorKind::kConfig);
  EXPECT_NE(loaded.error().message.find("not an s3-list checkpoint"), std::string::npos);
}

TEST(ListCheckpointTest, AnUnwritableDirectoryFailsTheSaveAndKeepsTheOldFile) {
  ScratchDir dir;
  const std::string path = dir.path() + "/missing-dir/progress.json";
  Status saved = save_list_checkpoint(path, ListCheckpoint{"s3://b/", "k"});
  ASSERT_FALSE(saved.ok());
  EXPECT_EQ(saved.error().kind, ErrorKind::kConfig);
}

// The stream the committer reads: what s3-fetch and la-post make of the
// lister's message lines.
std::string begin_line(uint64_t sequence) {
  MessageLine m = message_for(kListing, "2026/k" + std::to_string(sequence), sequence);
  return to_line(BeginLine{m.ref});
}
std::string end_line(uint64_t sequence, bool ok, int64_t delivered, const std::string& key = "") {
  MessageLine m =
      message_for(kListing, key.empty() ? "2026/k" + std::to_string(sequence) : key, sequence);
  EndLine e;
  e.ref = m.ref;
  e.ok = ok;
  e.fetched = ok ? 1 : 0;
  e.failed = ok ? 0 : 1;
  e.delivered = delivered;
  if (!ok) e.error = "cannot get it";
  return to_line(e);
}

class CommitterTest : public testing::Test {
protected:
  CommitterTest() : clock(TimePoint(std::chrono::seconds(1790000000))) {
    config.checkpoint = dir.path() + "/progress.json";
    config.save_interval = std::chrono::milliseconds(0);
  }

  Outcome commit(const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& line : lines)
      text += line + "\n";
    TempFile in_file(text);
    LineReader in(in_file.fd());
    LineWriter writer(out.fd());
    Committer committer(config, clock, in, writer,
                        [this](Severity, const std::string& m) { reports.push_back(m); });
    Outcome outcome = committer.run();
    stats = committer.stats();
    EXPECT_TRUE(writer.flush().ok());
    return outcome;
  }
  std::string after() {
    auto loaded = load_list_checkpoint(config.checkpoint);
    EXPECT_TRUE(loaded.ok());
    return loaded.ok() && *loaded ? (*loaded)->after : "<none>";
  }

  ScratchDir dir;
  FixedClock clock;
  CommitConfig config;
  CommitStats stats;
  TempFile out;
  std::vector<std::string> reports;
};

TEST_F(CommitterTest, AdvancesOverDeliveredObjectsInListingOrderWhateverOrderTheyComeIn) {
  EXPECT_EQ(commit({begin_line(1), begin_line(2), begin_line(3), end_line(2, true, 5),
                    end_line(3, true, 0), end_line(1, true, 7)}),
            Outcome::kOk);
  EXPECT_EQ(after(), "2026/k3");
  EXPECT_EQ(stats.delivered, 3u);
  EXPECT_EQ(stats.committed, 3u);
  // Its own begin and end lines are consumed.
  EXPECT_EQ(out.contents(), "");
}

TEST_F(CommitterTest, StopsBeforeTheFirstObjectNotDelivered) {
  EXPECT_EQ(commit({end_line(1, true, 3), end_line(2, false, 0), end_line(3, true, 3),
                    end_line(4, true, 3)}),
            Outcome::kPartial);
  EXPECT_EQ(after(), "2026/k1");
  EXPECT_EQ(stats.not_delivered, 1u);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].find("s3://exports/2026/k2: cannot get it"), std::string::npos)
      << reports[0];
}

TEST_F(CommitterTest, AnEndLineNoSinkSawIsNotDelivered) {
  // s3-fetch's end line, straight from s3-fetch: nothing was posted.
  EXPECT_EQ(commit({end_line(1, true, -1)}), Outcome::kPartial);
  EXPECT_EQ(after(), "<none>");
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].find("no sink"), std::string::npos) << reports[0];
}

TEST_F(CommitterTest, AMissingObjectHoldsTheCheckpointBeforeIt) {
  // Object 2's end line never came (its fetch was killed): 3 is delivered
  // but the checkpoint may not pass 2.
  EXPECT_EQ(commit({end_line(1, true, 1), end_line(3, true, 1)}), Outcome::kPartial);
  EXPECT_EQ(after(), "2026/k1");
}

TEST_F(CommitterTest, ResumesAnExistingCheckpointAndCarriesAnyKey) {
  ASSERT_TRUE(save_list_checkpoint(config.checkpoint, {"s3://exports/2026/", "2026/a"}).ok());
  EXPECT_EQ(commit({end_line(1, true, 1, "2026/b\nnew line")}), Outcome::kOk);
  EXPECT_EQ(after(), "2026/b\nnew line");
}

TEST_F(CommitterTest, ACheckpointOfAnotherListingIsAConfigurationError) {
  ASSERT_TRUE(save_list_checkpoint(config.checkpoint, {"s3://other/", "x"}).ok());
  EXPECT_EQ(commit({end_line(1, true, 1)}), Outcome::kConfig);
  EXPECT_EQ(after(), "x");
}

TEST_F(CommitterTest, PassesOtherLinesOn) {
  EndLine sqs_end;
  sqs_end.ref = MessageRef{"https://sqs.example/q", "m1", "AQEB"};
  sqs_end.ok = true;
  sqs_end.delivered = 1;
  const std::string stats_line = "{\"@c42\":\"stats\",\"tool\":\"la-post\"}";
  const std::vector<std::string> others = {to_line(BeginLine{sqs_end.ref}), to_line(sqs_end),
                                           "{\"bucket\":\"b\",\"line\":\"x\"}", stats_line};
  EXPECT_EQ(
      commit({others[0], begin_line(1), others[1], end_line(1, true, 1), others[2], others[3]}),
      Outcome::kOk);
  EXPECT_EQ(split_lines(out.contents()), others);
  EXPECT_EQ(after(), "2026/k1");
}

TEST_F(CommitterTest, SavesAtMostOncePerIntervalWhileInputFlowsAndAlwaysAtTheEnd) {
  config.save_interval = std::chrono::milliseconds(1000);
  // The fixed clock never moves: only the final save happens, and it holds
  // the last contiguous key.
  EXPECT_EQ(commit({end_line(1, true, 1), end_line(2, true, 1)}), Outcome::kOk);
  EXPECT_EQ(after(), "2026/k2");
}

TEST_F(CommitterTest, NothingDeliveredLeavesNoCheckpointBehind) {
  EXPECT_EQ(commit({"{\"@c42\":\"stats\"}"}), Outcome::kOk);
  EXPECT_EQ(after(), "<none>");
}

} // namespace
} // namespace c42
