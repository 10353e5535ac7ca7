#include "common/aws/sigv4.h"
#include "common/crypto.h"
#include "common/time_format.h"

#include <algorithm>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <vector>

namespace c42::aws {
namespace {

// Golden files: the published AWS SigV4 test suite and the S3 documentation
// examples (see tests/data/sigv4/README.md for provenance). Each stage is
// checked against the published value on its own, fed the published output
// of the stage before, so a failure points at one stage.

TimePoint at(long long seconds) {
  return TimePoint(std::chrono::seconds(seconds));
}

const TimePoint kSuiteTime = at(1440938160); // 20150830T123600Z
const TimePoint kS3Time = at(1369353600);    // 20130524T000000Z
const char kSuiteAccessKey[] = "AKIDEXAMPLE";
const char kSuiteSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const char kS3AccessKey[] = "AKIAIOSFODNN7EXAMPLE";
const char kS3Secret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

std::string read_data_file(const std::string& relative) {
  std::ifstream in(std::string(C42_TEST_DATA_DIR) + "/sigv4/" + relative, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing tests/data/sigv4/" << relative;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The suite's .req format: request line, header lines, blank line, body. The
// request target goes into the URL exactly as written (the suite's targets
// are what is on the wire; the signer encodes them once more). A folded
// continuation line counts as one more value of the header above it.
HttpRequest parse_request_file(const std::string& text) {
  HttpRequest request;
  std::vector<std::string> lines;
  size_t start = 0;
  size_t body_start = std::string::npos;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    std::string line = text.substr(start, end == std::string::npos ? end : end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() && !lines.empty()) {
      body_start = end == std::string::npos ? text.size() : end + 1;
      break;
    }
    lines.push_back(line);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  EXPECT_FALSE(lines.empty());
  const std::string& request_line = lines.front();
  size_t first_space = request_line.find(' ');
  size_t last_space = request_line.rfind(' ');
  request.method = request_line.substr(0, first_space);
  std::string target = request_line.substr(first_space + 1, last_space - first_space - 1);
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line[0] == ' ' || line[0] == '\t') {
      EXPECT_FALSE(request.headers.empty()) << "continuation before any header";
      request.headers.emplace_back(request.headers.back().first, line);
      continue;
    }
    size_t colon = line.find(':');
    EXPECT_NE(colon, std::string::npos) << line;
    request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  if (body_start != std::string::npos) request.body = text.substr(body_start);
  auto host = find_header(request.headers, "Host");
  EXPECT_TRUE(host.has_value());
  // Trailing blanks in the S3 examples' Host line are not part of the name.
  std::string authority = host.value_or("");
  authority.erase(0, authority.find_first_not_of(' '));
  authority.erase(authority.find_last_not_of(' ') + 1);
  request.url = "https://" + authority + target;
  return request;
}

struct AuthorizationParts {
  std::string algorithm, credential, signed_headers, signature;
};

// Accepts both ", " (the suite) and "," (the S3 documentation) between parts.
AuthorizationParts parse_authorization(const std::string& value) {
  AuthorizationParts parts;
  size_t space = value.find(' ');
  parts.algorithm = value.substr(0, space);
  std::stringstream rest(value.substr(space + 1));
  std::string item;
  while (std::getline(rest, item, ',')) {
    item.erase(0, item.find_first_not_of(' '));
    size_t equals = item.find('=');
    std::string key = item.substr(0, equals);
    std::string field = item.substr(equals + 1);
    if (key == "Credential")
      parts.credential = field;
    else if (key == "SignedHeaders")
      parts.signed_headers = field;
    else if (key == "Signature")
      parts.signature = field;
    else
      ADD_FAILURE() << "unexpected Authorization part " << item;
  }
  return parts;
}

void erase_header(HttpHeaders& headers, const std::string& name) {
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [&](const auto& h) { return find_header({h}, name).has_value(); }),
                headers.end());
}

struct VectorCase {
  const char* group; // "suite" or "s3"
  const char* name;
};

const VectorCase kVectorCases[] = {
    {"suite", "get-header-key-duplicate"},
    {"suite", "get-header-value-multiline"},
    {"suite", "get-header-value-order"},
    {"suite", "get-header-value-trim"},
    {"suite", "get-unreserved"},
    {"suite", "get-utf8"},
    {"suite", "get-vanilla"},
    {"suite", "get-vanilla-empty-query-key"},
    {"suite", "get-vanilla-query"},
    {"suite", "get-vanilla-query-order-key"},
    {"suite", "get-vanilla-query-order-key-case"},
    {"suite", "get-vanilla-query-order-value"},
    {"suite", "get-vanilla-query-unreserved"},
    {"suite", "get-vanilla-utf8-query"},
    {"suite", "post-header-key-case"},
    {"suite", "post-header-key-sort"},
    {"suite", "post-header-value-case"},
    {"suite", "post-vanilla"},
    {"suite", "post-vanilla-empty-query-value"},
    {"suite", "post-vanilla-query"},
    {"suite", "post-x-www-form-urlencoded"},
    {"suite", "post-x-www-form-urlencoded-parameters"},
    {"suite", "get-relative"},
    {"suite", "get-relative-relative"},
    {"suite", "get-slash"},
    {"suite", "get-slash-dot-slash"},
    {"suite", "get-slash-pointless-dot"},
    {"suite", "get-slashes"},
    {"suite", "get-space"},
    {"suite", "post-sts-header-before"},
    {"s3", "get-object"},
    {"s3", "put-object"},
    {"s3", "get-bucket-lifecycle"},
    {"s3", "get-bucket-list-objects"},
};

class Sigv4VectorTest : public ::testing::TestWithParam<VectorCase> {
protected:
  void SetUp() override {
    const VectorCase& c = GetParam();
    std::string base = std::string(c.group) + "/" + c.name + "/" + c.name;
    request_ = parse_request_file(read_data_file(base + ".req"));
    expected_canonical_request_ = read_data_file(base + ".creq");
    expected_string_to_sign_ = read_data_file(base + ".sts");
    expected_authorization_ = read_data_file(base + ".authz");
    expected_parts_ = parse_authorization(expected_authorization_);
    bool s3 = std::string(c.group) == "s3";
    config_.region = "us-east-1";
    config_.service = s3 ? "s3" : "service";
    config_.time = s3 ? kS3Time : kSuiteTime;
    config_.s3_mode = s3;
    credentials_.access_key_id = s3 ? kS3AccessKey : kSuiteAccessKey;
    credentials_.secret_access_key = s3 ? kS3Secret : kSuiteSecret;
    if (auto token = find_header(request_.headers, "X-Amz-Security-Token"))
      credentials_.session_token = *token;
  }

