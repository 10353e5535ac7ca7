#include "common/json_value.h"
#include "common/stages/poster.h"
#include "common/stream.h"
#include "common/time_format.h"
#include "tests/unit/test_support.h"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <gtest/gtest.h>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace c42 {
namespace {

using test_support::split_lines;
using test_support::TempFile;

// What every FakeSender shares: the bodies it was given and its script.
// A body containing "FAIL" fails, "FATAL" fails fatally, "STORM" fails as
// retries ran out on 5xx answers, "SLOW" waits until
// released; the records containing "BAD" fail alone, the others of their
// batch are accepted (as a sender that split the batch reports).
struct SenderScript {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> bodies;
  std::vector<size_t> records;
  int senders_made = 0;
  bool released = false;

  void release() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      released = true;
    }
    changed.notify_all();
  }
  bool wait_for_bodies(size_t n) {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(5), [&] { return bodies.size() >= n; });
  }
};

class FakeSender final : public ChunkSender {
public:
  explicit FakeSender(SenderScript& script) : script_(script) {}
  SendResult send(const RecordBatch& batch) override {
    const std::string& body = batch.body;
    std::unique_lock<std::mutex> lock(script_.mutex);
    script_.bodies.push_back(body);
    script_.records.push_back(batch.records());
    script_.changed.notify_all();
    if (body.find("SLOW") != std::string::npos)
      script_.changed.wait_for(lock, std::chrono::seconds(5), [&] { return script_.released; });
    SendResult r;
    r.attempts = 1;
    if (body.find("FATAL") != std::string::npos) {
      r.fatal = true;
      r.error = "HTTP 403: Forbidden";
    } else if (body.find("LATE") != std::string::npos) {
      r.out_of_time = true;
      r.error = "HTTP 503; no time left for another attempt before the run's deadline";
    } else if (body.find("STORM") != std::string::npos) {
      r.transient = true;
      r.error = "HTTP 503: ServiceUnavailable after 6 attempts";
    } else if (body.find("FAIL") != std::string::npos) {
      r.error = "HTTP 400: InvalidDataFormat";
    } else if (body.find("BAD") != std::string::npos) {
      for (size_t i = 0; i < batch.records(); ++i)
        if (batch.record(i).find("BAD") != std::string_view::npos)
          r.failed.push_back(FailedRecords{i, 1, "HTTP 413: record " + std::to_string(i)});
      r.error = r.failed.front().error;
    } else {
      r.ok = true;
      // Accepted on the third try.
      if (body.find("RETRIED") != std::string::npos) r.attempts = 3;
    }
    return r;
  }

private:
  SenderScript& script_;
};

MessageRef ref(const std::string& id) {
  return MessageRef{"https://sqs.us-east-1.amazonaws.com/1/q", "id-" + id, "rh-" + id};
}

std::string begin_line(const std::string& id) {
  return to_line(BeginLine{ref(id)}) + "\n";
}

std::string end_line(const std::string& id, bool ok = true, const std::string& error = "") {
  EndLine e;
  e.ref = ref(id);
  e.ok = ok;
  e.fetched = 1;
  e.records = 2;
  e.error = error;
  return to_line(e) + "\n";
}

std::string rec(const std::string& tag, int n = 0) {
  return R"({"tag":")" + tag + R"(","n":)" + std::to_string(n) + "}";
}

struct PostRun {
  Outcome outcome = Outcome::kOk;
  std::vector<std::string> raw;
  std::vector<Json::Value> lines;
  std::vector<std::string> warnings;
  uint64_t records_read = 0, messages_ok = 0, messages_failed = 0;

  std::vector<EndLine> ends() const {
    std::vector<EndLine> out;
    for (const auto& v : lines) {
      if (control_kind(v) != "end") continue;
      auto e = end_from_json(v);
      EXPECT_TRUE(e.ok()) << to_json_line(v);
      if (e.ok()) out.push_back(*e);
    }
    return out;
  }
  EndLine end_of(const std::string& id) const {
    for (const EndLine& e : ends())
      if (e.ref.message_id == "id-" + id) return e;
    ADD_FAILURE() << "no end line for id-" << id;
    return EndLine();
  }
  const Json::Value& stats() const {
    static const Json::Value none;
    return lines.empty() ? none : lines.back();
  }
};

class PosterTest : public testing::Test {
protected:
  size_t reader_max = 64u << 20;

  PosterTest() {
    config.chunk_records = 500;
    config.chunk_bytes = 1000000;
    config.in_flight = 1;
  }

  PostRun run(const std::string& input) {
    TempFile in_file(input);
    TempFile out_file;
    PostRun r;
    {
      LineReader reader(in_file.fd(), reader_max);
      LineWriter writer(out_file.fd());
      std::mutex warn_mutex;
      Poster poster(
          config,
          [this] {
            std::lock_guard<std::mutex> lock(script.mutex);
            ++script.senders_made;
            return std::make_unique<FakeSender>(script);
          },
          writer,
          [&](Severity, const std::string& w) {
            std::lock_guard<std::mutex> lock(warn_mutex);
            r.warnings.push_back(w);
          });
      r.outcome = poster.run(reader);
      r.records_read = poster.stats().records_read;
      r.messages_ok = poster.stats().messages_ok;
      r.messages_failed = poster.stats().messages_failed;
    }
    r.raw = split_lines(out_file.contents());
    for (const auto& line : r.raw) {
      auto v = parse_json_object(line);
      EXPECT_TRUE(v.ok()) << line;
      r.lines.push_back(v.ok() ? *v : Json::Value());
    }
    return r;
  }

