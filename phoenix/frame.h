// Phoenix Channels v2 JSON framing: [join_ref, ref, topic, event, payload].
//
// This is the protocol codec, kept free of sockets and of the cassette. Parse() locates the
// five elements without re-serializing anything: join_ref, ref and payload come back as the
// exact JSON text of the frame (so "1" stays a string, 1 stays a number, and payload bytes
// can be re-sent untouched). Encode() builds a frame from such raw pieces.
// Pure functions; thread-safe. See ../shared/spec/thenvoi-websocket.md section 2.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wsr::phoenix {

struct Frame {
  std::string_view join_ref;  // raw JSON token: null, "1" or 1; views into the parsed text
  std::string_view ref;       // raw JSON token
  std::string topic;          // decoded string
  std::string event;          // decoded string
  std::string_view payload;   // raw JSON text of the payload, exactly as in the frame
};

// Returns nullopt unless `text` is a JSON array of exactly five elements where join_ref and
// ref are null, a string or a number, topic and event are strings, and payload is any JSON
// value. Leading/trailing whitespace is allowed.
std::optional<Frame> Parse(std::string_view text);

// [join_ref,ref,"topic","event",payload] with the raw tokens inserted verbatim.
std::string Encode(std::string_view join_ref_raw, std::string_view ref_raw, std::string_view topic,
                   std::string_view event, std::string_view payload_raw);

// The text of a ref token: "1" -> 1, 7 -> 7, null -> nullopt. For cassette columns.
std::optional<std::string> RefText(std::string_view raw);

// JSON string literal for s (with quotes and escapes).
std::string Quote(std::string_view s);

// Well-known events.
inline constexpr std::string_view kJoin = "phx_join";
inline constexpr std::string_view kLeave = "phx_leave";
inline constexpr std::string_view kReply = "phx_reply";
inline constexpr std::string_view kClose = "phx_close";
inline constexpr std::string_view kError = "phx_error";
inline constexpr std::string_view kHeartbeat = "heartbeat";
inline constexpr std::string_view kPhoenixTopic = "phoenix";

}  // namespace wsr::phoenix
