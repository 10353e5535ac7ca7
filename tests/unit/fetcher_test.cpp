#include "common/aws/static_credentials_provider.h"
#include "common/crypto.h"
#include "common/json_value.h"
#include "common/source_record.h"
#include "common/stages/fetcher.h"
#include "common/stream.h"
#include "common/time_format.h"
#include "tests/unit/test_support.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <gtest/gtest.h>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>
#include <zlib.h>

namespace c42 {
namespace {

using test_support::TempFile;

TimePoint at(const char* iso) {
  auto t = parse_iso8601(iso);
  EXPECT_TRUE(t.ok()) << iso;
  return t.ok() ? *t : TimePoint();
}

// --- test scaffolding ---

std::string gzip(const std::string& data) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(&out[0]);
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

struct FakeObject {
  FakeObject() = default;
  FakeObject(std::string d, std::optional<TimePoint> lm, bool wait = false)
      : data(std::move(d)), last_modified(lm), wait_for_peer(wait) {}

  std::string data;
  std::optional<TimePoint> last_modified;
  std::string etag = "\"0123456789abcdef\"";
  // Fail with fail_message once this many bytes were handed over.
  std::optional<size_t> fail_after;
  std::string fail_message = "connection reset by peer";
  // Hold the transfer until another object is being fetched too.
  bool wait_for_peer = false;
};

// The objects every FakeSource serves, and what the sources were asked.
struct FakeStore {
  std::mutex mutex;
  std::condition_variable changed;
  std::map<std::string, FakeObject> objects; // "bucket/key"
  std::vector<std::string> gets;
  std::map<std::string, std::optional<TimePoint>> modified_since;
  int sources_made = 0;
  int active = 0;
  int max_active = 0;
  int started = 0;  // transfers begun, never decremented
  size_t piece = 5; // bytes per on_data call: lines straddle calls

  void put(const std::string& bucket, const std::string& key, FakeObject object) {
    objects[bucket + "/" + key] = std::move(object);
  }
};

class FakeSource final : public ObjectSource {
public:
  explicit FakeSource(FakeStore& store) : store_(store) {}

  Result<aws::S3GetResult> get(const std::string& bucket, const std::string& key,
                               const aws::S3GetOptions& options,
                               const std::function<bool(const char*, size_t)>& on_data) override {
    const std::string name = bucket + "/" + key;
    FakeObject object;
    {
      std::unique_lock<std::mutex> lock(store_.mutex);
      store_.gets.push_back(name);
      store_.modified_since[name] = options.modified_since;
      auto it = store_.objects.find(name);
      if (it == store_.objects.end())
        return make_error("NoSuchKey: The specified key does not exist. (HTTP 404)");
      object = it->second;
      aws::S3GetResult result;
      result.last_modified = object.last_modified;
      if (options.modified_since && object.last_modified &&
          *object.last_modified < *options.modified_since) {
        result.skipped = true;
        return result;
      }
      ++store_.active;
      ++store_.started;
      store_.max_active = std::max(store_.max_active, store_.active);
      store_.changed.notify_all();
      if (object.wait_for_peer)
        store_.changed.wait_for(lock, std::chrono::seconds(3), [&] { return store_.started >= 2; });
    }
    auto done = [&](Result<aws::S3GetResult> r) {
      std::lock_guard<std::mutex> lock(store_.mutex);
      --store_.active;
      return r;
    };
    if (options.on_start) options.on_start(aws::S3ObjectInfo{object.last_modified, object.etag});
    aws::S3GetResult result;
    result.last_modified = object.last_modified;
    size_t limit = object.fail_after.value_or(object.data.size());
    for (size_t pos = 0; pos < limit;) {
      size_t n = std::min(store_.piece, limit - pos);
      if (!on_data(object.data.data() + pos, n)) return done(make_error("reading was stopped"));
      pos += n;
      result.bytes += n;
    }
    if (object.fail_after) return done(make_error(object.fail_message));
    return done(result);
  }

private:
  FakeStore& store_;
};

MessageRef ref_for(const std::string& id) {
  return MessageRef{"https://sqs.us-east-1.amazonaws.com/1/q", "id-" + id, "rh-" + id};
}

std::string message_line(const std::string& id, const std::string& body,
                         const std::string& sent_at = "") {
  MessageLine m;
  m.ref = ref_for(id);
  m.receive_count = 1;
  m.sent_at = sent_at;
  m.body = body;
  return to_line(m);
}

std::string code42_body(const std::string& bucket, const std::string& key,
                        const std::string& time = "2024-05-02T08:00:00Z") {
  Json::Value v(Json::objectValue);
  v["Bucket Name"] = bucket;
  v["Object Key"] = key;
  v["Event Time"] = time;
  return to_json_line(v);
}

struct Code42Object {
  std::string bucket;
  std::string key; // literal: Code42 does not URL-encode
  std::string time = "2024-05-02T08:00:00Z";
};

// One Code42 message naming several objects: a JSON array of notifications.
std::string code42_list_body(const std::vector<Code42Object>& objects) {
  Json::Value list(Json::arrayValue);
  for (const Code42Object& o : objects) {
    Json::Value v(Json::objectValue);
    v["Bucket Name"] = o.bucket;
    v["Object Key"] = o.key;
    v["Event Time"] = o.time;
    list.append(v);
  }
  return to_json_line(list);
}

struct EventObject {
  std::string bucket;
  std::string key; // as S3 writes it: form-URL-encoded
  std::string time = "2024-05-02T09:00:00.000Z";
};

std::string s3_event_body(const std::vector<EventObject>& objects) {
  Json::Value records(Json::arrayValue);
  for (const EventObject& o : objects) {
    Json::Value r(Json::objectValue);
    r["eventSource"] = "aws:s3";
    r["eventName"] = "ObjectCreated:Put";
    r["eventTime"] = o.time;
    r["s3"]["bucket"]["name"] = o.bucket;
    r["s3"]["object"]["key"] = o.key;
    records.append(r);
  }
  Json::Value v(Json::objectValue);
  v["Records"] = records;
  return to_json_line(v);
}

struct Output {
  std::vector<std::string> raw;
  std::vector<Json::Value> lines;

  std::vector<Json::Value> of_kind(const std::string& kind) const {
    std::vector<Json::Value> out;
    for (const auto& v : lines)
      if (control_kind(v) == kind) out.push_back(v);
    return out;
  }
  std::vector<Json::Value> records() const { return of_kind(""); }
  // "begin id-1", "end id-1", "record b/k" ...
  std::vector<std::string> shape() const {
    std::vector<std::string> out;
    for (const auto& v : lines) {
      std::string kind = control_kind(v);
      if (!v.isObject())
        out.push_back("other");
      else if (kind.empty())
        out.push_back("record " + v["bucket"].asString() + "/" + v["key"].asString());
      else
        out.push_back(kind + " " + v["message_id"].asString());
    }
    return out;
  }
};

aws::ServiceContext s3_context(aws::CredentialsProvider& credentials, const Clock& clock) {
  aws::ServiceContext ctx;
  ctx.credentials = &credentials;
  ctx.clock = &clock;
  ctx.region = "us-east-1";
  ctx.service = "s3";
  ctx.sleeper = [](Millis) {};
  return ctx;
}

aws::S3Addressing s3_addressing() {
  aws::S3Addressing addressing;
  addressing.endpoint = parse_url("https://s3.us-east-1.amazonaws.com").value();
  addressing.path_style = true;
  return addressing;
}

class FetcherTest : public testing::Test {
protected:
  FetcherTest() : clock(at("2024-05-02T12:00:00Z")) { config.parallel = 4; }

