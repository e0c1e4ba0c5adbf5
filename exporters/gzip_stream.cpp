#include "exporters/gzip_stream.hpp"

#include <zlib.h>

namespace faultline {
namespace {

// 15-bit window (the largest) plus 16: a gzip header and trailer instead of zlib's.
constexpr int kGzipWindowBits = 15 + 16;
// As prometheus-cpp did: the most memory for the compressor's hash, for speed.
constexpr int kMemLevel = 9;

}  // namespace

GzipStream::GzipStream(int level) : zs_(std::make_unique<z_stream>()) {
  ok_ = deflateInit2(zs_.get(), level, Z_DEFLATED, kGzipWindowBits, kMemLevel,
                     Z_DEFAULT_STRATEGY) == Z_OK;
}

GzipStream::~GzipStream() {
  if (ok_) deflateEnd(zs_.get());
}

bool GzipStream::deflate_into(std::string_view text, int flush, std::string& out) {
  out.clear();
  if (!ok_) return false;
  // zlib does not write through next_in; the cast only follows its C signature.
  zs_->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs_->avail_in = static_cast<uInt>(text.size());
  // A sync flush ends a chunk with a few bytes; compressed text is much smaller than the input,
  // so this is nearly always one round.
  const std::size_t step = text.size() / 4 + 4096;
  int rc = Z_OK;
  do {
    const std::size_t used = out.size();
    out.resize(used + step);
    zs_->next_out = reinterpret_cast<Bytef*>(out.data() + used);
    zs_->avail_out = static_cast<uInt>(step);
    rc = deflate(zs_.get(), flush);
    out.resize(used + step - zs_->avail_out);
    if (rc == Z_STREAM_ERROR) return ok_ = false;
  } while (zs_->avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
  return true;
}

bool GzipStream::write(std::string_view text, std::string& out) {
  return deflate_into(text, Z_SYNC_FLUSH, out);
}

bool GzipStream::finish(std::string& out) {
  return deflate_into({}, Z_FINISH, out);
}

}  // namespace faultline
