// The rows of a cassette, as plain structs. See schema.sql and README.md for their meaning.
// Value types; no thread-safety concerns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace wsr::cassette {

inline constexpr int kSchemaVersion = 4;
inline constexpr int kApplicationId = 0x57535250;  // 'WSRP'

// The range of times a cassette holds, far beyond any recording, so that a session's start plus
// an offset, or one offset minus another, never overflows: a session's start (ns since 1970)
// within +-2^62 ns (years 1824-2116), offsets and durations (ns from the session's start)
// within +-2^60 ns (+-36 years). Importers refuse times outside them; reading holds what a
// crafted or corrupt file holds to them.
struct TimeRange {
  int64_t max;       // the range is [-max, max] ns
  const char* what;  // how an error names it: "years 1824-2116"
  constexpr bool Holds(int64_t ns) const { return ns >= -max && ns <= max; }
};
inline constexpr TimeRange kStartRange{int64_t{1} << 62, "years 1824-2116"};
inline constexpr TimeRange kOffsetRange{int64_t{1} << 60, "+-36 years from the session start"};
inline constexpr int64_t kMaxStartNs = kStartRange.max;
inline constexpr int64_t kMaxOffsetNs = kOffsetRange.max;

// The largest message a cassette takes (the ceiling of --max-message-size for record and
// import): a frame's row stays far below SQLite's 10^9-byte limit on a value, and import's
// line cap (2 x this + 1 MiB) cannot wrap.
inline constexpr uint64_t kMaxMessageBytes = uint64_t{256} << 20;

using Headers = std::vector<std::pair<std::string, std::string>>;

enum class Direction { kClientToServer, kServerToClient };
const char* DirectionName(Direction d);  // "c2s" / "s2c"

struct Session {
  int64_t id = 0;
  std::string name;
  int64_t started_at_ns = 0;           // wall clock
  std::optional<int64_t> duration_ns;  // NULL while recording
  std::string upstream;
  std::string source = "record";
  std::string tool_version;
};

struct Connection {
  int64_t id = 0;
  int64_t session_id = 0;
  int ordinal = 0;
  std::string path;
  std::string query;
  Headers request_headers;
  std::string upstream_url;
  std::optional<int> http_status;
  Headers response_headers;
  std::string subprotocol;
  std::string error;
  int64_t opened_ns = 0;
  std::optional<int64_t> closed_ns;
  std::optional<int> close_code;
  std::string close_reason;
  std::string close_initiator;  // "client" | "upstream" | "proxy" | ""
  // Schema version 3: the handshake as relayed.
  std::string request_head;   // the client's request head as received (request line through
                              // the blank line), secrets redacted
  std::string response_head;  // the response head the client got (the upstream's as received,
                              // or the proxy's own 502/504), redacted
  std::optional<std::string> response_body;  // body bytes of a refused upgrade (status != 101)
  std::string extensions;  // the negotiated Sec-WebSocket-Extensions value, "" = none
};

// Frame::flags bits.
inline constexpr int kFrameCompressed = 1;  // sent compressed (permessage-deflate); payload
                                            // stored inflated
inline constexpr int kFrameViolation = 2;   // the frame broke RFC 6455 (note says how); it was
                                            // relayed anyway

struct Frame {
  int64_t id = 0;
  int64_t connection_id = 0;
  int64_t seq = 0;
  int64_t offset_ns = 0;
  Direction direction = Direction::kClientToServer;
  // 1 text, 2 binary, 8 close, 9 ping, 10 pong (any other only with kFrameViolation).
  // A close's payload is the close payload as sent: 2-byte code + reason, unmasked.
  int opcode = 1;
  std::string payload;              // bytes (inflated when kFrameCompressed)
  std::vector<uint32_t> fragments;  // sizes when the message came in >1 fragment
  std::optional<std::string> topic, event, join_ref, ref;
  int flags = 0;     // kFrameCompressed | kFrameViolation
  std::string note;  // violation text(s), "; "-separated, "" when none

  bool is_text() const { return opcode == 1; }
  bool is_control() const { return opcode >= 8; }
  // Fills topic/event/join_ref/ref from the payload when it is a Phoenix v2 text frame.
  void FillPhoenixColumns();
};

// Exchange::flags bits.
inline constexpr int kRequestBodyDecoded = 1;   // request body had a Content-Encoding (gzip,
                                                // deflate); stored decoded
inline constexpr int kResponseBodyDecoded = 2;  // the same for the response body

// One HTTP request and its response, relayed on the proxy's listener (the REST half of a
// session, issue 9). Offsets are on the session clock, like Frame::offset_ns, so exchanges and
// frames order on one timeline. Secrets are redacted before a value reaches this struct.
struct Exchange {
  int64_t id = 0;
  int64_t session_id = 0;
  int ordinal = 0;  // 1, 2, ... per session in order of request start
  // Which client TCP connection carried it (1, 2, ... per session in order of acceptance;
  // one keep-alive connection carries several exchanges). Not a Connection::id: WebSocket
  // connections and HTTP connections are numbered apart.
  int http_connection = 0;
  std::string method;  // "GET", "POST", ...
  std::string path;    // the client's path as received (percent-encoding kept)
  std::string query;   // the client's query string as received, secrets redacted; "" = none
  Headers request_headers;
  std::string request_body;  // bytes (decoded when kRequestBodyDecoded)
  // The response status the client got: the upstream's, or the proxy's own 502/504.
  // nullopt: no response (the client went away first).
  std::optional<int> status;
  Headers response_headers;
  std::string response_body;           // bytes (decoded when kResponseBodyDecoded)
  std::string initiator;               // "upstream" (its answer) | "proxy" (502/504) | "client"
  std::string error;                   // why the exchange failed, if it did
  int64_t request_ns = 0;              // offset when the request head was complete
  std::optional<int64_t> response_ns;  // offset when the response was complete
  int flags = 0;                       // kRequestBodyDecoded | kResponseBodyDecoded
};

std::string HeadersToJson(const Headers& h);
Headers HeadersFromJson(const std::string& json);  // tolerant: bad JSON gives {}

}  // namespace wsr::cassette
