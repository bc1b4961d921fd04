// Reading WebSocket control frames as a cassette stores them (schema 3): the close payload
// (2-byte big-endian code + UTF-8 reason, RFC 6455 section 5.5.1) and a short name per opcode.
// Shared by HAR import, stats and the timeline. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wsr::tools {

struct ClosePayload {
  std::optional<int> code;  // none when the payload is shorter than 2 bytes
  std::string reason;       // the bytes after the code, as sent (may be invalid UTF-8)
};

ClosePayload ParseClosePayload(std::string_view payload);

// "close", "ping", "pong" for opcodes 8, 9, 10; "opcode N" for anything else.
std::string ControlFrameName(int opcode);

}  // namespace wsr::tools
