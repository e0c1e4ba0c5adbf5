// Streaming gzip for a scrape's body (zlib's deflate with a gzip header): text goes in chunk by
// chunk, and each chunk's compressed bytes come out at once (a sync flush), so the scraper
// receives and decompresses the body while it is still being written, and the whole
// uncompressed text never sits in memory.
#pragma once

#include <memory>
#include <string>
#include <string_view>

struct z_stream_s;

namespace faultline {

class GzipStream {
 public:
  // zlib's level: 1 (fastest) to 9 (smallest).
  explicit GzipStream(int level);
  ~GzipStream();
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

  // False when zlib could not start (out of memory); nothing else works then.
  bool ok() const { return ok_; }

  // Compresses `text` and flushes, replacing `out` with the bytes that decompress to exactly
  // `text` (after the bytes given before). False on a zlib error.
  bool write(std::string_view text, std::string& out);
  // Replaces `out` with the end of the stream (the last block and the gzip trailer).
  bool finish(std::string& out);

 private:
  bool deflate_into(std::string_view text, int flush, std::string& out);

  // On the heap: zlib's state points back at its z_stream, which therefore never moves.
  std::unique_ptr<z_stream_s> zs_;
  bool ok_ = false;
};

}  // namespace faultline