  Outcome run(const std::string& input, const std::vector<std::string>& references = {},
              bool read_input = true) {
    TempFile in_file(input);
    TempFile out_file;
    Outcome outcome;
    {
      LineWriter writer(out_file.fd());
      LineReader reader(in_file.fd(), reader_max);
      ObjectSourceFactory fake = [this] {
        std::lock_guard<std::mutex> lock(store.mutex);
        ++store.sources_made;
        return std::make_unique<FakeSource>(store);
      };
      Fetcher fetcher(
          config, sources ? sources : fake, clock, writer,
          [this](Severity, const std::string& w) {
            std::lock_guard<std::mutex> lock(store.mutex);
            warnings.push_back(w);
          },
          stop);
      outcome = fetcher.run(read_input ? &reader : nullptr, references);
      stats.messages = fetcher.stats().messages.load();
      stats.messages_failed = fetcher.stats().messages_failed.load();
      stats.fetched = fetcher.stats().objects_fetched.load();
      stats.skipped = fetcher.stats().objects_skipped.load();
      stats.failed = fetcher.stats().objects_failed.load();
      stats.records = fetcher.stats().records.load();
    }
    std::string text = out_file.contents();
    out = Output();
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      EXPECT_NE(end, std::string::npos) << "output must end with a newline";
      if (end == std::string::npos) end = text.size();
      std::string line = text.substr(start, end - start);
      start = end + 1;
      out.raw.push_back(line);
      auto v = parse_json(line);
      out.lines.push_back(v.ok() ? *v : Json::Value(line));
    }
    return outcome;
  }

  struct Counts {
    uint64_t messages = 0, messages_failed = 0, fetched = 0, skipped = 0, failed = 0, records = 0;
  };

  FetchConfig config;
  ObjectSourceFactory sources; // unset: FakeSources over `store`
  std::function<bool()> stop;  // the stop request Fetcher polls
  size_t reader_max = 64u << 20;
  FakeStore store;
  FixedClock clock;
  Output out;
  Counts stats;
  std::vector<std::string> warnings;
};

void expect_record(const Json::Value& r, const std::string& bucket, const std::string& key,
                   uint64_t index, const std::string& line, const std::string& event_time) {
  auto parsed = source_record_from_json(r);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->bucket, bucket);
  EXPECT_EQ(parsed->key, key);
  EXPECT_EQ(parsed->index, index);
  EXPECT_EQ(parsed->line, line);
  EXPECT_EQ(parsed->event_time, event_time);
}

// --- messages ---

TEST_F(FetcherTest, MessageGivesBeginRecordsEnd) {
  store.put("bkt", "exports/a.json",
            {"{\"n\":1}\n{\"n\":2}\r\n\n{\"n\":3}", at("2024-05-02T07:00:00Z")});
  auto outcome = run(message_line("1", code42_body("bkt", "exports/a.json")) + "\n");
  EXPECT_EQ(outcome, Outcome::kOk);
  ASSERT_EQ(out.lines.size(), 5u);
  EXPECT_EQ(out.shape(), (std::vector<std::string>{"begin id-1", "record bkt/exports/a.json",
                                                   "record bkt/exports/a.json",
                                                   "record bkt/exports/a.json", "end id-1"}));
  auto begin = begin_from_json(out.lines[0]);
  ASSERT_TRUE(begin.ok());
  EXPECT_EQ(begin->ref.receipt_handle, "rh-1");
  EXPECT_EQ(begin->ref.queue_url, ref_for("1").queue_url);
  expect_record(out.lines[1], "bkt", "exports/a.json", 1, "{\"n\":1}", "2024-05-02T08:00:00Z");
  expect_record(out.lines[2], "bkt", "exports/a.json", 2, "{\"n\":2}", "2024-05-02T08:00:00Z");
  expect_record(out.lines[3], "bkt", "exports/a.json", 3, "{\"n\":3}", "2024-05-02T08:00:00Z");
  auto end = end_from_json(out.lines[4]);
  ASSERT_TRUE(end.ok());
  EXPECT_TRUE(end->ok);
  EXPECT_EQ(end->ref.message_id, "id-1");
  EXPECT_EQ(end->fetched, 1u);
  EXPECT_EQ(end->skipped, 0u);
  EXPECT_EQ(end->failed, 0u);
  EXPECT_EQ(end->records, 3u);
  EXPECT_EQ(end->error, "");
  EXPECT_EQ(end->delivered, -1) << "only a sink sets delivered";
  EXPECT_EQ(end->interrupted, "");
  EXPECT_EQ(stats.messages, 1u);
  EXPECT_EQ(stats.fetched, 1u);
  EXPECT_EQ(stats.records, 3u);
  EXPECT_TRUE(warnings.empty());
  // The message line itself is not copied.
  EXPECT_TRUE(out.of_kind("message").empty());
}