  bool is_suite() const { return std::string(GetParam().group) == "suite"; }

  HttpRequest request_;
  std::string expected_canonical_request_, expected_string_to_sign_, expected_authorization_;
  AuthorizationParts expected_parts_;
  SigningConfig config_;
  Credentials credentials_;
};

TEST_P(Sigv4VectorTest, CanonicalRequest) {
  EXPECT_EQ(canonical_request(request_, config_), expected_canonical_request_);
}

TEST_P(Sigv4VectorTest, SignedHeaderNames) {
  EXPECT_EQ(signed_header_names(request_), expected_parts_.signed_headers);
}

TEST_P(Sigv4VectorTest, StringToSign) {
  EXPECT_EQ(string_to_sign(expected_canonical_request_, config_), expected_string_to_sign_);
}

TEST_P(Sigv4VectorTest, SignatureAndCredential) {
  EXPECT_EQ(signature(credentials_.secret_access_key, config_, expected_string_to_sign_),
            expected_parts_.signature);
  EXPECT_EQ(credentials_.access_key_id + "/" + credential_scope(config_),
            expected_parts_.credential);
}

// End to end: strip what sign_request is responsible for adding and check it
// puts back the same values and the published Authorization.
TEST_P(Sigv4VectorTest, SignRequest) {
  HttpRequest request = request_;
  std::string original_host = *find_header(request_.headers, "Host");
  erase_header(request.headers, "Host");
  erase_header(request.headers, "X-Amz-Date");
  erase_header(request.headers, "X-Amz-Security-Token");
  if (config_.s3_mode) erase_header(request.headers, "x-amz-content-sha256");

  Status status = sign_request(request, credentials_, config_);
  ASSERT_TRUE(status.ok()) << status.error().message;

  auto authorization = find_header(request.headers, "Authorization");
  ASSERT_TRUE(authorization.has_value());
  AuthorizationParts parts = parse_authorization(*authorization);
  EXPECT_EQ(parts.algorithm, "AWS4-HMAC-SHA256");
  EXPECT_EQ(parts.credential, expected_parts_.credential);
  EXPECT_EQ(parts.signed_headers, expected_parts_.signed_headers);
  EXPECT_EQ(parts.signature, expected_parts_.signature);
  if (is_suite()) {
    EXPECT_EQ(*authorization, expected_authorization_);
  }

  EXPECT_EQ(find_header(request.headers, "Host"),
            original_host.substr(original_host.find_first_not_of(' ')));
  EXPECT_EQ(find_header(request.headers, "X-Amz-Date"), format_amz_date(config_.time));
  if (!credentials_.session_token.empty()) {
    EXPECT_EQ(find_header(request.headers, "X-Amz-Security-Token"), credentials_.session_token);
  }
  if (config_.s3_mode) {
    EXPECT_EQ(find_header(request.headers, "x-amz-content-sha256"), sha256_hex(request.body));
  }
}

std::string vector_test_name(const ::testing::TestParamInfo<VectorCase>& info) {
  std::string name = std::string(info.param.group) + "_" + info.param.name;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Sigv4Published, Sigv4VectorTest, ::testing::ValuesIn(kVectorCases),
                         vector_test_name);

// --- Behaviour the published vectors do not reach. ---

SigningConfig suite_config() {
  SigningConfig config;
  config.region = "us-east-1";
  config.service = "service";
  config.time = kSuiteTime;
  return config;
}

Credentials suite_credentials() {
  Credentials credentials;
  credentials.access_key_id = kSuiteAccessKey;
  credentials.secret_access_key = kSuiteSecret;
  return credentials;
}

// The canonical request's second and third lines.
std::string canonical_uri_of(const std::string& url, bool s3_mode) {
  HttpRequest request;
  request.url = url;
  SigningConfig config = suite_config();
  config.s3_mode = s3_mode;
  std::string creq = canonical_request(request, config);
  size_t first = creq.find('\n');
  return creq.substr(first + 1, creq.find('\n', first + 1) - first - 1);
}

std::string canonical_query_of(const std::string& url) {
  HttpRequest request;
  request.url = url;
  std::string creq = canonical_request(request, suite_config());
  size_t second = creq.find('\n', creq.find('\n') + 1);
  return creq.substr(second + 1, creq.find('\n', second + 1) - second - 1);
}

TEST(Sigv4, SigningKeyMatchesTheDocumentedDerivation) {
  // AWS General Reference, "Examples of how to derive a signing key".
  SigningConfig config;
  config.region = "us-east-1";
  config.service = "iam";
  config.time = *parse_iso8601("2012-02-15T00:00:00Z");
  EXPECT_EQ(hex_encode(signing_key(kSuiteSecret, config)),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(Sigv4, CredentialScopeUsesTheUtcDateOfTheSigningTime) {
  SigningConfig config = suite_config();
  config.time = *parse_iso8601("2015-08-30T23:59:59-02:00"); // 01:59:59Z on the 31st
  EXPECT_EQ(credential_scope(config), "20150831/us-east-1/service/aws4_request");
}

TEST(Sigv4, NonS3PathsAreNormalizedAndEncodedTwice) {
  EXPECT_EQ(canonical_uri_of("https://h/a//b/../c%20d", false), "/a/c%2520d");
  EXPECT_EQ(canonical_uri_of("https://h/a/b/.", false), "/a/b/");
  EXPECT_EQ(canonical_uri_of("https://h", false), "/");
  EXPECT_EQ(canonical_uri_of("https://h/../..", false), "/");
}

TEST(Sigv4, S3PathsAreSignedExactlyAsSent) {
  EXPECT_EQ(canonical_uri_of("https://h/a//b/../c%20d", true), "/a//b/../c%20d");
  EXPECT_EQ(canonical_uri_of("https://h/key%2Bwith%2Fslash", true), "/key%2Bwith%2Fslash");
}

TEST(Sigv4, QueryParametersAreDecodedReencodedAndSorted) {
  // A name without '=' signs with an empty value; '+' is a literal plus;
  // %2f and %2F are the same character; a malformed escape is kept as text.
  EXPECT_EQ(canonical_query_of("https://h/?b&a=x+y&c=%2f&c=%2F&&d=%zz"),
            "a=x%2By&b=&c=%2F&c=%2F&d=%25zz");
  EXPECT_EQ(canonical_query_of("https://h/?prefix=a%20b&delimiter=/"),
            "delimiter=%2F&prefix=a%20b");
}

TEST(Sigv4, HeaderValuesAreTrimmedAndInnerWhitespaceCollapsed) {
  HttpRequest request;
  request.url = "https://h/";
  request.headers = {{"Host", "h"}, {"X-Tabs", "\t a \t\t b\t"}, {"X-Empty", ""}};
  std::string creq = canonical_request(request, suite_config());
  EXPECT_NE(creq.find("\nx-empty:\nx-tabs:a b\n"), std::string::npos) << creq;
  EXPECT_EQ(signed_header_names(request), "host;x-empty;x-tabs");
}

TEST(Sigv4, HostHeaderCarriesThePortOnlyWhenTheUrlHasOne) {
  HttpRequest local;
  local.url = "http://localhost:9324/000000000000/queue";
  ASSERT_TRUE(sign_request(local, suite_credentials(), suite_config()).ok());
  EXPECT_EQ(find_header(local.headers, "Host"), "localhost:9324");

  HttpRequest regional;
  regional.url = "https://sqs.us-east-1.amazonaws.com/";
  ASSERT_TRUE(sign_request(regional, suite_credentials(), suite_config()).ok());
  EXPECT_EQ(find_header(regional.headers, "Host"), "sqs.us-east-1.amazonaws.com");
}

TEST(Sigv4, NoSessionTokenMeansNoTokenHeader) {
  HttpRequest request;
  request.url = "https://example.amazonaws.com/";
  ASSERT_TRUE(sign_request(request, suite_credentials(), suite_config()).ok());
  EXPECT_FALSE(find_header(request.headers, "X-Amz-Security-Token").has_value());
  EXPECT_FALSE(find_header(request.headers, "x-amz-content-sha256").has_value());
}

TEST(Sigv4, ResigningReplacesTheOldSignatureInsteadOfSigningIt) {
  HttpRequest fresh;
  fresh.url = "https://example.amazonaws.com/";
  HttpRequest resigned = fresh;
  SigningConfig later = suite_config();
  later.time += std::chrono::minutes(10);

  ASSERT_TRUE(sign_request(resigned, suite_credentials(), suite_config()).ok());
  ASSERT_TRUE(sign_request(resigned, suite_credentials(), later).ok());
  ASSERT_TRUE(sign_request(fresh, suite_credentials(), later).ok());

  auto count = [](const HttpRequest& r, const std::string& name) {
    return std::count_if(r.headers.begin(), r.headers.end(),
                         [&](const auto& h) { return find_header({h}, name).has_value(); });
  };
  EXPECT_EQ(count(resigned, "Authorization"), 1);
  EXPECT_EQ(count(resigned, "X-Amz-Date"), 1);
  EXPECT_EQ(find_header(resigned.headers, "Authorization"),
            find_header(fresh.headers, "Authorization"));
}

TEST(Sigv4, PayloadHashOverrideIsSignedAndSentInS3Mode) {
  HttpRequest request;
  request.method = "PUT";
  request.url = "https://bucket.s3.amazonaws.com/key";
  request.body = "ignored for the hash";
  SigningConfig config = suite_config();
  config.service = "s3";
  config.s3_mode = true;
  config.payload_hash = "UNSIGNED-PAYLOAD";
  ASSERT_TRUE(sign_request(request, suite_credentials(), config).ok());
  EXPECT_EQ(find_header(request.headers, "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  std::string creq = canonical_request(request, config);
  EXPECT_EQ(creq.substr(creq.rfind('\n') + 1), "UNSIGNED-PAYLOAD");
  EXPECT_NE(find_header(request.headers, "Authorization")->find("x-amz-content-sha256"),
            std::string::npos);
}

TEST(Sigv4, RefusesToSignWithoutKeysOrWithABadUrl) {
  HttpRequest request;
  request.url = "https://example.amazonaws.com/";
  Credentials no_secret = suite_credentials();
  no_secret.secret_access_key.clear();
  EXPECT_FALSE(sign_request(request, no_secret, suite_config()).ok());
  EXPECT_FALSE(find_header(request.headers, "Authorization").has_value());

  SigningConfig no_region = suite_config();
  no_region.region.clear();
  EXPECT_FALSE(sign_request(request, suite_credentials(), no_region).ok());

  HttpRequest bad_url;
  bad_url.url = "example.amazonaws.com/no-scheme";
  Status status = sign_request(bad_url, suite_credentials(), suite_config());
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("no scheme"), std::string::npos) << status.error().message;
}

} // namespace
} // namespace c42::aws
