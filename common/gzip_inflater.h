// The inflate engine under Decompressor. Decompressor owns what gzip -d
// decides (detection, members, padding, trailing garbage, truncation); an
// engine only decodes one gzip member at a time: header, deflate data and
// the CRC-32/ISIZE trailer. zlib is always built; ISA-L's igzip inflate is
// built too when it was found at configure time, and is then the default
// because inflate is most of what a byte costs on its way through s3-fetch.
#pragma once

#include "common/decompressor.h"
#include "common/result.h"

#include <cstddef>
#include <memory>

namespace c42 {

class GzipInflater {
public:
  struct Step {
    size_t consumed = 0;     // input bytes used
    size_t produced = 0;     // output bytes written
    bool member_end = false; // the member's trailer was read and matched
  };

  virtual ~GzipInflater() = default;

  // Prepares for a new member whose first header byte is the next input.
  virtual Status start_member() = 0;

  // Decodes until the input is used up, out is full or the member ends. An
  // error's message is what is wrong with the data ("incorrect data check"),
  // the same words from either engine where the engines can tell.
  virtual Result<Step> inflate(const unsigned char* in, size_t in_size, unsigned char* out,
                               size_t out_size) = 0;
};

// nullptr when the backend is not built in (see inflate_backends()).
std::unique_ptr<GzipInflater> make_gzip_inflater(InflateBackend backend);

} // namespace c42