TEST_F(FetcherTest, ObjectsOfOneMessageAreFetchedInParallel) {
  store.put("b", "dir/a b.txt", {"a1\na2\n", at("2024-05-02T09:00:00Z"), true});
  store.put("b", "dir/c+d.txt", {"c1\n", at("2024-05-02T09:00:00Z"), true});
  // S3 event keys are form-URL-encoded: '+' is a space, %2B a plus.
  std::string body = s3_event_body({{"b", "dir/a+b.txt"}, {"b", "dir/c%2Bd.txt"}});
  auto outcome = run(message_line("1", body) + "\n");
  EXPECT_EQ(outcome, Outcome::kOk);
  EXPECT_EQ(store.max_active, 2) << "both objects should be in flight at once";
  EXPECT_EQ(std::set<std::string>(store.gets.begin(), store.gets.end()),
            (std::set<std::string>{"b/dir/a b.txt", "b/dir/c+d.txt"}));
  ASSERT_EQ(out.of_kind("begin").size(), 1u);
  ASSERT_EQ(out.of_kind("end").size(), 1u);
  EXPECT_EQ(control_kind(out.lines.front()), "begin");
  EXPECT_EQ(control_kind(out.lines.back()), "end");
  auto end = end_from_json(out.lines.back());
  ASSERT_TRUE(end.ok());
  EXPECT_TRUE(end->ok);
  EXPECT_EQ(end->fetched, 2u);
  EXPECT_EQ(end->records, 3u);
  // Each object's records keep their order, and carry the event's time.
  std::map<std::string, std::vector<std::string>> lines_by_key;
  for (const auto& r : out.records()) {
    lines_by_key[r["key"].asString()].push_back(r["line"].asString());
    EXPECT_EQ(r["event_time"].asString(), "2024-05-02T09:00:00.000Z");
  }
  EXPECT_EQ(lines_by_key["dir/a b.txt"], (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(lines_by_key["dir/c+d.txt"], (std::vector<std::string>{"c1"}));
}

TEST_F(FetcherTest, Code42ListMessageFetchesEveryObject) {
  store.put("b", "x/one+1.json", {"1a\n1b\n", at("2024-05-02T09:00:00Z")});
  store.put("b", "x/two%20.json", {"2a\n", at("2024-05-02T09:00:00Z")});
  store.put("c", "x/three.json", {"3a\n3b\n3c", at("2024-05-02T09:00:00Z")});
  std::string body = code42_list_body({{"b", "x/one+1.json", "2024-05-02T08:00:01Z"},
                                       {"b", "x/two%20.json", "2024-05-02T08:00:02Z"},
                                       {"c", "x/three.json", "2024-05-02T08:00:03Z"}});
  auto outcome = run(message_line("1", body) + "\n");
  EXPECT_EQ(outcome, Outcome::kOk);
  EXPECT_EQ(std::set<std::string>(store.gets.begin(), store.gets.end()),
            (std::set<std::string>{"b/x/one+1.json", "b/x/two%20.json", "c/x/three.json"}));
  ASSERT_EQ(out.of_kind("begin").size(), 1u);
  ASSERT_EQ(out.of_kind("end").size(), 1u);
  EXPECT_EQ(control_kind(out.lines.front()), "begin");
  EXPECT_EQ(control_kind(out.lines.back()), "end");
  std::map<std::string, std::vector<std::string>> lines_by_object;
  std::map<std::string, std::string> time_by_object;
  for (const auto& r : out.records()) {
    std::string name = r["bucket"].asString() + "/" + r["key"].asString();
    lines_by_object[name].push_back(r["line"].asString());
    time_by_object[name] = r["event_time"].asString();
  }
  EXPECT_EQ(lines_by_object["b/x/one+1.json"], (std::vector<std::string>{"1a", "1b"}));
  EXPECT_EQ(lines_by_object["b/x/two%20.json"], (std::vector<std::string>{"2a"}));
  EXPECT_EQ(lines_by_object["c/x/three.json"], (std::vector<std::string>{"3a", "3b", "3c"}));
  EXPECT_EQ(time_by_object["b/x/one+1.json"], "2024-05-02T08:00:01Z");
  EXPECT_EQ(time_by_object["c/x/three.json"], "2024-05-02T08:00:03Z");
  auto end = end_from_json(out.lines.back());
  ASSERT_TRUE(end.ok());
  EXPECT_TRUE(end->ok);
  EXPECT_EQ(end->fetched, 3u);
  EXPECT_EQ(end->failed, 0u);
  EXPECT_EQ(end->records, 6u);
  EXPECT_TRUE(warnings.empty());
}

TEST_F(FetcherTest, Code42ListWithAMissingObjectFailsTheMessageButKeepsTheRest) {
  store.put("b", "one", {"1a\n1b\n", at("2024-05-02T09:00:00Z")});
  store.put("b", "three", {"3a\n", at("2024-05-02T09:00:00Z")});
  std::string body = code42_list_body({{"b", "one"}, {"b", "two"}, {"b", "three"}});
  auto outcome = run(message_line("1", body) + "\n");
  EXPECT_EQ(outcome, Outcome::kPartial);
  ASSERT_EQ(out.of_kind("begin").size(), 1u);
  ASSERT_EQ(out.of_kind("end").size(), 1u);
  EXPECT_EQ(control_kind(out.lines.back()), "end");
  std::map<std::string, std::vector<std::string>> lines_by_key;
  for (const auto& r : out.records())
    lines_by_key[r["key"].asString()].push_back(r["line"].asString());
  EXPECT_EQ(lines_by_key["one"], (std::vector<std::string>{"1a", "1b"}));
  EXPECT_EQ(lines_by_key["three"], (std::vector<std::string>{"3a"}));
  EXPECT_EQ(lines_by_key.count("two"), 0u);
  auto end = end_from_json(out.lines.back());
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->ok);
  EXPECT_EQ(end->fetched, 2u);
  EXPECT_EQ(end->failed, 1u);
  EXPECT_EQ(end->records, 3u);
  EXPECT_NE(end->error.find("s3://b/two"), std::string::npos) << end->error;
  EXPECT_NE(end->error.find("NoSuchKey"), std::string::npos) << end->error;
}

TEST_F(FetcherTest, GzipObjectsAreDecompressed) {
  std::string plain;
  for (int i = 1; i <= 500; ++i)
    plain += "{\"row\":" + std::to_string(i) + "}\n";
  store.put("b", "export.json.gz", {gzip(plain), at("2024-05-02T09:00:00Z")});
  ASSERT_NE(store.objects["b/export.json.gz"].data, plain);
  auto outcome = run(message_line("1", code42_body("b", "export.json.gz")) + "\n");
  EXPECT_EQ(outcome, Outcome::kOk);
  auto records = out.records();
  ASSERT_EQ(records.size(), 500u);
  expect_record(records[0], "b", "export.json.gz", 1, "{\"row\":1}", "2024-05-02T08:00:00Z");
  expect_record(records[499], "b", "export.json.gz", 500, "{\"row\":500}", "2024-05-02T08:00:00Z");
  auto end = end_from_json(out.lines.back());
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(end->records, 500u);
  EXPECT_TRUE(end->ok);
}

TEST_F(FetcherTest, InvalidUtf8LinesCarryTheirExactBytes) {
  const std::string bad = "caf\xE9 \xFF";
  store.put("b", "k", {bad + "\n", at("2024-05-02T09:00:00Z")});
  EXPECT_EQ(run(message_line("1", code42_body("b", "k")) + "\n"), Outcome::kOk);
  auto records = out.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["line_b64"].asString(), base64_encode(bad));
  expect_record(records[0], "b", "k", 1, bad, "2024-05-02T08:00:00Z");
}

// --- references ---

TEST_F(FetcherTest, ReferencesGiveRecordsWithoutFraming) {
  store.put("b", "one", {"1a\n1b\n", at("2024-05-01T10:20:30Z")});
  store.put("b", "dir/two%20x", {"2a", std::nullopt});
  auto outcome = run("s3://b/dir/two%20x\n", {"s3://b/one"});
  EXPECT_EQ(outcome, Outcome::kOk);
  EXPECT_TRUE(out.of_kind("begin").empty());
  EXPECT_TRUE(out.of_kind("end").empty());
  auto records = out.records();
  ASSERT_EQ(records.size(), 3u);
  std::map<std::string, std::vector<Json::Value>> by_key;
  for (const auto& r : records)
    by_key[r["key"].asString()].push_back(r);
  ASSERT_EQ(by_key["one"].size(), 2u);
  // No event time in a reference: Last-Modified stands in, as ISO 8601.
  expect_record(by_key["one"][0], "b", "one", 1, "1a", "2024-05-01T10:20:30Z");
  expect_record(by_key["one"][1], "b", "one", 2, "1b", "2024-05-01T10:20:30Z");
  // The key is taken literally (not URL-decoded); no Last-Modified, no time.
  ASSERT_EQ(by_key["dir/two%20x"].size(), 1u);
  expect_record(by_key["dir/two%20x"][0], "b", "dir/two%20x", 1, "2a", "");
  EXPECT_EQ(stats.messages, 0u);
  EXPECT_EQ(stats.fetched, 2u);
}