  void expect_stats(const PostRun& r, uint64_t posted, uint64_t failed, uint64_t chunks_posted,
                    uint64_t chunks_failed) {
    ASSERT_FALSE(r.lines.empty());
    const Json::Value& s = r.stats();
    EXPECT_EQ(control_kind(s), "stats");
    EXPECT_EQ(s["tool"].asString(), "la-post");
    EXPECT_EQ(s["records_posted"].asUInt64(), posted);
    EXPECT_EQ(s["records_failed"].asUInt64(), failed);
    EXPECT_EQ(s["chunks_posted"].asUInt64(), chunks_posted);
    EXPECT_EQ(s["chunks_failed"].asUInt64(), chunks_failed);
    EXPECT_EQ(r.raw.back().rfind("{\"@c42\":\"stats\"", 0), 0u) << r.raw.back();
  }

  // Every record of every body, in order.
  std::vector<std::string> posted_records() {
    std::vector<std::string> out;
    for (const std::string& body : script.bodies) {
      auto v = parse_json(body);
      EXPECT_TRUE(v.ok()) << body;
      if (!v.ok()) continue;
      EXPECT_TRUE(v->isArray());
      for (const auto& item : *v)
        out.push_back(to_json_line(item));
    }
    return out;
  }

  PostConfig config;
  SenderScript script;
};

// --- chunking ---

TEST_F(PosterTest, ChunksByRecordCount) {
  config.chunk_records = 3;
  std::string input;
  std::vector<std::string> records;
  for (int i = 0; i < 10; ++i) {
    records.push_back(rec("r", i));
    input += records.back() + "\n";
  }
  PostRun r = run(input);
  EXPECT_EQ(r.outcome, Outcome::kOk);
  ASSERT_EQ(script.bodies.size(), 4u);
  EXPECT_EQ(script.records, (std::vector<size_t>{3, 3, 3, 1}));
  EXPECT_EQ(script.bodies[0], "[" + records[0] + "," + records[1] + "," + records[2] + "]");
  EXPECT_EQ(script.bodies[3], "[" + records[9] + "]");
  // Records are not copied to the output: only the stats line is there.
  ASSERT_EQ(r.raw.size(), 1u);
  expect_stats(r, 10, 0, 4, 0);
  EXPECT_EQ(r.records_read, 10u);
}

TEST_F(PosterTest, BodiesAreExactlyTheInputRecords) {
  const std::vector<std::string> records = {
      R"({ "spaced" : 1 , "x" : [1, 2 ,3] })",
      R"({"escaped":"caf\u00e9 \"q\" \\ \n"})",
      "{\"raw\":\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"}",
      R"({"big":12345678901234567890123,"f":1.50e+3,"n":null,"t":true})",
      R"({})",
  };
  std::string input;
  for (const auto& rr : records)
    input += rr + "\n";
  PostRun r = run(input);
  EXPECT_EQ(r.outcome, Outcome::kOk);
  ASSERT_EQ(script.bodies.size(), 1u);
  std::string expected = "[";
  for (size_t i = 0; i < records.size(); ++i)
    expected += (i ? "," : "") + records[i];
  expected += "]";
  EXPECT_EQ(script.bodies[0], expected);
  EXPECT_EQ(script.records[0], records.size());
  auto parsed = parse_json(script.bodies[0]);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->size(), records.size());
}

TEST_F(PosterTest, ChunksByBytesNeverExceedTheCap) {
  config.chunk_bytes = 100;
  // Each record is 30 bytes: three fit (1 + 3*30 + 2 + 1 = 94), four do not.
  std::vector<std::string> records;
  std::string input;
  for (int i = 0; i < 10; ++i) {
    std::string r = R"({"k":")" + std::string(22, static_cast<char>('a' + i)) + R"("})";
    ASSERT_EQ(r.size(), 30u);
    records.push_back(r);
    input += r + "\n";
  }
  PostRun r = run(input);
  EXPECT_EQ(r.outcome, Outcome::kOk);
  ASSERT_EQ(script.bodies.size(), 4u);
  EXPECT_EQ(script.records, (std::vector<size_t>{3, 3, 3, 1}));
  for (const auto& body : script.bodies)
    EXPECT_LE(body.size(), 100u) << body;
  EXPECT_EQ(posted_records().size(), 10u);
}

TEST_F(PosterTest, VariedRecordSizesStayUnderTheCapInOrder) {
  config.chunk_bytes = 256;
  std::vector<std::string> records;
  std::string input;
  for (int i = 0; i < 200; ++i) {
    std::string r = R"({"i":)" + std::to_string(i) + R"(,"pad":")" +
                    std::string(static_cast<size_t>((i * 37) % 230), 'p') + R"("})";
    if (r.size() + 2 > 256) continue;
    records.push_back(r);
    input += r + "\n";
  }
  PostRun r = run(input);
  EXPECT_EQ(r.outcome, Outcome::kOk);
  for (const auto& body : script.bodies)
    EXPECT_LE(body.size(), 256u);
  std::string all;
  for (const auto& body : script.bodies)
    all += body.substr(1, body.size() - 2) + ",";
  std::string expected;
  for (const auto& rr : records)
    expected += rr + ",";
  EXPECT_EQ(all, expected);
}

