#include "wire/http_body.h"

#include <cctype>
#include <charconv>

namespace wsr::wire {
namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

HttpBodyReader::Framing HttpBodyReader::FramingOf(const HttpHead& head, uint64_t* length,
                                                  std::string* error) {
  *length = 0;
  if (!head.is_request) {
    if ((head.status >= 100 && head.status < 200) || head.status == 204 || head.status == 304) {
      return Framing::kNone;
    }
  }
  if (head.HasToken("Transfer-Encoding", "chunked")) return Framing::kChunked;
  if (head.Find("Transfer-Encoding")) {
    if (head.is_request) {
      *error = "unsupported Transfer-Encoding '" + head.Find("Transfer-Encoding")->value + "'";
      return Framing::kNone;
    }
    return Framing::kUntilClose;
  }
  if (const HttpHeader* cl = head.Find("Content-Length")) {
    uint64_t n = 0;
    const std::string& v = cl->value;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size() || v.empty()) {
      *error = "invalid Content-Length '" + v + "'";
      return Framing::kNone;
    }
    *length = n;
    return n == 0 ? Framing::kNone : Framing::kLength;
  }
  return head.is_request ? Framing::kNone : Framing::kUntilClose;
}

HttpBodyReader::HttpBodyReader(Framing framing, uint64_t length, size_t keep_limit)
    : framing_(framing), remaining_(length), keep_limit_(keep_limit) {
  if (framing_ == Framing::kNone || (framing_ == Framing::kLength && length == 0)) {
    status_ = Status::kDone;
  }
}

void HttpBodyReader::Keep(std::string_view bytes) {
  size_t room = keep_limit_ - std::min(keep_limit_, content_.size());
  if (bytes.size() > room) {
    truncated_ = true;
    bytes = bytes.substr(0, room);
  }
  content_.append(bytes);
}

HttpBodyReader::Status HttpBodyReader::OnClose() {
  if (status_ != Status::kNeedMore) return status_;
  if (framing_ == Framing::kUntilClose) {
    status_ = Status::kDone;
  } else {
    status_ = Status::kError;
    error_ = "the connection closed before the end of the body";
  }
  return status_;
}

HttpBodyReader::Status HttpBodyReader::Feed(std::string_view data, size_t* consumed) {
  *consumed = 0;
  if (status_ != Status::kNeedMore) return status_;
  switch (framing_) {
    case Framing::kNone:
      status_ = Status::kDone;
      return status_;
    case Framing::kUntilClose:
      Keep(data);
      *consumed = data.size();
      return status_;
    case Framing::kLength: {
      size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, data.size()));
      Keep(data.substr(0, n));
      remaining_ -= n;
      *consumed = n;
      if (remaining_ == 0) status_ = Status::kDone;
      return status_;
    }
    case Framing::kChunked:
      break;
  }
  size_t i = 0;
  while (i < data.size() && status_ == Status::kNeedMore) {
    char c = data[i];
    switch (chunk_state_) {
      case ChunkState::kSize: {
        int h = HexValue(c);
        if (h >= 0) {
          if (++size_digits_ > 15) {
            status_ = Status::kError;
            error_ = "chunk size too large";
            break;
          }
          chunk_size_ = chunk_size_ * 16 + static_cast<uint64_t>(h);
          ++i;
        } else if (size_digits_ > 0 && (c == ';' || c == ' ' || c == '\t')) {
          chunk_state_ = ChunkState::kSizeExt;
          ++i;
        } else if (size_digits_ > 0 && c == '\r') {
          chunk_state_ = ChunkState::kSizeLf;
          ++i;
        } else if (size_digits_ > 0 && c == '\n') {
          ++i;
          chunk_state_ = chunk_size_ ? ChunkState::kData : ChunkState::kTrailer;
          trailer_line_ = 0;
        } else {
          status_ = Status::kError;
          error_ = "invalid chunk size";
        }
        break;
      }
      case ChunkState::kSizeExt:
        // Chunk extensions (";name=value") are relayed as they are and not interpreted.
        if (c == '\n') {
          chunk_state_ = chunk_size_ ? ChunkState::kData : ChunkState::kTrailer;
          ext_bytes_ = 0;
        } else if (++ext_bytes_ > kMaxChunkExtension) {
          status_ = Status::kError;
          error_ = "chunk extension longer than " + std::to_string(kMaxChunkExtension) + " bytes";
          break;
        }
        trailer_line_ = 0;
        ++i;
        break;
      case ChunkState::kSizeLf:
        if (c != '\n') {
          status_ = Status::kError;
          error_ = "chunk size line not ended by CRLF";
          break;
        }
        ++i;
        chunk_state_ = chunk_size_ ? ChunkState::kData : ChunkState::kTrailer;
        trailer_line_ = 0;
        break;
      case ChunkState::kData: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(chunk_size_, data.size() - i));
        Keep(data.substr(i, n));
        i += n;
        chunk_size_ -= n;
        if (chunk_size_ == 0) chunk_state_ = ChunkState::kDataCr;
        break;
      }
      case ChunkState::kDataCr:
        if (c == '\r') {
          chunk_state_ = ChunkState::kDataLf;
          ++i;
        } else if (c == '\n') {
          ++i;
          chunk_state_ = ChunkState::kSize;
          size_digits_ = 0;
        } else {
          status_ = Status::kError;
          error_ = "chunk data not followed by CRLF";
        }
        break;
      case ChunkState::kDataLf:
        if (c != '\n') {
          status_ = Status::kError;
          error_ = "chunk data not followed by CRLF";
          break;
        }
        ++i;
        chunk_state_ = ChunkState::kSize;
        size_digits_ = 0;
        break;
      case ChunkState::kTrailer:
        // Trailer lines until an empty one.
        if (c == '\n') {
          ++i;
          if (trailer_line_ == 0) status_ = Status::kDone;
          trailer_line_ = 0;
        } else {
          if (c != '\r') ++trailer_line_;
          ++i;
          if (++trailer_bytes_ > kMaxTrailer) {
            status_ = Status::kError;
            error_ = "chunked trailer longer than " + std::to_string(kMaxTrailer) + " bytes";
          }
        }
        break;
    }
  }
  *consumed = i;
  return status_;
}

}  // namespace wsr::wire