TEST_F(FetcherTest, ReferenceArgumentsAloneDoNotReadInput) {
  store.put("b", "k", {"x\n", at("2024-05-02T09:00:00Z")});
  auto outcome = run(message_line("1", code42_body("b", "other")) + "\n", {"s3://b/k"},
                     /*read_input=*/false);
  EXPECT_EQ(outcome, Outcome::kOk);
  EXPECT_EQ(store.gets, (std::vector<std::string>{"b/k"}));
  EXPECT_EQ(out.lines.size(), 1u);
}

TEST_F(FetcherTest, ReferencesAreNotSkippedByDefault) {
  store.put("b", "old", {"x\n", at("2020-01-01T00:00:00Z")});
  EXPECT_EQ(run("s3://b/old\n"), Outcome::kOk);
  EXPECT_FALSE(store.modified_since["b/old"].has_value());
  EXPECT_EQ(out.records().size(), 1u);
}

TEST_F(FetcherTest, ReferencesAreSkippedByAnExplicitDateOnly) {
  config.skip.before = at("2024-05-02T00:00:00Z");
  config.skip.older_than = std::chrono::hours(1);
  store.put("b", "old", {"x\n", at("2020-01-01T00:00:00Z")});
  EXPECT_EQ(run("s3://b/old\n"), Outcome::kOk);
  // A reference has no sent time, so only --skip-before can apply.
  EXPECT_EQ(store.modified_since["b/old"], at("2024-05-02T00:00:00Z"));
  EXPECT_TRUE(out.lines.empty());
  EXPECT_EQ(stats.skipped, 1u);
}

TEST_F(FetcherTest, BadReferenceArgumentIsBadInput) {
  store.put("b", "k", {"x\n", at("2024-05-02T09:00:00Z")});
  auto outcome = run("s3://b/k\n", {"s3://bucket-only"});
  EXPECT_EQ(outcome, Outcome::kBadInput);
  EXPECT_TRUE(store.gets.empty());
  ASSERT_FALSE(warnings.empty());
  EXPECT_NE(warnings[0].find("bucket-only"), std::string::npos);
}

TEST_F(FetcherTest, BadReferenceLineIsBadInput) {
  store.put("b", "k", {"x\n", at("2024-05-02T09:00:00Z")});
  auto outcome = run("s3://b/k\ns3://b/\ns3://b/k\n");
  EXPECT_EQ(outcome, Outcome::kBadInput);
  EXPECT_EQ(store.gets.size(), 1u) << "reading stops at the bad line";
  ASSERT_FALSE(warnings.empty());
  EXPECT_NE(warnings.back().find("line 2"), std::string::npos) << warnings.back();
}

// --- pass-through and bad input ---

TEST_F(FetcherTest, OtherLinesPassThroughInOrder) {
  const std::vector<std::string> foreign = {
      R"({"@c42":"stats","tool":"sqs-poll","messages":3})",
      R"({"@c42":"end","queue_url":"q","message_id":"m","receipt_handle":"r","ok":true})",
      R"({"record":1})",
      "not json at all",
      R"({"@c42":"future-kind","x":[1,2]})",
  };
  std::string input;
  for (const auto& l : foreign)
    input += l + "\n";
  EXPECT_EQ(run(input), Outcome::kOk);
  EXPECT_EQ(out.raw, foreign);
  EXPECT_TRUE(store.gets.empty());
}

TEST_F(FetcherTest, BadJsonControlLineStopsReadingButFinishesStartedMessages) {
  store.put("b", "k1", {"a\nb\n", at("2024-05-02T09:00:00Z")});
  store.put("b", "k2", {"c\n", at("2024-05-02T09:00:00Z")});
  std::string input = message_line("1", code42_body("b", "k1")) + "\n" +
                      R"({"@c42":"message","queue_url":)" + "\n" +
                      message_line("2", code42_body("b", "k2")) + "\n";
  auto outcome = run(input);
  EXPECT_EQ(outcome, Outcome::kBadInput);
  EXPECT_EQ(out.shape(),
            (std::vector<std::string>{"begin id-1", "record b/k1", "record b/k1", "end id-1"}));
  auto end = end_from_json(out.lines.back());
  ASSERT_TRUE(end.ok());
  EXPECT_TRUE(end->ok);
  EXPECT_EQ(store.gets, (std::vector<std::string>{"b/k1"}));
  ASSERT_FALSE(warnings.empty());
  EXPECT_NE(warnings.back().find("line 2"), std::string::npos) << warnings.back();
}

TEST_F(FetcherTest, MessageLineLackingAFieldIsBadInput) {
  std::string input = R"({"@c42":"message","queue_url":"q","message_id":"m","receipt_handle":"r"})";
  EXPECT_EQ(run(input + "\n"), Outcome::kBadInput);
  EXPECT_TRUE(out.lines.empty());
}

TEST_F(FetcherTest, OverlongInputLineIsSkippedAndReadingGoesOn) {
  reader_max = 300;
  store.put("b", "k", {"x\n", at("2024-05-02T09:00:00Z")});
  std::string input = message_line("1", code42_body("b", "k")) + "\n" +
                      message_line("2", code42_body("b", std::string(400, 'k'))) + "\n" +
                      message_line("3", code42_body("b", "k")) + "\n";
  EXPECT_EQ(run(input), Outcome::kPartial);
  config.parallel = 1;
  EXPECT_EQ(run(input), Outcome::kPartial);
  EXPECT_EQ(out.shape(), (std::vector<std::string>{"begin id-1", "record b/k", "end id-1",
                                                   "begin id-3", "record b/k", "end id-3"}));
  ASSERT_FALSE(warnings.empty());
  EXPECT_NE(warnings[0].find("input line 2 is longer than"), std::string::npos) << warnings[0];
}

TEST_F(FetcherTest, LastInputLineWithoutNewlineIsRead) {
  store.put("b", "k", {"x\n", at("2024-05-02T09:00:00Z")});
  EXPECT_EQ(run(message_line("1", code42_body("b", "k"))), Outcome::kOk);
  EXPECT_EQ(out.of_kind("end").size(), 1u);
}

// --- bodies that announce nothing ---

TEST_F(FetcherTest, UnreadableBodyGivesBeginAndFailedEnd) {
  auto outcome = run(message_line("1", "this is not json") + "\n");
  EXPECT_EQ(outcome, Outcome::kPartial);
  ASSERT_EQ(out.shape(), (std::vector<std::string>{"begin id-1", "end id-1"}));
  auto end = end_from_json(out.lines[1]);
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->ok);
  EXPECT_FALSE(end->error.empty());
  EXPECT_EQ(end->fetched + end->skipped + end->failed + end->records, 0u);
  EXPECT_TRUE(end->interrupted.empty()) << "the message itself is to blame";
  EXPECT_EQ(end->body, "this is not json") << "for sqs-ack to quarantine it with";
  EXPECT_EQ(end->receive_count, 1);
  EXPECT_EQ(stats.messages_failed, 1u);
  EXPECT_TRUE(store.gets.empty());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("id-1"), std::string::npos);
}