TEST_F(PosterTest, RecordExactlyAtTheCapIsPostedAlone) {
  config.chunk_bytes = 100;
  std::string exact = R"({"k":")" + std::string(98 - 8, 'x') + R"("})";
  ASSERT_EQ(exact.size(), 98u);
  PostRun r = run(begin_line("1") + rec("a") + "\n" + exact + "\n" + end_line("1"));
  EXPECT_EQ(r.outcome, Outcome::kOk);
  ASSERT_EQ(script.bodies.size(), 2u);
  EXPECT_EQ(script.bodies[1], "[" + exact + "]");
  EXPECT_EQ(script.bodies[1].size(), 100u);
  EndLine e = r.end_of("1");
  EXPECT_TRUE(e.ok);
  EXPECT_EQ(e.delivered, 2);
}

TEST_F(PosterTest, RecordLargerThanTheCapFailsItsSpan) {
  config.chunk_bytes = 100;
  std::string too_big = R"({"k":")" + std::string(99 - 8, 'x') + R"("})";
  ASSERT_EQ(too_big.size(), 99u);
  PostRun r = run(begin_line("1") + rec("a") + "\n" + too_big + "\n" + end_line("1") +
                  begin_line("2") + rec("b") + "\n" + end_line("2"));
  EXPECT_EQ(r.outcome, Outcome::kPartial);
  for (const auto& body : script.bodies) {
    EXPECT_EQ(body.find(std::string(50, 'x')), std::string::npos) << "oversized record was sent";
    EXPECT_LE(body.size(), 100u);
  }
  EndLine e1 = r.end_of("1");
  EXPECT_FALSE(e1.ok);
  EXPECT_NE(e1.error.find("larger than the chunk limit"), std::string::npos) << e1.error;
  EXPECT_EQ(e1.delivered, 1);
  EndLine e2 = r.end_of("2");
  EXPECT_TRUE(e2.ok);
  EXPECT_EQ(e2.delivered, 1);
  expect_stats(r, 2, 1, 2, 0);
}

// --- end lines ---

TEST_F(PosterTest, EndLineGetsOkAndDelivered) {
  PostRun r = run(begin_line("1") + rec("a", 1) + "\n" + rec("a", 2) + "\n" + end_line("1"));
  EXPECT_EQ(r.outcome, Outcome::kOk);
  ASSERT_EQ(r.lines.size(), 3u);
  EXPECT_EQ(control_kind(r.lines[0]), "begin");
  EXPECT_EQ(control_kind(r.lines[1]), "end");
  EndLine e = r.end_of("1");
  EXPECT_TRUE(e.ok);
  EXPECT_EQ(e.delivered, 2);
  EXPECT_EQ(e.ref.receipt_handle, "rh-1");
  // Upstream counts survive.
  EXPECT_EQ(e.fetched, 1u);
  EXPECT_EQ(e.records, 2u);
  EXPECT_EQ(e.error, "");
  EXPECT_EQ(r.messages_ok, 1u);
  expect_stats(r, 2, 0, 1, 0);
}

TEST_F(PosterTest, EndOfASpanWithoutRecordsIsOkWithZeroDelivered) {
  PostRun r = run(begin_line("1") + end_line("1"));
  EXPECT_EQ(r.outcome, Outcome::kOk);
  EndLine e = r.end_of("1");
  EXPECT_TRUE(e.ok);
  EXPECT_EQ(e.delivered, 0);
  EXPECT_TRUE(script.bodies.empty());
}

TEST_F(PosterTest, EndLineDoesNotWaitForTheChunkToFill) {
  config.chunk_records = 1000;
  PostRun r = run(begin_line("1") + rec("a") + "\n" + end_line("1") + begin_line("2") + rec("b") +
                  "\n" + end_line("2"));
  // Each end submits the chunk holding its span's records.
  ASSERT_EQ(script.bodies.size(), 2u);
  EXPECT_EQ(script.records, (std::vector<size_t>{1, 1}));
}

TEST_F(PosterTest, DeliveredCountsEveryRecordInTheSpan) {
  // Interleaved spans: A holds a1, b1; B holds b1, b2.
  PostRun r = run(begin_line("A") + rec("a1") + "\n" + begin_line("B") + rec("b1") + "\n" +
                  end_line("A") + rec("b2") + "\n" + end_line("B"));
  EXPECT_EQ(r.outcome, Outcome::kOk);
  EXPECT_EQ(r.end_of("A").delivered, 2);
  EXPECT_EQ(r.end_of("B").delivered, 2);
}

TEST_F(PosterTest, ExtraFieldsOfTheEndLineSurvive) {
  std::string e = end_line("1");
  e.insert(e.size() - 2, R"(,"x_extra":"keep me")");
  PostRun r = run(begin_line("1") + rec("a") + "\n" + e);
  ASSERT_EQ(r.lines.size(), 3u);
  EXPECT_EQ(r.lines[1]["x_extra"].asString(), "keep me");
  EXPECT_EQ(r.lines[1]["delivered"].asInt64(), 1);
  EXPECT_EQ(r.raw[1].rfind("{\"@c42\":\"end\"", 0), 0u);
}

