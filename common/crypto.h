// Hashing and encoding primitives shared by SigV4 and the SharedKey scheme.
#pragma once

#include "common/result.h"

#include <string>
#include <string_view>

namespace c42 {

std::string sha256_raw(std::string_view data);
std::string sha256_hex(std::string_view data);
std::string hmac_sha256_raw(std::string_view key, std::string_view data);
std::string hex_encode(std::string_view bytes);
std::string base64_encode(std::string_view bytes);
// Strict: rejects characters outside the alphabet and bad padding.
Result<std::string> base64_decode(std::string_view text);

} // namespace c42