TEST_F(FetcherTest, TestEventGivesBeginAndOkEnd) {
  auto outcome = run(message_line("1", R"({"Service":"Amazon S3","Event":"s3:TestEvent",)"
                                       R"("Time":"2024-05-02T10:00:00Z","Bucket":"b"})") +
                     "\n");
  EXPECT_EQ(outcome, Outcome::kOk);
  ASSERT_EQ(out.shape(), (std::vector<std::string>{"begin id-1", "end id-1"}));
  auto end = end_from_json(out.lines[1]);
  ASSERT_TRUE(end.ok());
  EXPECT_TRUE(end->ok);
  EXPECT_EQ(end->records, 0u);
  EXPECT_EQ(end->error, "");
  EXPECT_TRUE(warnings.empty());
}

TEST_F(FetcherTest, DeletionEventAnnouncesNothing) {
  Json::Value record(Json::objectValue);
  record["eventSource"] = "aws:s3";
  record["eventName"] = "ObjectRemoved:Delete";
  record["s3"]["bucket"]["name"] = "b";
  record["s3"]["object"]["key"] = "k";
  Json::Value body(Json::objectValue);
  body["Records"].append(record);
  EXPECT_EQ(run(message_line("1", to_json_line(body)) + "\n"), Outcome::kOk);
  ASSERT_EQ(out.shape(), (std::vector<std::string>{"begin id-1", "end id-1"}));
  EXPECT_TRUE(out.lines[1]["ok"].asBool());
  EXPECT_TRUE(store.gets.empty());
}

// --- failures ---

TEST_F(FetcherTest, FailingObjectFailsItsMessage) {
  FakeObject broken{"line1\nline2\nline3\n", at("2024-05-02T09:00:00Z")};
  broken.fail_after = 12; // after "line1\nline2\n"
  broken.fail_message = "connection reset by peer (after 6 attempts)";
  store.put("b", "bad", broken);
  store.put("b", "good", {"g\n", at("2024-05-02T09:00:00Z")});
  std::string body = s3_event_body({{"b", "good"}, {"b", "bad"}});
  auto outcome = run(message_line("1", body) + "\n");
  EXPECT_EQ(outcome, Outcome::kPartial);
  auto ends = out.of_kind("end");
  ASSERT_EQ(ends.size(), 1u);
  auto end = end_from_json(ends[0]);
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->ok);
  EXPECT_EQ(end->fetched, 1u);
  EXPECT_EQ(end->failed, 1u);
  EXPECT_NE(end->error.find("s3://b/bad"), std::string::npos) << end->error;
  EXPECT_NE(end->error.find("connection reset"), std::string::npos) << end->error;
  // What was read before the failure was written and is counted.
  EXPECT_EQ(end->records, 3u);
  EXPECT_EQ(stats.failed, 1u);
  EXPECT_EQ(stats.fetched, 1u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("s3://b/bad"), std::string::npos);
}

TEST_F(FetcherTest, MissingObjectFailsItsMessage) {
  auto outcome = run(message_line("1", code42_body("b", "gone.json")) + "\n");
  EXPECT_EQ(outcome, Outcome::kPartial);
  auto end = end_from_json(out.lines.back());
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->ok);
  EXPECT_NE(end->error.find("s3://b/gone.json"), std::string::npos) << end->error;
  EXPECT_NE(end->error.find("NoSuchKey"), std::string::npos) << end->error;
  EXPECT_TRUE(end->interrupted.empty()) << "an object gone is the message's fault";
  EXPECT_EQ(end->body, code42_body("b", "gone.json"));
  EXPECT_EQ(end->receive_count, 1);
}

TEST_F(FetcherTest, LenientKeepsTheMessageOkButNotTheStatus) {
  config.lenient = true;
  FakeObject broken{"x\n", at("2024-05-02T09:00:00Z")};
  broken.fail_after = 0;
  store.put("b", "bad", broken);
  auto outcome = run(message_line("1", code42_body("b", "bad")) + "\n");
  EXPECT_EQ(outcome, Outcome::kPartial);
  auto end = end_from_json(out.lines.back());
  ASSERT_TRUE(end.ok());
  EXPECT_TRUE(end->ok);
  EXPECT_EQ(end->failed, 1u);
  EXPECT_EQ(stats.messages_failed, 0u);
}

TEST_F(FetcherTest, LenientDoesNotRescueUnreadableBodies) {
  config.lenient = true;
  EXPECT_EQ(run(message_line("1", "{}") + "\n"), Outcome::kPartial);
  auto end = end_from_json(out.lines.back());
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->ok);
}

// Through the real S3 client: a store that ignores Range on a resume must
// cost the object, not splice "b" onto "a\n" and send every line twice.
TEST_F(FetcherTest, ResumeAnsweredWithTheWholeObjectFailsItWithoutDuplicates) {
  const std::string data = "a\nbb\nccc\n";
  const HttpHeaders headers = {{"ETag", "\"e1\""},
                               {"Content-Length", std::to_string(data.size())},
                               {"Last-Modified", "Thu, 02 May 2024 09:00:00 GMT"}};
  auto broken = test_support::reply(200, data.substr(0, 3), headers);
  broken.failure = test_support::connection_reset();
  auto whole = test_support::reply(200, data, headers);
  aws::StaticCredentialsProvider credentials(test_support::example_credentials());
  sources = [&] {
    auto http = std::make_unique<test_support::ScriptedHttp>();
    http->script = {broken, whole};
    return std::make_unique<S3ObjectSource>(std::move(http), s3_context(credentials, clock),
                                            s3_addressing());
  };
  config.parallel = 1;
  auto outcome = run(message_line("1", code42_body("b", "k")) + "\n");
  EXPECT_EQ(outcome, Outcome::kPartial);
  auto records = out.records();
  ASSERT_EQ(records.size(), 1u);
  expect_record(records[0], "b", "k", 1, "a", "2024-05-02T08:00:00Z");
  auto end = end_from_json(out.lines.back());
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->ok);
  EXPECT_EQ(end->failed, 1u);
  EXPECT_NE(end->error.find("did not honour the Range request"), std::string::npos) << end->error;
}

TEST_F(FetcherTest, OverlongObjectLineFailsTheObject) {
  config.max_line_bytes = 16;
  store.put("b", "k", {"short\n" + std::string(40, 'x') + "\nafter\n", at("2024-05-02T09:00:00Z")});
  auto outcome = run(message_line("1", code42_body("b", "k")) + "\n");
  EXPECT_EQ(outcome, Outcome::kPartial);
  auto end = end_from_json(out.lines.back());
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->ok);
  EXPECT_EQ(end->failed, 1u);
  EXPECT_NE(end->error.find("s3://b/k"), std::string::npos) << end->error;
  EXPECT_NE(end->error.find("longer than 16"), std::string::npos) << end->error;
  for (const auto& r : out.records())
    EXPECT_LE(r["line"].asString().size(), 16u);
}

TEST_F(FetcherTest, TruncatedGzipFailsTheObject) {
  std::string gz = gzip("a\nb\nc\n");
  store.put("b", "k.gz", {gz.substr(0, gz.size() - 6), at("2024-05-02T09:00:00Z")});
  EXPECT_EQ(run(message_line("1", code42_body("b", "k.gz")) + "\n"), Outcome::kPartial);
  auto end = end_from_json(out.lines.back());
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->ok);
  EXPECT_NE(end->error.find("s3://b/k.gz"), std::string::npos) << end->error;
}

