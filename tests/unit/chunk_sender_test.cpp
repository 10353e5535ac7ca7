#include "common/chunk_sender.h"

#include <gtest/gtest.h>

namespace c42 {
namespace {

RecordBatch batch_of(std::initializer_list<const char*> records) {
  RecordBatch batch;
  for (const char* r : records)
    batch.append(r);
  batch.close();
  return batch;
}

TEST(RecordBatchTest, KnowsWhereEachRecordEnds) {
  RecordBatch batch = batch_of({R"({"a":1})", R"({"b":"x,y"})", "{}"});
  EXPECT_EQ(batch.body, R"([{"a":1},{"b":"x,y"},{}])");
  ASSERT_EQ(batch.records(), 3u);
  EXPECT_EQ(batch.record(0), R"({"a":1})");
  EXPECT_EQ(batch.record(1), R"({"b":"x,y"})");
  EXPECT_EQ(batch.record(2), "{}");
}

TEST(RecordBatchTest, SlicesAreArraysOfTheirRecordsAsWritten) {
  RecordBatch batch = batch_of({"{ \"a\" : 1 }", R"({"b":2})", R"({"c":3})", R"({"d":4})"});
  RecordBatch middle = batch.slice(1, 2);
  EXPECT_EQ(middle.body, R"([{"b":2},{"c":3}])");
  ASSERT_EQ(middle.records(), 2u);
  EXPECT_EQ(middle.record(1), R"({"c":3})");
  EXPECT_EQ(batch.slice(0, 1).body, "[{ \"a\" : 1 }]");
  EXPECT_EQ(batch.slice(0, 4).body, batch.body);
}

} // namespace
} // namespace c42
