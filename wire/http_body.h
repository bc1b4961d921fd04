// HttpBodyReader: finds where an HTTP/1.1 message body ends (RFC 9112 section 6), sans-I/O.
//
// The proxy forwards a body's bytes unchanged; this only tells it how many of the bytes read
// belong to the body and collects the body's content (chunked bodies decoded) up to a cap,
// for the recording. Framing: Content-Length, chunked transfer coding, or (responses only)
// until the connection closes. Chunked: extensions are skipped (at most kMaxChunkExtension
// bytes per size line), trailer fields too (at most kMaxTrailer bytes in all); a chunk size of
// more than 15 hex digits is an error. Never throws for any input; errors are kError with a
// one-line error(). Not thread-safe; one per message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "wire/http_head.h"

namespace wsr::wire {

class HttpBodyReader {
 public:
  enum class Framing { kNone, kLength, kChunked, kUntilClose };
  enum class Status { kNeedMore, kDone, kError };
  static constexpr size_t kMaxChunkExtension = 4096;
  static constexpr size_t kMaxTrailer = 16 * 1024;

  // The body framing of a message with this head (RFC 9112 6.3):
  // 1xx/204/304 responses have no body. A request without Content-Length or chunked has none.
  // *length is set for kLength.
  static Framing FramingOf(const HttpHead& head, uint64_t* length, std::string* error);

  HttpBodyReader(Framing framing, uint64_t length, size_t keep_limit);
  // Consumes body bytes from `data`; *consumed = how many belong to the body.
  Status Feed(std::string_view data, size_t* consumed);
  // The connection closed: a kUntilClose body is then complete.
  Status OnClose();
  // The body's content (decoded), at most keep_limit bytes; truncated() when more came.
  const std::string& content() const { return content_; }
  bool truncated() const { return truncated_; }
  const std::string& error() const { return error_; }
  Status status() const { return status_; }

 private:
  void Keep(std::string_view bytes);
  enum class ChunkState { kSize, kSizeExt, kSizeLf, kData, kDataCr, kDataLf, kTrailer };

  Framing framing_;
  uint64_t remaining_ = 0;
  size_t keep_limit_;
  std::string content_;
  bool truncated_ = false;
  Status status_ = Status::kNeedMore;
  std::string error_;
  // Chunked decoding.
  ChunkState chunk_state_ = ChunkState::kSize;
  uint64_t chunk_size_ = 0;
  int size_digits_ = 0;
  size_t trailer_line_ = 0;
  size_t ext_bytes_ = 0;      // extension bytes on the current size line
  size_t trailer_bytes_ = 0;  // trailer section bytes so far
};

}  // namespace wsr::wire