TEST_F(FetcherTest, ManyFailedObjectsGiveTenLinesAndACount) {
  std::vector<EventObject> missing;
  for (int i = 0; i < 25; ++i)
    missing.push_back({"b", "gone-" + std::to_string(i)});
  EXPECT_EQ(run(message_line("1", s3_event_body(missing)) + "\n"), Outcome::kPartial);
  EXPECT_EQ(stats.failed, 25u);
  ASSERT_EQ(warnings.size(), 11u);
  EXPECT_EQ(warnings.back(), "objects failed: 25 in all, 15 not shown");
}

// --- stop requests ---

// Sources over `store` whose first transfer asks to stop, as a SIGTERM from
// the driver would while objects stream.
ObjectSourceFactory stopping_sources(FakeStore& store, std::atomic<bool>& stopping) {
  return [&store, &stopping] {
    struct Stopping final : public ObjectSource {
      Stopping(FakeStore& s, std::atomic<bool>& flag) : inner(s), flag(flag) {}
      Result<aws::S3GetResult>
      get(const std::string& bucket, const std::string& key, const aws::S3GetOptions& options,
          const std::function<bool(const char*, size_t)>& on_data) override {
        flag = true;
        return inner.get(bucket, key, options, on_data);
      }
      FakeSource inner;
      std::atomic<bool>& flag;
    };
    return std::unique_ptr<ObjectSource>(std::make_unique<Stopping>(store, stopping));
  };
}

TEST_F(FetcherTest, StopRequestEndsEveryBegunMessageNotOkWithoutCallingItFailed) {
  config.parallel = 1;
  std::atomic<bool> stopping{false};
  stop = [&] { return stopping.load(); };
  store.put("b", "k1", {"a\nb\n", at("2024-05-02T09:00:00Z")});
  store.put("b", "k2", {"c\n", at("2024-05-02T09:00:00Z")});
  // The first object's transfer asks to stop; the second never starts.
  sources = stopping_sources(store, stopping);
  std::string body = s3_event_body({{"b", "k1"}, {"b", "k2"}});
  EXPECT_EQ(run(message_line("1", body) + "\n"), Outcome::kInterrupted);
  auto ends = out.of_kind("end");
  ASSERT_EQ(ends.size(), 1u);
  auto end = end_from_json(ends[0]);
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->ok);
  EXPECT_EQ(end->failed, 0u) << "abandoned, not failed";
  EXPECT_EQ(end->fetched, 0u);
  EXPECT_NE(end->error.find("interrupt"), std::string::npos) << end->error;
  EXPECT_EQ(stats.failed, 0u);
  EXPECT_TRUE(warnings.empty()) << warnings[0];
}

TEST_F(FetcherTest, StopRequestEndsTheMessagesStillInTheInputUnstarted) {
  config.parallel = 1;
  std::atomic<bool> stopping{false};
  stop = [&] { return stopping.load(); };
  store.put("b", "k1", {"a\nb\n", at("2024-05-02T09:00:00Z")});
  store.put("b", "k2", {"c\n", at("2024-05-02T09:00:00Z")});
  store.put("b", "k3", {"d\n", at("2024-05-02T09:00:00Z")});
  sources = stopping_sources(store, stopping);
  std::string input = message_line("1", code42_body("b", "k1")) + "\n" +
                      message_line("2", code42_body("b", "k2")) + "\n" + R"({"@c42":"note"})" +
                      "\n" + message_line("3", code42_body("b", "k3")) + "\n";
  EXPECT_EQ(run(input), Outcome::kInterrupted);
  std::map<std::string, EndLine> ends;
  for (const auto& v : out.of_kind("end")) {
    auto end = end_from_json(v);
    ASSERT_TRUE(end.ok());
    ends[end->ref.message_id] = *end;
  }
  ASSERT_EQ(ends.size(), 3u) << "every message read, or still in the input, gets its end line";
  EXPECT_EQ(ends["id-1"].interrupted, kInProgress);
  EXPECT_EQ(ends["id-2"].interrupted, kUnstarted);
  EXPECT_EQ(ends["id-3"].interrupted, kUnstarted);
  for (const auto& [id, end] : ends) {
    EXPECT_FALSE(end.ok) << id;
    EXPECT_EQ(end.failed, 0u) << id;
  }
  // Read before the stop, its object was waiting for the worker and names
  // itself; read after it, the message has no object started: either way
  // it was not started.
  const std::string& third = ends["id-3"].error;
  EXPECT_TRUE(third == "not started: stopped" || third == "s3://b/k3: not started: stopped")
      << third;
  EXPECT_EQ(store.gets, (std::vector<std::string>{"b/k1"})) << "nothing starts after the stop";
  EXPECT_EQ(out.of_kind("note").size(), 1u) << "other lines still pass on";
  EXPECT_EQ(out.of_kind("begin").size(), 3u);
}

// --- the run's deadline ---

TEST_F(FetcherTest, MessageReadAfterTheDeadlineEndsUnstartedWithoutAFetch) {
  config.deadline = clock.now() - std::chrono::seconds(1);
  store.put("b", "k", {"x\n", at("2024-05-02T09:00:00Z")});
  std::string test_event = R"({"Service":"Amazon S3","Event":"s3:TestEvent",)"
                           R"("Time":"2024-05-02T10:00:00Z","Bucket":"b"})";
  EXPECT_EQ(
      run(message_line("1", code42_body("b", "k")) + "\n" + message_line("2", test_event) + "\n"),
      Outcome::kPartial);
  EXPECT_TRUE(store.gets.empty());
  ASSERT_EQ(out.shape(),
            (std::vector<std::string>{"begin id-1", "end id-1", "begin id-2", "end id-2"}));
  auto end = end_from_json(out.lines[1]);
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->ok);
  EXPECT_EQ(end->interrupted, kUnstarted);
  EXPECT_EQ(end->error, "not started: the run's deadline had passed");
  EXPECT_EQ(end->failed, 0u);
  // A message that needs no work is done, deadline or not.
  auto test = end_from_json(out.lines[3]);
  ASSERT_TRUE(test.ok());
  EXPECT_TRUE(test->ok);
  EXPECT_EQ(test->interrupted, "");
  EXPECT_EQ(stats.failed, 0u);
  EXPECT_TRUE(warnings.empty()) << warnings[0];
}

