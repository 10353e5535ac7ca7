#include "common/aws/endpoints.h"

#include <gtest/gtest.h>
#include <map>
#include <string>

namespace c42::aws {
namespace {

using Vars = std::map<std::string, std::string>;

// --- configured_endpoint ---

TEST(ConfiguredEndpoint, NothingConfigured) {
  MapEnvironment env;
  EXPECT_EQ(configured_endpoint(env, "SQS"), "");
}

TEST(ConfiguredEndpoint, ServiceSpecificBeatsGlobal) {
  MapEnvironment env(
      Vars{{"AWS_ENDPOINT_URL", "http://global:1"}, {"AWS_ENDPOINT_URL_SQS", "http://sqs-only:2"}});
  EXPECT_EQ(configured_endpoint(env, "SQS"), "http://sqs-only:2");
  // Another service's variable does not apply.
  EXPECT_EQ(configured_endpoint(env, "S3"), "http://global:1");
}

TEST(ConfiguredEndpoint, GlobalAlone) {
  MapEnvironment env(Vars{{"AWS_ENDPOINT_URL", "http://global:1"}});
  EXPECT_EQ(configured_endpoint(env, "S3"), "http://global:1");
}

TEST(ConfiguredEndpoint, EmptyVariablesCountAsUnset) {
  MapEnvironment env(Vars{{"AWS_ENDPOINT_URL", "http://global:1"}, {"AWS_ENDPOINT_URL_S3", ""}});
  EXPECT_EQ(configured_endpoint(env, "S3"), "http://global:1");
}

TEST(ConfiguredEndpoint, IgnoreVariableWinsWhenTruthy) {
  for (const char* yes : {"true", "TRUE", "True", "1", "yes", "YES"}) {
    MapEnvironment env(Vars{{"AWS_ENDPOINT_URL", "http://global:1"},
                            {"AWS_ENDPOINT_URL_S3", "http://s3:2"},
                            {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", yes}});
    EXPECT_EQ(configured_endpoint(env, "S3"), "") << yes;
    EXPECT_EQ(configured_endpoint(env, "SQS"), "") << yes;
  }
  for (const char* no : {"false", "0", "no", "", "nope"}) {
    MapEnvironment env(
        Vars{{"AWS_ENDPOINT_URL_S3", "http://s3:2"}, {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", no}});
    EXPECT_EQ(configured_endpoint(env, "S3"), "http://s3:2") << no;
  }
}

// --- resolve_region ---

TEST(ResolveRegion, AwsRegionBeatsDefaultRegion) {
  MapEnvironment env(Vars{{"AWS_REGION", "eu-west-1"}, {"AWS_DEFAULT_REGION", "us-east-1"}});
  auto region = resolve_region(env, "https://sqs.ap-south-1.amazonaws.com/1/q");
  ASSERT_TRUE(region.ok());
  EXPECT_EQ(*region, "eu-west-1");
}

TEST(ResolveRegion, DefaultRegionBeatsTheHint) {
  MapEnvironment env(Vars{{"AWS_DEFAULT_REGION", "us-east-2"}});
  auto region = resolve_region(env, "https://sqs.ap-south-1.amazonaws.com/1/q");
  ASSERT_TRUE(region.ok());
  EXPECT_EQ(*region, "us-east-2");
}

TEST(ResolveRegion, FromAnAmazonawsQueueUrl) {
  MapEnvironment env;
  auto region = resolve_region(env, "https://sqs.eu-central-1.amazonaws.com/123456789012/q");
  ASSERT_TRUE(region.ok()) << region.error().message;
  EXPECT_EQ(*region, "eu-central-1");
  auto gov = resolve_region(env, "https://sqs.us-gov-west-1.amazonaws.com/1/q");
  ASSERT_TRUE(gov.ok());
  EXPECT_EQ(*gov, "us-gov-west-1");
}

TEST(ResolveRegion, NoRegionIsAnError) {
  MapEnvironment env;
  for (const char* hint : {
           "",
           "http://localhost:4566/000000000000/q", // not AWS
           "https://sqs.amazonaws.com/1/q",        // no region label
           "https://queue.amazonaws.com/1/q",      // legacy host, no region
           "https://a.b.c.amazonaws.com/1/q",      // too many labels
           "https://sqs.eu-west-1.amazonaws.com.evil.example/1/q",
           "not a url",
       }) {
    auto region = resolve_region(env, hint);
    EXPECT_FALSE(region.ok()) << hint << " gave " << (region.ok() ? *region : "");
    if (!region.ok()) {
      EXPECT_NE(region.error().message.find("AWS_REGION"), std::string::npos);
    }
  }
}

// Regression: the label after the first dot of any two-label amazonaws.com
// host was taken as the region. Legacy SQS queue URLs put the region first
// (https://us-east-2.queue.amazonaws.com/<account>/<name>), which gave
// "queue" and requests signed for a region that does not exist.
TEST(ResolveRegion, LegacyQueueUrlDoesNotYieldAWrongRegion) {
  MapEnvironment env;
  auto region = resolve_region(env, "https://us-east-2.queue.amazonaws.com/123456789012/q");
  EXPECT_TRUE(!region.ok() || *region == "us-east-2") << "region: " << *region;
}

// --- S3 addressing ---

S3Addressing addressing(const Vars& vars, bool force = false,
                        const std::string& region = "us-west-2") {
  MapEnvironment env(vars);
  auto a = resolve_s3_addressing(env, region, force);
  EXPECT_TRUE(a.ok()) << (a.ok() ? "" : a.error().message);
  return a.ok() ? *a : S3Addressing();
}

TEST(S3Addressing, VirtualHostedOnAws) {
  S3Addressing a = addressing({});
  EXPECT_FALSE(a.path_style);
  EXPECT_EQ(a.endpoint.origin(), "https://s3.us-west-2.amazonaws.com");
  EXPECT_EQ(s3_object_url(a, "my-bucket", "logs/2024/05/01/export.json.gz"),
            "https://my-bucket.s3.us-west-2.amazonaws.com/logs/2024/05/01/export.json.gz");
}

TEST(S3Addressing, PathStyleForIpAddressEndpoints) {
  S3Addressing v4 = addressing({{"AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000"}});
  EXPECT_TRUE(v4.path_style);
  EXPECT_EQ(s3_object_url(v4, "bucket", "a/b"), "http://127.0.0.1:9000/bucket/a/b");

  S3Addressing v6 = addressing({{"AWS_ENDPOINT_URL", "http://[::1]:4566"}});
  EXPECT_TRUE(v6.path_style);
  EXPECT_EQ(s3_object_url(v6, "bucket", "k"), "http://[::1]:4566/bucket/k");
}

TEST(S3Addressing, PathStyleForLocalhost) {
  S3Addressing a = addressing({{"AWS_ENDPOINT_URL", "http://localhost:4566"}});
  EXPECT_TRUE(a.path_style);
  EXPECT_EQ(s3_object_url(a, "bucket", "k"), "http://localhost:4566/bucket/k");
}

TEST(S3Addressing, PathStyleWhenForced) {
  S3Addressing by_flag = addressing({}, /*force=*/true);
  EXPECT_TRUE(by_flag.path_style);
  EXPECT_EQ(s3_object_url(by_flag, "my-bucket", "k"),
            "https://s3.us-west-2.amazonaws.com/my-bucket/k");

  for (const char* yes : {"true", "1", "yes"}) {
    EXPECT_TRUE(addressing({{"AWS_S3_FORCE_PATH_STYLE", yes}}).path_style) << yes;
  }
  EXPECT_FALSE(addressing({{"AWS_S3_FORCE_PATH_STYLE", "false"}}).path_style);
}

TEST(S3Addressing, CustomHostNameIsVirtualHosted) {
  S3Addressing a = addressing({{"AWS_ENDPOINT_URL_S3", "http://minio.internal:9000"}});
  EXPECT_FALSE(a.path_style);
  EXPECT_EQ(s3_object_url(a, "bucket", "k"), "http://bucket.minio.internal:9000/k");
}

TEST(S3Addressing, DottedBucketOverHttpsUsesPathStyle) {
  S3Addressing a = addressing({});
  EXPECT_EQ(s3_object_url(a, "logs.example.com", "k"),
            "https://s3.us-west-2.amazonaws.com/logs.example.com/k");
  // Over plain HTTP there is no certificate to break.
  S3Addressing http = addressing({{"AWS_ENDPOINT_URL_S3", "http://minio.internal:9000"}});
  EXPECT_EQ(s3_object_url(http, "logs.example.com", "k"),
            "http://logs.example.com.minio.internal:9000/k");
}

TEST(S3Addressing, EndpointPathIsKeptAsPrefix) {
  S3Addressing a = addressing({{"AWS_ENDPOINT_URL_S3", "http://10.0.0.5:8080/s3/"}});
  EXPECT_EQ(s3_object_url(a, "bucket", "k"), "http://10.0.0.5:8080/s3/bucket/k");
  S3Addressing v = addressing({{"AWS_ENDPOINT_URL_S3", "https://gw.example/prefix"}});
  EXPECT_EQ(s3_object_url(v, "bucket", "k"), "https://bucket.gw.example/prefix/k");
}

TEST(S3Addressing, IgnoredEndpointFallsBackToAws) {
  S3Addressing a = addressing({{"AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000"},
                               {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}},
                              false, "eu-north-1");
  EXPECT_FALSE(a.path_style);
  EXPECT_EQ(a.endpoint.host, "s3.eu-north-1.amazonaws.com");
}

TEST(S3Addressing, BadEndpointIsAnError) {
  MapEnvironment env(Vars{{"AWS_ENDPOINT_URL_S3", "minio:9000"}});
  auto a = resolve_s3_addressing(env, "us-east-1", false);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find("S3 endpoint"), std::string::npos);
}

TEST(S3ObjectUrl, EncodesKeysButKeepsSlashes) {
  S3Addressing a = addressing({});
  EXPECT_EQ(s3_object_url(a, "b", "dir/sub dir/a+b=c&d?e#f%g~h_i-j.k"),
            "https://b.s3.us-west-2.amazonaws.com/dir/sub%20dir/a%2Bb%3Dc%26d%3Fe%23f%25g~h_i-j.k");
  EXPECT_EQ(s3_object_url(a, "b", "caf\xC3\xA9/"),
            "https://b.s3.us-west-2.amazonaws.com/caf%C3%A9/");
  EXPECT_EQ(s3_object_url(a, "b", "/leading//double"),
            "https://b.s3.us-west-2.amazonaws.com//leading//double");
}

} // namespace
} // namespace c42::aws
