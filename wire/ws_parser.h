// A sans-I/O RFC 6455 frame parser that watches one direction of a WebSocket byte stream.
//
// The recording proxy relays bytes unchanged and runs a FrameParser beside its byte pump on the
// same buffers: the parser never changes, copies or re-frames bytes. Feed() accepts any split of
// the stream and reports frames to a FrameSink synchronously: OnFrameStart, then the frame's
// violations (if any), then its payload in pieces that point into the fed buffer (still masked),
// then OnFrameEnd. A frame that breaks RFC 6455 is reported with OnViolation and parsing goes on:
// the real peer decides what to do with it. Nothing throws; no allocation per frame.
//
// Ownership: the parser owns only its small state (at most one partial 14-byte header); the sink
// is borrowed for the duration of each Feed call. Not thread-safe: one parser per direction of
// one connection, used from one thread at a time. The free functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wsr::wire {

// Opcodes of RFC 6455 section 5.2.
inline constexpr uint8_t kOpContinuation = 0x0;
inline constexpr uint8_t kOpText = 0x1;
inline constexpr uint8_t kOpBinary = 0x2;
inline constexpr uint8_t kOpClose = 0x8;
inline constexpr uint8_t kOpPing = 0x9;
inline constexpr uint8_t kOpPong = 0xA;

// Who SENDS the frames a parser reads: client frames must be masked, server frames must not.
enum class Role { kClient, kServer };

// One per RFC 6455 rule the parser checks.
enum class Violation {
  kUnmaskedClientFrame,
  kMaskedServerFrame,
  kReservedBits,  // RSV set without a negotiated extension, or RSV1 on a continuation/control
  kReservedOpcode,
  kFragmentedControl,
  kControlTooLong,          // control frame payload > 125 bytes
  kUnexpectedContinuation,  // continuation frame with no fragmented message in progress
  kExpectedContinuation,    // new data frame inside a fragmented message
  kNonMinimalLength,        // 16- or 64-bit length where a shorter encoding fits
  kLengthTooLarge,          // 64-bit length with its most significant bit set
  kCloseOnePayloadByte,
  kInvalidCloseCode,
  kFrameAfterClose,
  kMessageTooBig,  // the message's announced size exceeds ParserOptions::max_message_size
};

// Short human text, e.g. "client frame not masked". Never null.
const char* ViolationText(Violation v);

struct FrameInfo {
  bool fin = false;
  bool rsv1 = false, rsv2 = false, rsv3 = false;
  uint8_t opcode = 0;
  bool masked = false;
  uint8_t mask[4] = {0, 0, 0, 0};  // all zero when !masked
  uint64_t length = 0;             // payload length as announced
  // 1/2 for data frames and for continuations (the opcode of the message they belong to; 0 for
  // a continuation with no message in progress), the opcode itself for control and reserved
  // opcodes.
  uint8_t message_opcode = 0;
  // RSV1 on the first frame of a message while permessage-deflate is negotiated; continuations
  // inherit it.
  bool compressed = false;
  uint64_t stream_offset = 0;  // offset of the frame's first header byte in the stream fed so far
};

// Implemented by the recorder; called synchronously from FrameParser::Feed. The FrameInfo
// reference is valid only during the call.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual void OnFrameStart(const FrameInfo& f) = 0;
  // A piece of the payload AS ON THE WIRE (still masked when f.masked); offset = bytes of this
  // frame's payload before it. The sink unmasks its own copy with ApplyMask (wire/mask.h).
  // Never called with len == 0.
  virtual void OnFramePayload(const FrameInfo& f, const uint8_t* data, size_t len,
                              uint64_t offset) = 0;
  virtual void OnFrameEnd(const FrameInfo& f) = 0;  // also called for zero-length payloads
  // Called after OnFrameStart of the offending frame and before its payload, except
  // kInvalidCloseCode, which needs the payload and comes just before OnFrameEnd. f is the frame;
  // it may be null for violations of the stream as a whole (none are reported today).
  virtual void OnViolation(const FrameInfo* f, Violation v) = 0;
};

struct ParserOptions {
  Role role = Role::kClient;
  bool allow_rsv1 = false;                // permessage-deflate negotiated
  uint64_t max_message_size = 16u << 20;  // 0: no limit
};

class FrameParser {
 public:
  explicit FrameParser(ParserOptions o);

  // Parses data[0..len), any amount, at any split of the stream; calls sink before returning.
  void Feed(const uint8_t* data, size_t len, FrameSink& sink);

  // Known only after the handshake; applies from the next frame header on.
  void set_allow_rsv1(bool allow) { opts_.allow_rsv1 = allow; }

  bool in_frame_header() const { return hdr_len_ > 0; }  // a header is partially read
  bool mid_frame() const { return in_payload_; }         // between OnFrameStart and OnFrameEnd
  bool mid_message() const { return in_message_; }       // a fragmented data message is open
  bool close_seen() const { return close_seen_; }        // a close frame has started
  uint64_t bytes_fed() const { return bytes_fed_; }

 private:
  // Header bytes needed given the first two (2..14).
  static size_t HeaderSize(const uint8_t* h);
  // Decodes a complete header at h, runs the checks, reports the frame start.
  void StartFrame(const uint8_t* h, FrameSink& sink);
  void EndFrame(FrameSink& sink);
  void Report(FrameSink& sink, Violation v) { sink.OnViolation(&cur_, v); }

  ParserOptions opts_;
  uint64_t bytes_fed_ = 0;

  uint8_t hdr_[14];
  size_t hdr_len_ = 0;

  FrameInfo cur_;
  bool in_payload_ = false;
  uint64_t payload_done_ = 0;
  uint8_t close_code_[2];  // first two payload bytes of a close frame, unmasked

  bool in_message_ = false;  // a data message without its FIN frame yet
  uint8_t message_opcode_ = 0;
  bool message_compressed_ = false;
  uint64_t message_size_ = 0;
  bool message_too_big_reported_ = false;
  bool close_seen_ = false;
};

// Close frame payload helpers (payload already unmasked).
struct ClosePayload {
  std::optional<uint16_t> code;  // nullopt for an empty payload
  std::string reason;
};
// nullopt when the payload is 1 byte long (no valid parse).
std::optional<ClosePayload> ParseClosePayload(std::string_view payload);
// RFC 6455 7.4 + IANA registry: 1000-1003, 1007-1014 and 3000-4999 are valid; 1004-1006, 1015,
// 1016-2999, < 1000 and >= 5000 are not.
bool IsValidCloseCode(int code);

// Encoding, used by tests, the replay server and tools (never by the relay's pump): one complete
// frame with the shortest length encoding, masked with mask_key[0..4) when it is not null.
std::string EncodeFrame(uint8_t opcode, std::string_view payload, bool fin = true,
                        const uint8_t* mask_key = nullptr, bool rsv1 = false);
// Two bytes of code, big-endian, then the reason.
std::string EncodeClosePayload(uint16_t code, std::string_view reason);

}  // namespace wsr::wire