TEST_F(FetcherTest, ObjectCutOffAtTheDeadlineLeavesItsMessageInProgress) {
  config.parallel = 1;
  config.deadline = clock.now() + std::chrono::seconds(10);
  store.put("b", "k1", {"a\nb\n", at("2024-05-02T09:00:00Z")});
  store.put("b", "k2", {"c\n", at("2024-05-02T09:00:00Z")});
  // The transfer of k1 outlasts the deadline and is cut off at it, as the
  // run's deadline cuts off a request; k2 would start after it.
  sources = [&] {
    struct Slow final : public ObjectSource {
      Slow(FixedClock& c, TimePoint d) : clock(c), deadline(d) {}
      Result<aws::S3GetResult>
      get(const std::string&, const std::string&, const aws::S3GetOptions&,
          const std::function<bool(const char*, size_t)>& on_data) override {
        ++gets;
        on_data("a\n", 2);
        clock.set(deadline + std::chrono::seconds(1));
        return make_error("the run's deadline passed", ErrorKind::kOutOfTime);
      }
      FixedClock& clock;
      TimePoint deadline;
      int gets = 0;
    };
    return std::unique_ptr<ObjectSource>(std::make_unique<Slow>(clock, *config.deadline));
  };
  EXPECT_EQ(run(message_line("1", s3_event_body({{"b", "k1"}, {"b", "k2"}})) + "\n"),
            Outcome::kPartial);
  auto end = end_from_json(out.lines.back());
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->ok);
  EXPECT_EQ(end->interrupted, kInProgress) << "started, so not released early";
  EXPECT_EQ(end->failed, 0u) << "cut off, not failed";
  EXPECT_EQ(stats.failed, 0u);
  EXPECT_EQ(out.records().size(), 1u);
}

TEST_F(FetcherTest, StoreThatKeepsFailingIsNotTheMessagesFault) {
  // S3 unreachable or answering 5xx through every retry: the object fails
  // and is reported, but the end line says the message is not to blame.
  sources = [&] {
    struct Down final : public ObjectSource {
      Result<aws::S3GetResult> get(const std::string& bucket, const std::string& key,
                                   const aws::S3GetOptions&,
                                   const std::function<bool(const char*, size_t)>&) override {
        if (key == "missing") return make_error("NoSuchKey (HTTP 404)");
        return make_error("cannot get s3://" + bucket + "/" + key +
                              ": SlowDown: reduce your request rate (HTTP 503)",
                          ErrorKind::kTransient);
      }
    };
    return std::unique_ptr<ObjectSource>(std::make_unique<Down>());
  };
  EXPECT_EQ(run(message_line("1", code42_body("b", "k")) + "\n" +
                message_line("2", code42_body("b", "missing")) + "\n"),
            Outcome::kPartial);
  std::map<std::string, EndLine> ends;
  for (const auto& v : out.of_kind("end")) {
    auto end = end_from_json(v);
    ASSERT_TRUE(end.ok());
    ends[end->ref.message_id] = *end;
  }
  EXPECT_FALSE(ends["id-1"].ok);
  EXPECT_EQ(ends["id-1"].failed, 1u);
  EXPECT_EQ(ends["id-1"].interrupted, kInProgress);
  EXPECT_FALSE(ends["id-2"].ok);
  EXPECT_EQ(ends["id-2"].interrupted, "") << "an object that is gone is the message's own failure";
  EXPECT_EQ(stats.failed, 2u);
}

// --- skipping old objects ---

// The default configuration once lost this: an object written at 23:58 and
// handled by the 00:00 run was skipped as "before today" and its message
// deleted. Every announced object is shipped unless an age rule is asked for.
TEST_F(FetcherTest, DefaultShipsEveryAnnouncedObjectWhateverTheClock) {
  clock.set(at("2024-05-03T00:00:30Z"));
  store.put("b", "late", {"late\n", at("2024-05-02T23:58:00Z")});
  store.put("b", "ancient", {"old\n", at("2019-01-01T00:00:00Z")});
  std::string body = s3_event_body({{"b", "late"}, {"b", "ancient"}});
  EXPECT_EQ(run(message_line("1", body, "2024-05-03T00:00:30.000Z") + "\n"), Outcome::kOk);
  EXPECT_FALSE(store.modified_since["b/late"].has_value());
  EXPECT_FALSE(store.modified_since["b/ancient"].has_value());
  EXPECT_EQ(out.records().size(), 2u);
  auto end = end_from_json(out.lines.back());
  ASSERT_TRUE(end.ok());
  EXPECT_TRUE(end->ok);
  EXPECT_EQ(end->fetched, 2u);
  EXPECT_EQ(end->skipped, 0u);
  EXPECT_TRUE(warnings.empty());
}

TEST_F(FetcherTest, SkipOlderThanIsMeasuredFromWhenTheMessageWasSent) {
  config.skip.older_than = std::chrono::hours(1);
  // A retry the next afternoon of a message sent just after midnight for an
  // object written just before it: still fresh relative to the message.
  clock.set(at("2024-05-03T15:00:00Z"));
  store.put("b", "fresh", {"fresh\n", at("2024-05-02T23:58:00Z")});
  store.put("b", "stale", {"stale\n", at("2024-05-02T22:59:00Z")});
  std::string body = s3_event_body({{"b", "fresh"}, {"b", "stale"}});
  EXPECT_EQ(run(message_line("1", body, "2024-05-03T00:00:30.000Z") + "\n"), Outcome::kOk);
  EXPECT_EQ(store.modified_since["b/fresh"], at("2024-05-02T23:00:30Z"));
  auto records = out.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["line"].asString(), "fresh");
  auto end = end_from_json(out.lines.back());
  ASSERT_TRUE(end.ok());
  EXPECT_TRUE(end->ok);
  EXPECT_EQ(end->fetched, 1u);
  EXPECT_EQ(end->skipped, 1u);
  EXPECT_EQ(stats.skipped, 1u);
  // One summary line names the first skipped object and its cutoff.
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("skipped 1 object"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("s3://b/stale"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("2024-05-02T23:00:30Z"), std::string::npos) << warnings[0];
}

TEST_F(FetcherTest, SkipOlderThanSkipsNothingWithoutASentTime) {
  config.skip.older_than = std::chrono::hours(1);
  store.put("b", "k", {"x\n", at("2019-01-01T00:00:00Z")});
  EXPECT_EQ(run(message_line("1", code42_body("b", "k")) + "\n"), Outcome::kOk);
  EXPECT_FALSE(store.modified_since["b/k"].has_value());
  EXPECT_EQ(out.records().size(), 1u);
}

TEST_F(FetcherTest, SkipBeforeAndSkipOlderThanTakeTheLaterCutoff) {
  config.skip.before = at("2024-05-02T12:00:00Z");
  config.skip.older_than = std::chrono::hours(24);
  store.put("b", "k", {"x\n", at("2024-05-02T13:00:00Z")});
  EXPECT_EQ(run(message_line("1", code42_body("b", "k"), "2024-05-02T14:00:00Z") + "\n"),
            Outcome::kOk);
  EXPECT_EQ(store.modified_since["b/k"], at("2024-05-02T12:00:00Z"));
  EXPECT_EQ(run(message_line("2", code42_body("b", "k"), "2024-05-04T14:00:00Z") + "\n"),
            Outcome::kOk);
  EXPECT_EQ(store.modified_since["b/k"], at("2024-05-03T14:00:00Z"));
  EXPECT_TRUE(out.records().empty());
}

