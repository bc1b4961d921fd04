// ImportLimits: what `wsreplay import` accepts, so that its memory stays bounded (peak <= 256
// MiB) whatever the input, and its message limit is the one `record` applies.
// Plain value type; thread-safe to copy. See tools/README.md ("Limits").
#pragma once

#include <cstdint>

namespace wsr {
class Progress;
}

namespace wsr::tools {

struct ImportLimits {
  // Largest frame payload (after base64 decoding), as `record --max-message-size`.
  uint64_t max_message_size = uint64_t{16} << 20;
  // JSON Lines: the longest line; 0 means 2 * max_message_size + 1 MiB (room for a payload
  // as base64 or as JSON-escaped text).
  uint64_t max_line_bytes = 0;
  // JSON Lines: JSON values (objects, arrays, strings, numbers, ...) on one line.
  uint64_t max_line_values = 100000;
  // HAR (one JSON document): the largest file, the most JSON values outside the WebSocket
  // messages (the parsed document, ~100 bytes a value at most) and the most messages (each
  // kept as ~100 bytes plus its payload until inserted).
  uint64_t max_har_bytes = uint64_t{64} << 20;
  uint64_t max_har_values = 500000;
  uint64_t max_har_messages = 500000;
  // Told how many input bytes were read; may be null.
  Progress* progress = nullptr;

  uint64_t LineCap() const {
    return max_line_bytes ? max_line_bytes : 2 * max_message_size + (uint64_t{1} << 20);
  }
};

}  // namespace wsr::tools
