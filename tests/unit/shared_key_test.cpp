#include "common/la/shared_key.h"
#include "common/time_format.h"

#include <fstream>
#include <gtest/gtest.h>
#include <json/json.h>
#include <sstream>

namespace c42::la {
namespace {

// Vectors come from tests/data/shared_key/gen_vectors.py (Python hmac/base64,
// no project code), so these tests compare against an independent signer.
Json::Value load_vectors() {
  std::ifstream in(std::string(C42_TEST_DATA_DIR) + "/shared_key/vectors.json", std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing tests/data/shared_key/vectors.json";
  Json::Value root;
  Json::CharReaderBuilder builder;
  std::string errors;
  EXPECT_TRUE(Json::parseFromStream(builder, in, &root, &errors)) << errors;
  return root["cases"];
}

Json::Value vector_named(const std::string& name) {
  for (const auto& c : load_vectors())
    if (c["name"].asString() == name) return c;
  ADD_FAILURE() << "no vector named " << name;
  return Json::Value();
}

TimePoint at(long long seconds) {
  return TimePoint(std::chrono::seconds(seconds));
}

// HttpRequest has no header() accessor; this keeps the expectations short.
std::optional<std::string> header(const HttpRequest& r, const std::string& name) {
  return find_header(r.headers, name);
}

const char kWorkspace[] = "0b8fe4c2-5d3a-4e1f-9a7b-6c2d1e0f3a4b";

DataCollectorTarget target_for(const Json::Value& v) {
  DataCollectorTarget t;
  t.workspace_id = v["workspace_id"].asString();
  t.shared_key = v["shared_key"].asString();
  t.log_type = "Code42Audit";
  return t;
}

TEST(SharedKey, StringToSignIsTheDocumentedExampleByteForByte) {
  // Verbatim from the docs, with its "\n" written out as real newlines.
  EXPECT_EQ(data_collector_string_to_sign(1024, "Mon, 04 Apr 2016 08:00:00 GMT"),
            "POST\n1024\napplication/json\nx-ms-date:Mon, 04 Apr 2016 08:00:00 GMT\n/api/logs");
  Json::Value v = vector_named("documented_example");
  EXPECT_EQ(
      data_collector_string_to_sign(v["content_length"].asUInt64(), v["x_ms_date"].asString()),
      v["string_to_sign"].asString());
}

TEST(SharedKey, StringToSignAndSignatureMatchEveryVector) {
  Json::Value cases = load_vectors();
  ASSERT_GE(cases.size(), 4u);
  for (const auto& v : cases) {
    SCOPED_TRACE(v["name"].asString());
    std::string sts =
        data_collector_string_to_sign(v["content_length"].asUInt64(), v["x_ms_date"].asString());
    EXPECT_EQ(sts, v["string_to_sign"].asString());
    auto sig = data_collector_signature(v["shared_key"].asString(), sts);
    ASSERT_TRUE(sig.ok()) << sig.error().message;
    EXPECT_EQ(*sig, v["signature"].asString());
  }
}

TEST(SharedKey, ContentLengthCountsUtf8BytesNotCharacters) {
  Json::Value v = vector_named("multibyte_utf8");
  const std::string body = v["body"].asString();
  ASSERT_NE(v["body_chars"].asUInt64(), v["content_length"].asUInt64()); // the point of the case
  EXPECT_EQ(body.size(), v["content_length"].asUInt64());

  auto request =
      build_data_collector_request(target_for(v), body, at(v["epoch_seconds"].asInt64()));
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(header(*request, "x-ms-date"), v["x_ms_date"].asString());
  EXPECT_EQ(header(*request, "Authorization"), v["authorization"].asString());
  EXPECT_EQ(request->payload(), body);
  EXPECT_EQ(request->payload().data(), body.data()) << "borrowed, not copied";
}

TEST(SharedKey, InvalidKeyIsAnErrorThatDoesNotQuoteTheKey) {
  const std::string sts = data_collector_string_to_sign(2, "Sun, 30 Aug 2015 12:36:00 GMT");
  for (std::string bad : {std::string("not*base64*secretvalue="), std::string("c2VjcmV0X2tleQ"),
                          std::string("c2VjcmV0 X2tleQ==")}) {
    SCOPED_TRACE(bad);
    auto sig = data_collector_signature(bad, sts);
    ASSERT_FALSE(sig.ok());
    EXPECT_EQ(sig.error().message.find(bad), std::string::npos) << sig.error().message;
    EXPECT_EQ(sig.error().message.find("secret"), std::string::npos) << sig.error().message;
    EXPECT_NE(sig.error().message.find("shared key"), std::string::npos);
  }
  EXPECT_FALSE(data_collector_signature("", sts).ok());

  DataCollectorTarget t;
  t.workspace_id = kWorkspace;
  t.shared_key = "not*base64*secretvalue=";
  t.log_type = "Code42Audit";
  auto request = build_data_collector_request(t, "[]", at(1440938160));
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.error().message.find(t.shared_key), std::string::npos);
  EXPECT_EQ(request.error().message.find("secret"), std::string::npos);
}

TEST(DataCollector, BuildsTheDocumentedRequest) {
  Json::Value v = vector_named("empty_array");
  DataCollectorTarget t = target_for(v);
  auto request = build_data_collector_request(t, "[]", at(v["epoch_seconds"].asInt64()));
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->method, "POST");
  EXPECT_EQ(request->url, std::string("https://") + kWorkspace +
                              ".ods.opinsights.azure.com/api/logs?api-version=2016-04-01");
  EXPECT_EQ(header(*request, "Content-Type"), "application/json"); // no charset: it is signed
  EXPECT_EQ(header(*request, "Log-Type"), "Code42Audit");
  EXPECT_EQ(header(*request, "x-ms-date"), "Sun, 30 Aug 2015 12:36:00 GMT");
  EXPECT_EQ(header(*request, "Authorization"), v["authorization"].asString());
  EXPECT_EQ(header(*request, "time-generated-field"), std::nullopt);
  EXPECT_EQ(header(*request, "x-ms-AzureResourceId"), std::nullopt);
  EXPECT_EQ(request->payload(), "[]");
  EXPECT_EQ(request->headers.size(), 4u);
}

TEST(DataCollector, OptionalHeadersAppearWhenSet) {
  Json::Value v = vector_named("two_records");
  DataCollectorTarget t = target_for(v);
  t.time_generated_field = "timestamp";
  t.resource_id = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Web/sites/c42";
  const std::string body = v["body"].asString(); // the request borrows it
  auto request = build_data_collector_request(t, body, at(v["epoch_seconds"].asInt64()));
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(header(*request, "time-generated-field"), "timestamp");
  EXPECT_EQ(header(*request, "x-ms-AzureResourceId"), t.resource_id);
  // Neither optional header is part of the string to sign.
  EXPECT_EQ(header(*request, "Authorization"), v["authorization"].asString());
}

TEST(DataCollector, EndpointOverrideReplacesSchemeHostAndPort) {
  Json::Value v = vector_named("empty_array");
  DataCollectorTarget t = target_for(v);
  for (const char* endpoint : {"http://127.0.0.1:8080", "http://127.0.0.1:8080/"}) {
    SCOPED_TRACE(endpoint);
    t.endpoint = endpoint;
    auto request = build_data_collector_request(t, "[]", at(v["epoch_seconds"].asInt64()));
    ASSERT_TRUE(request.ok()) << request.error().message;
    EXPECT_EQ(request->url, "http://127.0.0.1:8080/api/logs?api-version=2016-04-01");
    // The signature does not depend on the host: the resource is always /api/logs.
    EXPECT_EQ(header(*request, "Authorization"), v["authorization"].asString());
  }
  t.endpoint = "https://proxy.example.com/la/";
  auto prefixed = build_data_collector_request(t, "[]", at(0));
  ASSERT_TRUE(prefixed.ok()) << prefixed.error().message;
  EXPECT_EQ(prefixed->url, "https://proxy.example.com/la/api/logs?api-version=2016-04-01");

  for (const char* bad : {"127.0.0.1:8080", "ftp://host", "http://host/?x=1", "http://"}) {
    SCOPED_TRACE(bad);
    t.endpoint = bad;
    EXPECT_FALSE(build_data_collector_request(t, "[]", at(0)).ok());
  }
}

TEST(DataCollector, RejectsBadTargetsBeforeSigning) {
  DataCollectorTarget good;
  good.workspace_id = kWorkspace;
  good.shared_key = vector_named("empty_array")["shared_key"].asString();
  good.log_type = "Code42Audit";
  ASSERT_TRUE(build_data_collector_request(good, "[]", at(0)).ok());

  DataCollectorTarget t = good;
  t.workspace_id = "evil.example.com/";
  EXPECT_FALSE(build_data_collector_request(t, "[]", at(0)).ok());
  t = good;
  t.log_type = "Code42-Audit";
  EXPECT_FALSE(build_data_collector_request(t, "[]", at(0)).ok());
  t = good;
  t.time_generated_field = "timestamp\r\nX-Injected: 1";
  EXPECT_FALSE(build_data_collector_request(t, "[]", at(0)).ok());
  t = good;
  t.resource_id = "/subscriptions/x\n";
  EXPECT_FALSE(build_data_collector_request(t, "[]", at(0)).ok());

  std::string too_big(kDataCollectorMaxBodyBytes + 1, ' ');
  auto request = build_data_collector_request(good, std::move(too_big), at(0));
  ASSERT_FALSE(request.ok());
  EXPECT_NE(request.error().message.find("30000001"), std::string::npos);
}

TEST(DataCollector, LogTypeValidation) {
  EXPECT_TRUE(valid_log_type("Code42Audit"));
  EXPECT_TRUE(valid_log_type("code42_file_events_2"));
  EXPECT_TRUE(valid_log_type("_"));
  EXPECT_TRUE(valid_log_type(std::string(100, 'a')));
  EXPECT_FALSE(valid_log_type(std::string(101, 'a')));
  EXPECT_FALSE(valid_log_type(""));
  EXPECT_FALSE(valid_log_type("Code42-Audit"));
  EXPECT_FALSE(valid_log_type("Code42 Audit"));
  EXPECT_FALSE(valid_log_type("Code42.Audit"));
  EXPECT_FALSE(valid_log_type("Zoë"));
  EXPECT_FALSE(valid_log_type("Audit\n"));
}

TEST(DataCollector, WorkspaceIdValidation) {
  EXPECT_TRUE(valid_workspace_id(kWorkspace));
  EXPECT_TRUE(valid_workspace_id("0B8FE4C2-5D3A-4E1F-9A7B-6C2D1E0F3A4B"));
  EXPECT_FALSE(valid_workspace_id("0b8fe4c25d3a4e1f9a7b6c2d1e0f3a4b"));
  EXPECT_FALSE(valid_workspace_id("{0b8fe4c2-5d3a-4e1f-9a7b-6c2d1e0f3a4b}"));
  EXPECT_FALSE(valid_workspace_id("0b8fe4c2-5d3a-4e1f-9a7b-6c2d1e0f3a4"));
  EXPECT_FALSE(valid_workspace_id("0b8fe4c2-5d3a-4e1f-9a7b-6c2d1e0f3a4g"));
  EXPECT_FALSE(valid_workspace_id("0b8fe4c2_5d3a-4e1f-9a7b-6c2d1e0f3a4b"));
  EXPECT_FALSE(valid_workspace_id(""));
}

} // namespace
} // namespace c42::la