TEST_F(PosterTest, EndLinesWaitForTheirChunksAndKeepInputOrder) {
  config.in_flight = 2;
  const std::string note = R"({"@c42":"note","text":"after B"})";
  const std::string input = begin_line("A") + rec("SLOW") + "\n" + end_line("A") + begin_line("B") +
                            rec("b") + "\n" + end_line("B") + note + "\n";
  TempFile in_file(input);
  TempFile out_file;
  Outcome outcome = Outcome::kBadInput;
  std::thread runner([&] {
    LineReader reader(in_file.fd());
    LineWriter writer(out_file.fd());
    Poster poster(
        config, [this] { return std::make_unique<FakeSender>(script); }, writer, nullptr);
    outcome = poster.run(reader);
  });
  ASSERT_TRUE(script.wait_for_bodies(2)) << "B's chunk should be sent while A's is held";
  // B's chunk is answered; give the poster time to (wrongly) write B's end.
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  std::vector<std::string> early = split_lines(out_file.contents());
  script.release();
  runner.join();
  ASSERT_EQ(early.size(), 1u) << "only begin A may be out while A's chunk is unanswered";
  EXPECT_EQ(early[0] + "\n", begin_line("A"));

  EXPECT_EQ(outcome, Outcome::kOk);
  std::vector<std::string> lines = split_lines(out_file.contents());
  ASSERT_EQ(lines.size(), 6u);
  std::vector<std::string> kinds;
  for (const auto& l : lines) {
    auto v = parse_json_object(l);
    ASSERT_TRUE(v.ok());
    kinds.push_back(control_kind(*v) + " " + string_member(*v, "message_id"));
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"begin id-A", "end id-A", "begin id-B", "end id-B",
                                             "note ", "stats "}));
  EXPECT_EQ(lines[4], note);
}

TEST_F(PosterTest, BeginAndUnknownControlLinesPassThroughUnchanged) {
  const std::string upstream_stats = R"({"@c42":"stats","tool":"c42-transform","rows":2})";
  const std::string future = R"({"@c42":"future-kind","payload":{"z":1,"a":[true]}})";
  const std::string message =
      R"({"@c42":"message","queue_url":"q","message_id":"m","receipt_handle":"r","body":"{}"})";
  PostRun r = run(message + "\n" + begin_line("1") + upstream_stats + "\n" + rec("a") + "\n" +
                  future + "\n" + end_line("1"));
  EXPECT_EQ(r.outcome, Outcome::kOk);
  ASSERT_EQ(r.raw.size(), 6u);
  EXPECT_EQ(r.raw[0], message);
  EXPECT_EQ(r.raw[1] + "\n", begin_line("1"));
  EXPECT_EQ(r.raw[2], upstream_stats);
  EXPECT_EQ(r.raw[3], future);
  EXPECT_EQ(control_kind(r.lines[4]), "end");
  expect_stats(r, 1, 0, 1, 0);
}

// --- failures ---