TEST_F(FetcherTest, SkipBeforeDateAndNone) {
  auto date = parse_skip_before("2024-04-01");
  ASSERT_TRUE(date.ok());
  config.skip.before = *date;
  store.put("b", "march", {"m\n", at("2024-03-31T12:00:00Z")});
  store.put("b", "april", {"a\n", at("2024-04-02T12:00:00Z")});
  std::string body = s3_event_body({{"b", "march"}, {"b", "april"}});
  EXPECT_EQ(run(message_line("1", body) + "\n"), Outcome::kOk);
  EXPECT_EQ(store.modified_since["b/march"], at("2024-04-01T00:00:00Z"));
  auto end = end_from_json(out.lines.back());
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(end->skipped, 1u);
  EXPECT_EQ(end->fetched, 1u);

  config.skip.before = *parse_skip_before("none");
  store.gets.clear();
  EXPECT_EQ(run(message_line("2", body) + "\n"), Outcome::kOk);
  EXPECT_FALSE(store.modified_since["b/march"].has_value());
  auto end2 = end_from_json(out.lines.back());
  ASSERT_TRUE(end2.ok());
  EXPECT_EQ(end2->skipped, 0u);
  EXPECT_EQ(end2->fetched, 2u);
}

TEST(ParseSkipBefore, Variants) {
  auto none = parse_skip_before("none");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  auto day = parse_skip_before("2026-11-01");
  ASSERT_TRUE(day.ok());
  EXPECT_EQ(**day, at("2026-11-01T00:00:00Z"));

  auto offset = parse_skip_before("2026-11-01T12:00:00+02:00");
  ASSERT_TRUE(offset.ok());
  EXPECT_EQ(**offset, at("2026-11-01T10:00:00Z"));

  // "today" measured the run's clock and lost data across midnight.
  auto today = parse_skip_before("today");
  ASSERT_FALSE(today.ok());
  EXPECT_NE(today.error().message.find("--skip-older-than"), std::string::npos);

  for (const char* bad :
       {"", "yesterday", "Today", "2026-13-01", "1700000000", "2026-11-01T25:00"}) {
    auto r = parse_skip_before(bad);
    EXPECT_FALSE(r.ok()) << "'" << bad << "'";
    if (!r.ok()) {
      EXPECT_NE(r.error().message.find(std::string("'") + bad + "'"), std::string::npos)
          << r.error().message;
    }
  }
}

TEST(ParseDuration, UnitsAndLimits) {
  EXPECT_EQ(*parse_duration("90"), std::chrono::seconds(90));
  EXPECT_EQ(*parse_duration("90s"), std::chrono::seconds(90));
  EXPECT_EQ(*parse_duration("15m"), std::chrono::minutes(15));
  EXPECT_EQ(*parse_duration("6h"), std::chrono::hours(6));
  EXPECT_EQ(*parse_duration("2d"), std::chrono::hours(48));
  for (const char* bad :
       {"", "h", "-1h", "1.5h", "1w", "1hh", " 1h", "nan", "1e3", "9999999999", "4000d"})
    EXPECT_FALSE(parse_duration(bad).ok()) << "'" << bad << "'";
}

// --- parse_s3_reference ---

TEST(ParseS3Reference, SplitsBucketAndKey) {
  auto r = parse_s3_reference("s3://my-bucket/dir/sub/file name%20.json");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->bucket, "my-bucket");
  EXPECT_EQ(r->key, "dir/sub/file name%20.json");
  EXPECT_EQ(r->event_time, "");
  auto trailing = parse_s3_reference("s3://b/dir/");
  ASSERT_TRUE(trailing.ok());
  EXPECT_EQ(trailing->key, "dir/");
}

TEST(ParseS3Reference, Errors) {
  for (const char* bad : {"", "s3:/", "s3://", "s3://b", "s3://b/", "s3:///k", "S3://b/k",
                          "http://b/k", "b/k", " s3://b/k"}) {
    auto r = parse_s3_reference(bad);
    EXPECT_FALSE(r.ok()) << "'" << bad << "'";
  }
  auto long_text = parse_s3_reference("x" + std::string(500, 'y'));
  ASSERT_FALSE(long_text.ok());
  EXPECT_LT(long_text.error().message.size(), 200u) << "quotes only an excerpt";
}

// --- span framing ---

TEST_F(FetcherTest, WithOneWorkerSpansNeverOverlap) {
  config.parallel = 1;
  std::string input;
  std::map<std::string, std::set<std::string>> keys_of; // message id -> keys
  for (int m = 1; m <= 4; ++m) {
    std::vector<EventObject> objects;
    for (int o = 1; o <= 3; ++o) {
      std::string key = "m" + std::to_string(m) + "/o" + std::to_string(o);
      store.put("b", key, {"1\n2\n", at("2024-05-02T09:00:00Z")});
      objects.push_back({"b", key});
      keys_of["id-" + std::to_string(m)].insert(key);
    }
    input += message_line(std::to_string(m), s3_event_body(objects)) + "\n";
  }
  EXPECT_EQ(run(input), Outcome::kOk);
  EXPECT_EQ(store.max_active, 1);
  std::string open;
  int ends = 0;
  for (const auto& v : out.lines) {
    std::string kind = control_kind(v);
    if (kind == "begin") {
      EXPECT_EQ(open, "") << "begin " << v["message_id"].asString() << " inside span " << open;
      open = v["message_id"].asString();
    } else if (kind == "end") {
      EXPECT_EQ(v["message_id"].asString(), open);
      EXPECT_TRUE(v["ok"].asBool());
      EXPECT_EQ(v["records"].asUInt64(), 6u);
      open.clear();
      ++ends;
    } else {
      ASSERT_NE(open, "") << "record outside any span";
      EXPECT_EQ(keys_of[open].count(v["key"].asString()), 1u)
          << v["key"].asString() << " in the span of " << open;
    }
  }
  EXPECT_EQ(open, "");
  EXPECT_EQ(ends, 4);
  EXPECT_EQ(out.records().size(), 24u);
}

TEST_F(FetcherTest, EveryMessageGetsExactlyOneBeginAndOneEnd) {
  config.parallel = 3;
  std::string input;
  for (int m = 1; m <= 6; ++m) {
    std::vector<EventObject> objects;
    for (int o = 1; o <= m % 3 + 1; ++o) {
      std::string key = "m" + std::to_string(m) + "/o" + std::to_string(o);
      store.put("b", key, {"r\n", at("2024-05-02T09:00:00Z")});
      objects.push_back({"b", key});
    }
    input += message_line(std::to_string(m), s3_event_body(objects)) + "\n";
  }
  EXPECT_EQ(run(input), Outcome::kOk);
  std::map<std::string, int> begins, ends;
  std::set<std::string> open;
  for (const auto& v : out.lines) {
    std::string kind = control_kind(v);
    std::string id = v["message_id"].asString();
    if (kind == "begin") {
      ++begins[id];
      open.insert(id);
    } else if (kind == "end") {
      ++ends[id];
      EXPECT_EQ(open.count(id), 1u) << "end before begin for " << id;
      open.erase(id);
    } else {
      EXPECT_FALSE(open.empty()) << "record outside every span";
    }
  }
  EXPECT_EQ(begins.size(), 6u);
  for (const auto& [id, n] : begins)
    EXPECT_EQ(n, 1) << id;
  for (const auto& [id, n] : ends)
    EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(ends.size(), 6u);
  EXPECT_LE(store.max_active, 3);
}

} // namespace
} // namespace c42
