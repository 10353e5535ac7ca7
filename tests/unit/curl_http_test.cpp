// The kinds CurlHttpClient gives its errors decide retries everywhere, so
// each is checked against a real socket on the loopback interface.
#include "common/curl_http.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace c42 {
namespace {

// Listens on an ephemeral loopback port; answers the first connection with
// `reply` (nothing when empty: a peer that accepts and stays silent).
class OneShotServer {
public:
  explicit OneShotServer(std::string reply) : reply_(std::move(reply)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 1), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~OneShotServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

private:
  void serve() {
    int conn = ::accept(fd_, nullptr, nullptr);
    if (conn < 0) return;
    char buf[4096];
    (void)::recv(conn, buf, sizeof buf, 0);
    size_t sent = 0;
    while (sent < reply_.size()) {
      ssize_t n = ::send(conn, reply_.data() + sent, reply_.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    if (reply_.empty()) (void)::recv(conn, buf, sizeof buf, 0); // until the client gives up
    ::close(conn);
  }

  std::string reply_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

std::string ok_reply(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

HttpRequest get(const std::string& url) {
  HttpRequest request;
  request.url = url;
  request.connect_timeout_ms = 2000;
  request.timeout_ms = 5000;
  return request;
}

// A port that was just free: nobody listens there.
std::string refused_url() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
}

TEST(CurlHttpClient, AResponseIsNotAnError) {
  OneShotServer server(ok_reply("hello"));
  CurlHttpClient http;
  auto response = http.send(get(server.url()));
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello");
}

TEST(CurlHttpClient, NoAnswerIsTransient) {
  CurlHttpClient http;
  auto refused = http.send(get(refused_url()));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kTransient) << refused.error().message;

  OneShotServer silent("");
  HttpRequest request = get(silent.url());
  request.timeout_ms = 300;
  auto timed_out = http.send(request);
  ASSERT_FALSE(timed_out.ok());
  EXPECT_EQ(timed_out.error().kind, ErrorKind::kTransient) << timed_out.error().message;
}

TEST(CurlHttpClient, AConsumerThatStopsAborts) {
  for (bool at_headers : {true, false}) {
    OneShotServer server(ok_reply("data"));
    CurlHttpClient http;
    BodySink sink;
    sink.on_headers = [&](const HttpResponse&) { return !at_headers; };
    sink.on_data = [](const char*, size_t) { return false; };
    auto response = http.send(get(server.url()), &sink);
    ASSERT_FALSE(response.ok()) << at_headers;
    EXPECT_EQ(response.error().kind, ErrorKind::kAborted) << response.error().message;
  }
}

TEST(CurlHttpClient, ACancelledTransferAborts) {
  OneShotServer silent("");
  CurlHttpClient http;
  HttpRequest request = get(silent.url());
  request.cancelled = [] { return true; };
  auto response = http.send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kAborted);
  EXPECT_EQ(response.error().message, "cancelled");
}

TEST(CurlHttpClient, AnOversizedBodyFails) {
  OneShotServer server(ok_reply(std::string(5000, 'x')));
  CurlHttpClient http;
  HttpRequest request = get(server.url());
  request.max_response_bytes = 1000;
  auto response = http.send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kFailed);
  EXPECT_EQ(response.error().message, "response body larger than 1000 bytes");
}

TEST(CurlHttpClient, AUrlCurlCannotUseFails) {
  CurlHttpClient http;
  auto response = http.send(get("ftp://127.0.0.1/file"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kFailed) << response.error().message;
}

} // namespace
} // namespace c42
