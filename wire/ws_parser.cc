#include "wire/ws_parser.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "wire/mask.h"

namespace wsr::wire {
namespace {

bool IsControl(uint8_t opcode) { return (opcode & 0x8) != 0; }
bool IsData(uint8_t opcode) { return opcode == kOpText || opcode == kOpBinary; }
bool IsReserved(uint8_t opcode) { return (opcode >= 0x3 && opcode <= 0x7) || opcode >= 0xB; }

uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  return a > std::numeric_limits<uint64_t>::max() - b ? std::numeric_limits<uint64_t>::max()
                                                      : a + b;
}

}  // namespace

const char* ViolationText(Violation v) {
  switch (v) {
    case Violation::kUnmaskedClientFrame:
      return "client frame not masked";
    case Violation::kMaskedServerFrame:
      return "server frame masked";
    case Violation::kReservedBits:
      return "reserved bits set";
    case Violation::kReservedOpcode:
      return "reserved opcode";
    case Violation::kFragmentedControl:
      return "fragmented control frame";
    case Violation::kControlTooLong:
      return "control frame payload over 125 bytes";
    case Violation::kUnexpectedContinuation:
      return "continuation frame without a message in progress";
    case Violation::kExpectedContinuation:
      return "new data frame inside a fragmented message";
    case Violation::kNonMinimalLength:
      return "payload length not minimally encoded";
    case Violation::kLengthTooLarge:
      return "64-bit payload length with its high bit set";
    case Violation::kCloseOnePayloadByte:
      return "close frame with a 1-byte payload";
    case Violation::kInvalidCloseCode:
      return "invalid close code";
    case Violation::kFrameAfterClose:
      return "frame after close";
    case Violation::kMessageTooBig:
      return "message larger than the configured maximum";
  }
  return "unknown violation";
}

FrameParser::FrameParser(ParserOptions o) : opts_(o) {}

size_t FrameParser::HeaderSize(const uint8_t* h) {
  size_t n = 2;
  const uint8_t len7 = h[1] & 0x7F;
  if (len7 == 126) n += 2;
  if (len7 == 127) n += 8;
  if (h[1] & 0x80) n += 4;
  return n;
}

void FrameParser::Feed(const uint8_t* data, size_t len, FrameSink& sink) {
  const uint8_t* p = data;
  const uint8_t* const end = data + len;
  while (p < end) {
    const size_t avail = static_cast<size_t>(end - p);
    if (in_payload_) {
      const uint64_t left = cur_.length - payload_done_;
      const size_t n = left < avail ? static_cast<size_t>(left) : avail;
      if (cur_.opcode == kOpClose && payload_done_ < 2) {
        const size_t k = std::min<size_t>(n, 2 - payload_done_);
        std::memcpy(close_code_ + payload_done_, p, k);
        if (cur_.masked) ApplyMask(close_code_ + payload_done_, k, cur_.mask, payload_done_);
      }
      bytes_fed_ += n;
      sink.OnFramePayload(cur_, p, n, payload_done_);
      payload_done_ += n;
      p += n;
      if (payload_done_ == cur_.length) EndFrame(sink);
      continue;
    }
    if (hdr_len_ == 0 && avail >= 2) {  // fast path: the whole header is in this buffer
      const size_t need = HeaderSize(p);
      if (avail >= need) {
        bytes_fed_ += need;
        StartFrame(p, sink);
        p += need;
        continue;
      }
    }
    // Slow path: collect the header in hdr_ (at most 14 bytes, across Feed calls).
    const size_t need = hdr_len_ < 2 ? 2 : HeaderSize(hdr_);
    const size_t k = std::min(need - hdr_len_, avail);
    std::memcpy(hdr_ + hdr_len_, p, k);
    hdr_len_ += k;
    bytes_fed_ += k;
    p += k;
    if (hdr_len_ >= 2 && hdr_len_ == HeaderSize(hdr_)) {
      hdr_len_ = 0;
      StartFrame(hdr_, sink);
    }
  }
}

