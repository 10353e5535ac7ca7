// Scaffolding for the credentials provider tests: one scripted HTTP peer
// behind every client a provider makes, the network a chain hands its
// providers, and a scratch directory for token, config and script files.
#pragma once

#include "common/aws/provider_support.h"
#include "tests/unit/test_support.h"

#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace c42::test_support {

// Every client a provider makes sends to `http`, so a test scripts one peer
// and sees every request, whichever provider made its client when.
class SharedScriptedHttp {
public:
  ScriptedHttp http;
  int clients = 0;

  HttpClientFactory factory() {
    return [this]() -> std::unique_ptr<HttpClient> {
      ++clients;
      return std::make_unique<Forwarding>(http);
    };
  }

private:
  class Forwarding final : public HttpClient {
  public:
    explicit Forwarding(HttpClient& to) : to_(to) {}
    Result<HttpResponse> send(const HttpRequest& request, const BodySink* sink) override {
      return to_.send(request, sink);
    }

  private:
    HttpClient& to_;
  };
};

// The network a chain hands its providers, sleeping not at all.
inline aws::ProviderNetwork network(SharedScriptedHttp& peer, const Clock& clock,
                                    const std::string& region = "us-east-1") {
  return aws::ProviderNetwork{peer.factory(), &clock, region, [](Millis) {}};
}

// A directory removed with everything in it when the test ends.
class ScratchDir {
public:
  ScratchDir() {
    char pattern[] = "/tmp/c42-credentials-test-XXXXXX";
    const char* made = ::mkdtemp(pattern);
    EXPECT_NE(made, nullptr);
    path_ = made ? made : "/tmp";
  }
  ~ScratchDir() {
    std::string command = "rm -rf '" + path_ + "'";
    EXPECT_EQ(std::system(command.c_str()), 0);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `content` to `name` in the directory; returns its path.
  std::string write(const std::string& name, const std::string& content, bool executable = false) {
    std::string file = path_ + "/" + name;
    std::ofstream(file, std::ios::binary | std::ios::trunc) << content;
    if (executable) ::chmod(file.c_str(), 0700);
    return file;
  }
  bool exists(const std::string& name) const {
    return ::access((path_ + "/" + name).c_str(), F_OK) == 0;
  }

private:
  std::string path_;
};

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace c42::test_support
