// Credentials a command prints, as the SDKs' credential_process setting
// runs it: the command line is split on spaces ("double quotes" keep one
// argument together; no shell, so no variables or globs), run with the
// process's environment, and must print on standard output
//   {"Version": 1, "AccessKeyId": ..., "SecretAccessKey": ...,
//    "SessionToken": ..., "Expiration": "<ISO 8601>"}
// (SessionToken and Expiration optional; without Expiration the
// credentials are kept for the whole run). Its standard error is discarded,
// never shown: the AWS guide warns that such tools may write secrets there.
#pragma once

#include "common/aws/credentials.h"

#include <chrono>
#include <string>
#include <vector>

namespace c42::aws {

class ProcessCredentialsProvider final : public CredentialsProvider {
public:
  // `setting` names where the command came from, for messages
  // ("credential_process of profile c42").
  ProcessCredentialsProvider(std::string command, std::string setting,
                             std::chrono::milliseconds timeout = std::chrono::seconds(60));

  // Runs the command afresh each time; a command that runs past the
  // timeout is killed.
  Result<Credentials> get_credentials() override;
  std::string name() const override { return "credential_process"; }
  // Broken when the command line cannot be split.
  SourceSetup setup() const override;

private:
  std::string command_;
  std::string setting_;
  std::chrono::milliseconds timeout_;
};

// The argument vector of a credential_process command line; an error for
// an empty line or an unterminated quote.
Result<std::vector<std::string>> split_command_line(const std::string& command);

} // namespace c42::aws