// REQUIRES: h holds a complete header and bytes_fed_ already counts it.
void FrameParser::StartFrame(const uint8_t* h, FrameSink& sink) {
  const size_t hsize = HeaderSize(h);
  FrameInfo& f = cur_;
  f.fin = (h[0] & 0x80) != 0;
  f.rsv1 = (h[0] & 0x40) != 0;
  f.rsv2 = (h[0] & 0x20) != 0;
  f.rsv3 = (h[0] & 0x10) != 0;
  f.opcode = h[0] & 0x0F;
  f.masked = (h[1] & 0x80) != 0;
  const uint8_t len7 = h[1] & 0x7F;
  size_t pos = 2;
  bool non_minimal = false;
  if (len7 == 126) {
    f.length = (uint64_t{h[2]} << 8) | h[3];
    non_minimal = f.length < 126;
    pos = 4;
  } else if (len7 == 127) {
    f.length = 0;
    for (int i = 0; i < 8; ++i) f.length = (f.length << 8) | h[2 + i];
    non_minimal = f.length <= 0xFFFF;
    pos = 10;
  } else {
    f.length = len7;
  }
  if (f.masked) {
    std::memcpy(f.mask, h + pos, 4);
  } else {
    std::memset(f.mask, 0, 4);
  }
  f.stream_offset = bytes_fed_ - hsize;

  // Message bookkeeping: which message this frame belongs to, and its size so far.
  bool unexpected_continuation = false, expected_continuation = false;
  bool too_big = false;
  const uint64_t max = opts_.max_message_size;
  if (f.opcode == kOpContinuation) {
    if (in_message_) {
      f.message_opcode = message_opcode_;
      f.compressed = message_compressed_;
      message_size_ = SaturatingAdd(message_size_, f.length);
      if (f.fin) in_message_ = false;
      if (max != 0 && message_size_ > max && !message_too_big_reported_) {
        too_big = message_too_big_reported_ = true;
      }
    } else {
      unexpected_continuation = true;
      f.message_opcode = 0;
      f.compressed = false;
      too_big = max != 0 && f.length > max;
    }
  } else if (IsData(f.opcode)) {
    expected_continuation = in_message_;
    f.message_opcode = f.opcode;
    f.compressed = opts_.allow_rsv1 && f.rsv1;
    in_message_ = !f.fin;
    message_opcode_ = f.opcode;
    message_compressed_ = f.compressed;
    message_size_ = f.length;
    too_big = max != 0 && f.length > max;
    message_too_big_reported_ = too_big;
  } else {  // control frames and reserved opcodes stand alone
    f.message_opcode = f.opcode;
    f.compressed = false;
    too_big = max != 0 && f.length > max;
  }

  in_payload_ = true;
  payload_done_ = 0;
  sink.OnFrameStart(f);

  // Checks, always in this order.
  if (opts_.role == Role::kClient && !f.masked) Report(sink, Violation::kUnmaskedClientFrame);
  if (opts_.role == Role::kServer && f.masked) Report(sink, Violation::kMaskedServerFrame);
  const bool rsv1_ok = opts_.allow_rsv1 && !IsControl(f.opcode) && f.opcode != kOpContinuation;
  if (f.rsv2 || f.rsv3 || (f.rsv1 && !rsv1_ok)) Report(sink, Violation::kReservedBits);
  if (IsReserved(f.opcode)) Report(sink, Violation::kReservedOpcode);
  if (IsControl(f.opcode) && !f.fin) Report(sink, Violation::kFragmentedControl);
  if (IsControl(f.opcode) && f.length > 125) Report(sink, Violation::kControlTooLong);
  if (unexpected_continuation) Report(sink, Violation::kUnexpectedContinuation);
  if (expected_continuation) Report(sink, Violation::kExpectedContinuation);
  if (non_minimal) Report(sink, Violation::kNonMinimalLength);
  if (f.length >> 63) Report(sink, Violation::kLengthTooLarge);
  if (f.opcode == kOpClose && f.length == 1) Report(sink, Violation::kCloseOnePayloadByte);
  if (close_seen_) Report(sink, Violation::kFrameAfterClose);
  if (too_big) Report(sink, Violation::kMessageTooBig);
  if (f.opcode == kOpClose) close_seen_ = true;

  if (f.length == 0) EndFrame(sink);
}

void FrameParser::EndFrame(FrameSink& sink) {
  if (cur_.opcode == kOpClose && cur_.length >= 2) {
    const int code = (close_code_[0] << 8) | close_code_[1];
    if (!IsValidCloseCode(code)) Report(sink, Violation::kInvalidCloseCode);
  }
  in_payload_ = false;
  sink.OnFrameEnd(cur_);
}

std::optional<ClosePayload> ParseClosePayload(std::string_view payload) {
  ClosePayload out;
  if (payload.empty()) return out;
  if (payload.size() == 1) return std::nullopt;
  out.code = static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) |
                                   static_cast<uint8_t>(payload[1]));
  out.reason.assign(payload.substr(2));
  return out;
}

bool IsValidCloseCode(int code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

std::string EncodeFrame(uint8_t opcode, std::string_view payload, bool fin, const uint8_t* mask_key,
                        bool rsv1) {
  std::string out;
  out.reserve(payload.size() + 14);
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | (opcode & 0x0F)));
  const uint8_t mask_bit = mask_key ? 0x80 : 0;
  const uint64_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(mask_bit | n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(n >> shift));
  }
  if (mask_key) out.append(reinterpret_cast<const char*>(mask_key), 4);
  const size_t start = out.size();
  out.append(payload);
  if (mask_key) ApplyMask(reinterpret_cast<uint8_t*>(out.data() + start), n, mask_key, 0);
  return out;
}

std::string EncodeClosePayload(uint16_t code, std::string_view reason) {
  std::string out;
  out.reserve(2 + reason.size());
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xFF));
  out.append(reason);
  return out;
}

}  // namespace wsr::wire
