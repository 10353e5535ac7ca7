// Scaffolding the unit tests share: a temporary file to stand in for a
// tool's standard input or output, NDJSON line splitting, a scripted
// HttpClient, and credentials for the AWS clients.
#pragma once

#include "common/aws/aws_call.h"
#include "common/aws/credentials.h"
#include "common/http.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <deque>
#include <gtest/gtest.h>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace c42::test_support {

// Ignores SIGPIPE while alive, so a test can write to a closed pipe and see
// the write fail, as every tool does (tool::init ignores SIGPIPE too).
class IgnoreSigpipe {
public:
  IgnoreSigpipe() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    EXPECT_EQ(sigaction(SIGPIPE, &ignore, &previous_), 0);
  }
  ~IgnoreSigpipe() { sigaction(SIGPIPE, &previous_, nullptr); }
  IgnoreSigpipe(const IgnoreSigpipe&) = delete;
  IgnoreSigpipe& operator=(const IgnoreSigpipe&) = delete;

private:
  struct sigaction previous_ {};
};

// A temporary file holding `content`, positioned at its start.
class TempFile {
public:
  explicit TempFile(const std::string& content = "") : file_(std::tmpfile()) {
    EXPECT_NE(file_, nullptr);
    if (!content.empty()) {
      EXPECT_EQ(::write(fd(), content.data(), content.size()), ssize_t(content.size()));
    }
    ::lseek(fd(), 0, SEEK_SET);
  }
  ~TempFile() { std::fclose(file_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  int fd() const { return fileno(file_); }
  // Everything written so far, whatever the file position.
  std::string contents() const {
    std::string out;
    char buf[65536];
    ssize_t n;
    off_t pos = 0;
    while ((n = ::pread(fd(), buf, sizeof buf, pos)) > 0) {
      out.append(buf, static_cast<size_t>(n));
      pos += n;
    }
    return out;
  }

private:
  FILE* file_;
};

// Splits on '\n'; a final line without one is kept, no empty last element.
inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// The key pair of the AWS Signature Version 4 examples.
inline aws::Credentials example_credentials() {
  aws::Credentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  return c;
}

// A credential source that hands out scripted results in order (repeating
// the last) and counts calls: for what a StaticCredentialsProvider cannot
// show (a source that fails, one that changes, how often it is asked).
class ScriptedCredentials final : public aws::CredentialsProvider {
public:
  ScriptedCredentials(std::string name, std::deque<Result<aws::Credentials>> script)
      : name_(std::move(name)), script_(std::move(script)) {}

  Result<aws::Credentials> get_credentials() override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++calls;
    std::this_thread::sleep_for(delay);
    Result<aws::Credentials> next = script_.front();
    if (script_.size() > 1) script_.pop_front();
    return next;
  }
  std::string name() const override { return name_; }

  std::atomic<int> calls{0};
  // A slow source widens the window in which unsynchronised callers would
  // each start their own fetch.
  std::chrono::milliseconds delay{0};

private:
  std::string name_;
  std::mutex mutex_;
  std::deque<Result<aws::Credentials>> script_;
};

// The failure a broken connection gives: worth another try.
inline Error connection_reset() {
  return make_error("connection reset by peer", ErrorKind::kTransient);
}

// One scripted exchange. With a BodySink and a 2xx status the body is
// streamed to the sink (on_headers first, as curl_http does) and `failure`,
// if any, strikes after it: a transfer broken off midway. Otherwise the body
// is returned whole, or `failure` replaces the response.
struct ScriptedReply {
  long status = 200;
  HttpHeaders headers;
  std::string body;
  std::optional<Error> failure;
};

inline ScriptedReply reply(long status, std::string body = "", HttpHeaders headers = {}) {
  ScriptedReply r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

// Twelve failures a sender must ride out (500, 503, and 429 with a
// Retry-After, four times over), then `last`: a storm that clears.
inline std::deque<ScriptedReply> storm_then(ScriptedReply last) {
  std::deque<ScriptedReply> replies;
  for (int i = 0; i < 4; ++i) {
    replies.push_back(reply(500));
    replies.push_back(reply(503));
    replies.push_back(reply(429, "", {{"Retry-After", "2"}}));
  }
  replies.push_back(std::move(last));
  return replies;
}

inline ScriptedReply transport_failure(Error error = connection_reset()) {
  ScriptedReply r;
  r.failure = std::move(error);
  return r;
}

// Serves `script` in order and records every request, a borrowed body as a
// copy of its own (the caller's bytes may be gone when a test looks).
class ScriptedHttp final : public HttpClient {
public:
  Result<HttpResponse> send(const HttpRequest& request, const BodySink* sink) override {
    requests.push_back(request);
    requests.back().body = std::string(request.payload());
    requests.back().borrowed_body.reset();
    payload_addresses.push_back(request.payload().data());
    EXPECT_FALSE(script.empty()) << "unexpected request " << requests.size();
    if (script.empty()) return make_error("no scripted reply");
    ScriptedReply r = script.front();
    script.pop_front();
    HttpResponse response;
    response.status = r.status;
    response.headers = r.headers;
    const bool streaming = sink != nullptr && r.status >= 200 && r.status < 300;
    if (streaming) {
      if (sink->on_headers && !sink->on_headers(response)) return aborted();
      size_t step = piece == 0 ? std::max<size_t>(r.body.size(), 1) : piece;
      for (size_t pos = 0; pos < r.body.size(); pos += step) {
        size_t n = std::min(step, r.body.size() - pos);
        if (sink->on_data && !sink->on_data(r.body.data() + pos, n)) return aborted();
      }
    } else {
      response.body = r.body;
    }
    if (r.failure) return *r.failure;
    return response;
  }

  std::deque<ScriptedReply> script;
  std::vector<HttpRequest> requests;
  // Where each request's body was read from: the same address on every
  // attempt means the body was not copied between them.
  std::vector<const char*> payload_addresses;
  size_t piece = 0; // bytes per on_data call; 0: the whole body at once

private:
  static Result<HttpResponse> aborted() {
    return make_error("transfer aborted", ErrorKind::kAborted);
  }
};

// A factory whose clients all send through `http`, for code that makes its
// own client per call (credential and token providers).
inline HttpClientFactory factory_of(HttpClient& http) {
  struct Forward final : public HttpClient {
    explicit Forward(HttpClient& to) : to(to) {}
    Result<HttpResponse> send(const HttpRequest& request, const BodySink* sink) override {
      return to.send(request, sink);
    }
    HttpClient& to;
  };
  return [&http] { return std::unique_ptr<HttpClient>(std::make_unique<Forward>(http)); };
}

// A context for signed calls to `service` through `http`, signed with
// `credentials` at `clock`'s time; sleeping between retries does nothing.
inline aws::ServiceContext service_context(HttpClient& http, aws::CredentialsProvider& credentials,
                                           const Clock& clock, const std::string& service,
                                           const std::string& region = "us-east-1") {
  aws::ServiceContext ctx;
  ctx.http = &http;
  ctx.credentials = &credentials;
  ctx.clock = &clock;
  ctx.region = region;
  ctx.service = service;
  ctx.sleeper = [](Millis) {};
  return ctx;
}

} // namespace c42::test_support