TEST_F(PosterTest, FailedChunkFailsEverySpanItTouches) {
  config.chunk_records = 1;
  // Chunk {FAIL} holds only A's record; chunk {b} is in both A's and B's span.
  PostRun r = run(begin_line("A") + rec("FAIL") + "\n" + begin_line("B") + rec("b") + "\n" +
                  end_line("A") + end_line("B"));
  EXPECT_EQ(r.outcome, Outcome::kPartial);
  EndLine a = r.end_of("A");
  EXPECT_FALSE(a.ok);
  EXPECT_NE(a.error.find("posting failed"), std::string::npos) << a.error;
  EXPECT_NE(a.error.find("InvalidDataFormat"), std::string::npos) << a.error;
  EXPECT_EQ(a.delivered, 1);
  EndLine b = r.end_of("B");
  EXPECT_TRUE(b.ok) << "B's span never held the failed chunk";
  EXPECT_EQ(b.delivered, 1);
  EXPECT_EQ(r.messages_failed, 1u);
  EXPECT_EQ(r.messages_ok, 1u);
  expect_stats(r, 1, 1, 1, 1);
  bool warned = false;
  for (const auto& w : r.warnings)
    warned |= w.find("failed") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST_F(PosterTest, FailedSharedChunkFailsInterleavedSpans) {
  PostRun r = run(begin_line("A") + begin_line("B") + rec("a") + "\n" + rec("FAIL") + "\n" +
                  end_line("A") + end_line("B"));
  EXPECT_EQ(r.outcome, Outcome::kPartial);
  for (const char* id : {"A", "B"}) {
    EndLine e = r.end_of(id);
    EXPECT_FALSE(e.ok) << id;
    EXPECT_EQ(e.delivered, 0) << id;
  }
}

TEST_F(PosterTest, FailedChunkSparesSpansItDoesNotTouch) {
  PostRun r =
      run(begin_line("A") + rec("a1") + "\n" + rec("a2") + "\n" + end_line("A") + begin_line("B") +
          rec("FAIL") + "\n" + end_line("B") + begin_line("C") + rec("c") + "\n" + end_line("C"));
  EXPECT_EQ(r.outcome, Outcome::kPartial);
  EXPECT_TRUE(r.end_of("A").ok);
  EXPECT_EQ(r.end_of("A").delivered, 2);
  EXPECT_FALSE(r.end_of("B").ok);
  EXPECT_EQ(r.end_of("B").delivered, 0);
  EXPECT_TRUE(r.end_of("C").ok);
  EXPECT_EQ(r.end_of("C").delivered, 1);
  expect_stats(r, 3, 1, 2, 1);
}

// A sender that names the records that failed fails only the spans that
// hold them: B's one record was accepted though its chunk held A's failed
// one, so B is delivered and A (which also counts B's record) is not.
TEST_F(PosterTest, RecordsNamedAsFailedFailOnlyTheirSpans) {
  PostRun r = run(begin_line("A") + rec("BAD") + "\n" + begin_line("B") + rec("b") + "\n" +
                  end_line("A") + end_line("B"));
  ASSERT_EQ(script.bodies.size(), 1u) << "one chunk held both";
  EXPECT_EQ(r.outcome, Outcome::kPartial);
  EndLine a = r.end_of("A");
  EXPECT_FALSE(a.ok);
  EXPECT_EQ(a.delivered, 1);
  EXPECT_NE(a.error.find("HTTP 413: record 0"), std::string::npos) << a.error;
  EndLine b = r.end_of("B");
  EXPECT_TRUE(b.ok) << b.error;
  EXPECT_EQ(b.delivered, 1);
  expect_stats(r, 1, 1, 0, 1);
  bool named = false;
  for (const auto& w : r.warnings)
    named |= w.find("1 of a chunk's 2 records failed") != std::string::npos;
  EXPECT_TRUE(named) << testing::PrintToString(r.warnings);
}

TEST_F(PosterTest, FailedRecordsInsideASpanCountAgainstItsDelivered) {
  PostRun r = run(begin_line("A") + rec("a", 1) + "\n" + rec("BAD", 2) + "\n" + rec("a", 3) + "\n" +
                  rec("BAD", 4) + "\n" + end_line("A"));
  EndLine a = r.end_of("A");
  EXPECT_FALSE(a.ok);
  EXPECT_EQ(a.delivered, 2);
  expect_stats(r, 2, 2, 0, 1);
}

// --pass-records: every record goes on too, in input order with the
// control lines, and an end line still waits for its chunks.
TEST_F(PosterTest, PassRecordsWritesEveryRecordInOrder) {
  config.pass_records = true;
  const std::string input = begin_line("A") + rec("a", 1) + "\n" + "{\"raw tab\":\"x\ty\"}\n" +
                            rec("a", 2) + "\n" + end_line("A") + begin_line("B") + rec("b") + "\n" +
                            end_line("B");
  PostRun r = run(input);
  EXPECT_EQ(r.outcome, Outcome::kPartial) << "the record that is not JSON still fails";
  ASSERT_EQ(r.raw.size(), 9u);
  std::vector<std::string> in = split_lines(input);
  for (size_t i = 0; i < in.size(); ++i) {
    if (i == 4 || i == 7) continue; // end lines are rewritten
    EXPECT_EQ(r.raw[i], in[i]) << i;
  }
  EXPECT_FALSE(r.end_of("A").ok);
  EXPECT_TRUE(r.end_of("B").ok);
  EXPECT_EQ(control_kind(r.lines[8]), "stats");
  expect_stats(r, 3, 1, 2, 0);
}

TEST_F(PosterTest, PassedRecordsWaitBehindAHeldEndLine) {
  config.pass_records = true;
  config.in_flight = 2;
  const std::string input =
      begin_line("A") + rec("SLOW") + "\n" + end_line("A") + rec("after") + "\n";
  TempFile in_file(input);
  TempFile out_file;
  std::thread runner([&] {
    LineReader reader(in_file.fd());
    LineWriter writer(out_file.fd());
    Poster poster(
        config, [this] { return std::make_unique<FakeSender>(script); }, writer, nullptr);
    poster.run(reader);
  });
  ASSERT_TRUE(script.wait_for_bodies(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  std::vector<std::string> early = split_lines(out_file.contents());
  script.release();
  runner.join();
  // Records are not flushed on their own, so A's may still be buffered.
  ASSERT_GE(early.size(), 1u);
  ASSERT_LE(early.size(), 2u) << "only begin A and its record before A's chunk is answered";
  std::vector<std::string> lines = split_lines(out_file.contents());
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[3], rec("after"));
}

TEST_F(PosterTest, EndWithoutBeginIsNotOk) {
  PostRun r = run(rec("orphan") + "\n" + end_line("1") + end_line("2", true, "upstream said"));
  EXPECT_EQ(r.outcome, Outcome::kPartial);
  EndLine e1 = r.end_of("1");
  EXPECT_FALSE(e1.ok);
  EXPECT_EQ(e1.delivered, 0);
  EXPECT_NE(e1.error.find("without a begin"), std::string::npos) << e1.error;
  EndLine e2 = r.end_of("2");
  EXPECT_FALSE(e2.ok);
  EXPECT_EQ(e2.delivered, 0);
  EXPECT_EQ(r.messages_failed, 2u);
}

TEST_F(PosterTest, NonJsonRecordFailsTheOpenSpans) {
  PostRun r = run(begin_line("A") + rec("a") + "\n" + "this is not json\n" + end_line("A") +
                  begin_line("B") + rec("b") + "\n" + end_line("B"));
  EXPECT_EQ(r.outcome, Outcome::kPartial);
  EndLine a = r.end_of("A");
  EXPECT_FALSE(a.ok);
  EXPECT_NE(a.error.find("line 3"), std::string::npos) << a.error;
  EXPECT_EQ(a.delivered, 1);
  EXPECT_TRUE(r.end_of("B").ok);
  expect_stats(r, 2, 1, 2, 0);
  for (const auto& body : script.bodies)
    EXPECT_EQ(body.find("not json"), std::string::npos) << "a bad record was posted";
}

TEST_F(PosterTest, RecordsThatAreNotCleanJsonObjectsFail) {
  const std::vector<std::string> bad = {
      "[1,2]",
      "\"string\"",
      "{\"a\":1} trailing",
      "{\"a\":\"raw\x01"
      "control\"}",
      "{\"a\":\"bad\xFF"
      "utf8\"}",
      "{\"a\":1,}",
  };
  for (const auto& record : bad) {
    SCOPED_TRACE(testing::PrintToString(record));
    script.bodies.clear();
    PostRun r = run(begin_line("1") + record + "\n" + end_line("1"));
    EXPECT_EQ(r.outcome, Outcome::kPartial);
    EXPECT_FALSE(r.end_of("1").ok);
    EXPECT_TRUE(script.bodies.empty());
  }
}

// Regression: TAB and CR are JSON whitespace between tokens, and jsoncpp's
// strict mode accepts them raw inside strings too, so a record such as
// {"a":"x<TAB>y"} was posted and a strict parser (the stand-in's, the
// service's) refused the whole chunk, failing every message it touched. The
// record fails on its own, like one with a raw \x01, and is never sent.
TEST_F(PosterTest, RawTabOrCrInsideAStringIsRejectedBeforePosting) {
  for (const std::string& record :
       {std::string("{\"a\":\"x\ty\"}"), std::string("{\"a\":\"x\ry\"}")}) {
    SCOPED_TRACE(testing::PrintToString(record));
    script.bodies.clear();
    PostRun r = run(begin_line("1") + record + "\n" + end_line("1"));
    EXPECT_TRUE(script.bodies.empty()) << "posted: " << testing::PrintToString(script.bodies);
    EXPECT_FALSE(r.end_of("1").ok);
  }
}

TEST_F(PosterTest, BadRecordOutsideSpansFailsNoMessage) {
  PostRun r = run("oops\n" + begin_line("1") + rec("a") + "\n" + end_line("1"));
  EXPECT_EQ(r.outcome, Outcome::kPartial) << "a failed record still counts";
  EXPECT_TRUE(r.end_of("1").ok);
}

TEST_F(PosterTest, RepeatedBeginKeepsTheFailuresAlreadyCharged) {
  PostRun r =
      run(begin_line("1") + "bad record\n" + begin_line("1") + rec("a") + "\n" + end_line("1"));
  EndLine e = r.end_of("1");
  EXPECT_FALSE(e.ok);
  EXPECT_EQ(r.ends().size(), 1u);
}

TEST_F(PosterTest, EndThatArrivedNotOkStaysNotOk) {
  PostRun r =
      run(begin_line("1") + rec("a") + "\n" + end_line("1", false, "s3://b/k: connection reset"));
  EXPECT_EQ(r.outcome, Outcome::kPartial);
  EndLine e = r.end_of("1");
  EXPECT_FALSE(e.ok);
  EXPECT_EQ(e.error, "s3://b/k: connection reset");
  EXPECT_EQ(e.delivered, 1);
  EXPECT_EQ(script.bodies.size(), 1u);
  expect_stats(r, 1, 0, 1, 0);
}

TEST_F(PosterTest, SpansOpenAtEndOfInputGetNoEnd) {
  PostRun r = run(begin_line("A") + rec("a") + "\n" + begin_line("B") + rec("b") + "\n" +
                  end_line("B") + rec("c") + "\n");
  EXPECT_EQ(r.outcome, Outcome::kOk);
  ASSERT_EQ(r.ends().size(), 1u);
  EXPECT_EQ(r.ends()[0].ref.message_id, "id-B");
  EXPECT_EQ(r.ends()[0].delivered, 1);
  // The remaining records are still posted.
  EXPECT_EQ(posted_records().size(), 3u);
  expect_stats(r, 3, 0, 2, 0);
}

TEST_F(PosterTest, FatalResultStopsReading) {
  config.chunk_records = 1;
  std::string input = begin_line("0") + rec("first") + "\n" + end_line("0") + begin_line("1") +
                      rec("FATAL") + "\n" + end_line("1");
  for (int i = 2; i < 60; ++i) {
    std::string id = std::to_string(i);
    input += begin_line(id) + rec("later", i) + "\n" + end_line(id);
  }
  PostRun r = run(input);
  EXPECT_EQ(r.outcome, Outcome::kService);
  // Nothing is sent after the fatal answer.
  ASSERT_FALSE(script.bodies.empty());
  EXPECT_NE(script.bodies.back().find("FATAL"), std::string::npos) << script.bodies.back();
  EXPECT_LT(r.records_read, 60u) << "reading should stop soon after the fatal answer";
  auto ends = r.ends();
  EXPECT_LT(ends.size(), 20u);
  bool after_failure = false;
  for (const EndLine& e : ends) {
    if (e.ref.message_id == "id-1") {
      EXPECT_FALSE(e.ok);
    }
    if (after_failure) {
      EXPECT_FALSE(e.ok) << e.ref.message_id << " ok after the fatal failure";
    }
    if (!e.ok) after_failure = true;
  }
  EXPECT_EQ(control_kind(r.stats()), "stats");
  int fatal_warnings = 0;
  for (const auto& w : r.warnings)
    fatal_warnings += w.find("403") != std::string::npos;
  EXPECT_EQ(fatal_warnings, 1) << "the fatal error is reported once";
}

TEST_F(PosterTest, AfterTheDeadlineEveryMessageStillGetsItsFailedEnd) {
  config.chunk_records = 1;
  std::string input = begin_line("0") + rec("first") + "\n" + end_line("0") + begin_line("1") +
                      rec("LATE") + "\n" + end_line("1");
  for (int i = 2; i < 30; ++i) {
    std::string id = std::to_string(i);
    input += begin_line(id) + rec("later", i) + "\n" + end_line(id);
  }
  PostRun r = run(input);
  EXPECT_EQ(r.outcome, Outcome::kPartial) << "running out of time is no service fault";
  EXPECT_EQ(r.records_read, 30u) << "input is still read to the end";
  auto ends = r.ends();
  ASSERT_EQ(ends.size(), 30u);
  EXPECT_TRUE(r.end_of("0").ok);
  for (int i = 1; i < 30; ++i)
    EXPECT_FALSE(r.end_of(std::to_string(i)).ok) << i;
  int deadline_lines = 0;
  for (const auto& w : r.warnings)
    deadline_lines += w.find("deadline") != std::string::npos;
  EXPECT_EQ(deadline_lines, 1) << "reported once";
}

// sqs-ack quarantines messages that keep failing for a reason of their own;
// a span that failed because the run ran out of time, or the sink could not
// be used at all, says so.
TEST_F(PosterTest, SpansCutShortByTheRunAreMarkedInterrupted) {
  config.chunk_records = 1;
  EndLine unstarted;
  unstarted.ref = ref("U");
  unstarted.ok = false;
  unstarted.error = "not started: stopped";
  unstarted.interrupted = kUnstarted;
  std::string input = begin_line("A") + rec("FAIL") + "\n" + end_line("A") + begin_line("U") +
                      to_line(unstarted) + "\n" + begin_line("B") + rec("LATE") + "\n" +
                      end_line("B") + begin_line("C") + rec("c") + "\n" + end_line("C");
  PostRun r = run(input);
  EXPECT_EQ(r.end_of("A").interrupted, "") << "a rejected record is the message's own failure";
  EXPECT_FALSE(r.end_of("A").ok);
  EXPECT_EQ(r.end_of("U").interrupted, kUnstarted) << "an earlier stage's mark stays";
  EXPECT_EQ(r.end_of("B").interrupted, kInProgress);
  EXPECT_EQ(r.end_of("C").interrupted, kInProgress) << "not sent after the deadline";
  EXPECT_FALSE(r.end_of("C").ok);
}

TEST_F(PosterTest, SpansFailedByAStormThroughEveryRetryAreMarkedInterrupted) {
  config.chunk_records = 1;
  PostRun r =
      run(begin_line("A") + rec("STORM") + "\n" + end_line("A") + begin_line("B") + rec("FAIL") +
          "\n" + end_line("B") + begin_line("C") + rec("c") + "\n" + end_line("C"));
  EXPECT_FALSE(r.end_of("A").ok);
  EXPECT_EQ(r.end_of("A").interrupted, kInProgress) << "the service's fault";
  EXPECT_EQ(r.end_of("B").interrupted, "") << "the message's own";
  EXPECT_TRUE(r.end_of("C").ok) << "a storm does not stop the run";
}

TEST_F(PosterTest, ThousandsOfBadRecordsGiveAFewLinesAndASummary) {
  std::string input = begin_line("1");
  for (int i = 0; i < 2000; ++i)
    input += "not json\n";
  input += end_line("1");
  PostRun r = run(input);
  EXPECT_EQ(r.outcome, Outcome::kPartial);
  EXPECT_FALSE(r.end_of("1").ok);
  ASSERT_EQ(r.warnings.size(), 4u);
  EXPECT_NE(r.warnings[3].find("2000 in all"), std::string::npos) << r.warnings[3];
}

TEST_F(PosterTest, OverlongRecordFailsItsSpanAndReadingGoesOn) {
  reader_max = 4096;
  PostRun r = run(begin_line("1") + std::string(200000, 'x') + "\n" + rec("a") + "\n" +
                  end_line("1") + begin_line("2") + rec("b") + "\n" + end_line("2"));
  EXPECT_EQ(r.outcome, Outcome::kPartial);
  EXPECT_FALSE(r.end_of("1").ok);
  EXPECT_NE(r.end_of("1").error.find("limit of 4096 bytes"), std::string::npos);
  EXPECT_TRUE(r.end_of("2").ok);
}

// jsoncpp sorts members by byte value, so a member named "0" or "!" once
// moved "@c42" off the front of a rewritten end line, turning it into a
// record that sqs-ack ignored.
TEST_F(PosterTest, RewrittenEndLineKeepsTheControlKeyFirst) {
  std::string end = end_line("1");
  end.insert(end.size() - 2, R"(,"0":1,"!x":"y")");
  PostRun r = run(begin_line("1") + rec("a") + "\n" + end);
  ASSERT_GE(r.raw.size(), 2u);
  EXPECT_EQ(r.raw[1].rfind(R"({"@c42":"end",)", 0), 0u) << r.raw[1];
  EXPECT_TRUE(r.end_of("1").ok);
  EXPECT_EQ(r.lines[1]["0"].asInt(), 1);
}

TEST_F(PosterTest, BadControlLineIsBadInputButSettlesWhatWasRead) {
  PostRun r = run(begin_line("1") + rec("a") + "\n" + end_line("1") +
                  R"({"@c42":"begin","queue_url":1,"message_id":"m","receipt_handle":"r"})"
                  "\n" +
                  begin_line("2") + rec("b") + "\n" + end_line("2"));
  EXPECT_EQ(r.outcome, Outcome::kBadInput);
  ASSERT_EQ(r.ends().size(), 1u);
  EXPECT_TRUE(r.end_of("1").ok);
  EXPECT_EQ(control_kind(r.stats()), "stats");
  EXPECT_EQ(script.bodies.size(), 1u);
}

TEST_F(PosterTest, EachWorkerHasItsOwnSender) {
  config.in_flight = 3;
  PostRun r = run(rec("a") + "\n");
  EXPECT_EQ(r.outcome, Outcome::kOk);
  EXPECT_EQ(script.senders_made, 3);
}

TEST_F(PosterTest, ManySpansAcrossWorkersAllSettleInOrder) {
  config.in_flight = 4;
  config.chunk_records = 3;
  std::string input;
  for (int m = 0; m < 40; ++m) {
    std::string id = std::to_string(m);
    input += begin_line(id);
    for (int k = 0; k < m % 5; ++k)
      input += rec(m == 18 && k == 2 ? "FAIL" : "ok", k) + "\n";
    input += end_line(id);
  }
  PostRun r = run(input);
  EXPECT_EQ(r.outcome, Outcome::kPartial);
  auto ends = r.ends();
  ASSERT_EQ(ends.size(), 40u);
  for (int m = 0; m < 40; ++m) {
    EXPECT_EQ(ends[m].ref.message_id, "id-" + std::to_string(m)) << "end lines keep input order";
    EXPECT_EQ(ends[m].ok, m != 18) << m;
  }
}

TEST_F(PosterTest, StatsCountBodyBytesAcceptedAndRetries) {
  config.chunk_records = 2;
  PostRun r = run(rec("a") + "\n" + rec("b") + "\n" + rec("RETRIED") + "\n" + rec("FAIL") + "\n" +
                  rec("c") + "\n");
  const std::string first = "[" + rec("a") + "," + rec("b") + "]";
  const std::string third = "[" + rec("c") + "]";
  ASSERT_EQ(script.bodies.size(), 3u);
  EXPECT_EQ(r.stats()["bytes_posted"].asUInt64(), first.size() + third.size())
      << "a failed chunk's bytes are not posted";
  EXPECT_EQ(r.stats()["retries"].asUInt64(), 0u) << "the RETRIED chunk failed with FAIL";
  script.bodies.clear();
  PostRun again = run(rec("RETRIED") + "\n");
  EXPECT_EQ(again.stats()["retries"].asUInt64(), 2u);
  EXPECT_EQ(again.stats()["bytes_posted"].asUInt64(), rec("RETRIED").size() + 2);
}

// --- dry run (la-post --output) ---

TEST_F(PosterTest, DryRunEndLinesAreNeverDeletableAndCountWhatWasWritten) {
  config.dry_run = true;
  config.dry_run_target = "bodies.ndjson";
  PostRun r = run(begin_line("1") + rec("a") + "\n" + rec("b") + "\n" + end_line("1") +
                  begin_line("2") + rec("FAIL") + "\n" + end_line("2") + begin_line("3") +
                  end_line("3", false, "s3://b/k: NoSuchKey"));
  EndLine one = r.end_of("1");
  EXPECT_FALSE(one.ok) << "sqs-ack must not delete what was not posted";
  EXPECT_EQ(one.delivered, 0);
  EXPECT_EQ(one.interrupted, kDryRun);
  EXPECT_EQ(one.error, "dry run: records written to bodies.ndjson, not posted");
  EXPECT_EQ(r.end_of("2").interrupted, kDryRun);
  EXPECT_EQ(r.end_of("2").error, "posting failed: HTTP 400: InvalidDataFormat");
  EXPECT_EQ(r.end_of("3").interrupted, kDryRun);
  EXPECT_EQ(r.end_of("3").error, "s3://b/k: NoSuchKey");
  bool seen = false;
  for (const Json::Value& v : r.lines) {
    if (control_kind(v) != "end" || v["message_id"] != "id-1") continue;
    EXPECT_EQ(v["written"].asUInt64(), 2u);
    seen = true;
  }
  EXPECT_TRUE(seen);
  const Json::Value& s = r.stats();
  EXPECT_EQ(s["records_posted"].asUInt64(), 0u);
  EXPECT_EQ(s["records_written"].asUInt64(), 2u);
  // The status still says whether everything would have gone through.
  EXPECT_EQ(r.outcome, Outcome::kPartial);
  EXPECT_EQ(r.messages_ok, 1u);
  EXPECT_EQ(r.messages_failed, 2u);
}

TEST_F(PosterTest, DryRunEndWithoutBeginIsMarkedToo) {
  config.dry_run = true;
  PostRun r = run(end_line("9"));
  EXPECT_FALSE(r.end_of("9").ok);
  EXPECT_EQ(r.end_of("9").interrupted, kDryRun);
}

} // namespace
} // namespace c42
