// TimelineModel: what the timeline picture shows, built from one cassette session and shared
// by the HTML and SVG renderers (timeline_html.h, timeline_svg.h).
//
// Lanes: for every connection (by ordinal) one connection lane (open/close span, close code)
// followed by one lane per Phoenix topic in order of first appearance; frames that are not
// Phoenix v2 text frames go to a "(raw)" lane of their connection; control frames (WebSocket
// close, ping, pong) sit on the connection lane. Marks: one per frame, classified into a Kind
// (join, reply ok/error, leave, close, error, heartbeat, push, ..., ws close/ping/pong), with
// the frame's compressed/violation flags and violation note. A refused or failed connection
// carries a status label ("refused: HTTP 403"). HTTP exchanges (the REST half) get one lane
// per client HTTP connection ("HTTP connection N"), after the WebSocket lanes: a span from the
// request's start to the response's end, labelled "METHOD path status duration", its bodies
// kept as previews for the tooltip and the detail pane.
// Value types; BuildTimeline reads the cassette (not thread-safe, like Cassette).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cassettes/cassette.h"

namespace wsr::tools {

enum class MarkKind {
  kJoin,        // phx_join (c2s)
  kReplyOk,     // phx_reply with status ok
  kReplyError,  // phx_reply with another status
  kLeave,       // phx_leave
  kClose,       // phx_close
  kError,       // phx_error
  kHeartbeat,   // heartbeat and its reply (topic "phoenix")
  kPush,        // any other event (server pushes, client custom events)
  kRaw,         // not a Phoenix v2 frame (binary or other text)
  kWsClose,     // WebSocket close frame (opcode 8)
  kWsPing,      // ping (opcode 9)
  kWsPong,      // pong (opcode 10)
};
inline constexpr int kMarkKindCount = 12;
const char* MarkKindName(MarkKind k);   // css-friendly: "join", "reply-ok", ..., "ws-ping"
const char* MarkKindLabel(MarkKind k);  // legend text
const char* MarkKindColor(MarkKind k);  // "#rrggbb"
// How a mark is drawn: "bar" (data frames), "circle" (ping, pong), "diamond" (close frame).
const char* MarkKindShape(MarkKind k);
bool IsControlKind(MarkKind k);
// The kind of one frame (its topic/event columns filled for Phoenix frames); also used by the
// replay server's live page.
MarkKind ClassifyFrame(const cassette::Frame& f);
// Outline colour of a frame that broke RFC 6455.
inline constexpr const char* kViolationColor = "#e00000";

struct TimelineLane {
  int conn_ordinal = 0;
  std::string topic;  // "" for the connection lane
  bool is_connection = false;
  std::string label;
  bool is_http = false;  // an HTTP lane (conn_ordinal = the HTTP connection number)
};

// One HTTP exchange on an HTTP lane.
struct TimelineExchange {
  int lane = 0;
  int ordinal = 0;
  int http_connection = 0;
  std::string method, target;  // target: path and query, valid UTF-8
  std::optional<int> status;   // nullopt: no response
  int64_t request_ns = 0;
  std::optional<int64_t> response_ns;
  std::string label;                        // "POST /api/v1/... 201 12.3 ms"
  std::string request_body, response_body;  // previews (see PayloadPreview), valid UTF-8
  bool truncated = false;                   // a body preview was cut
  std::string error;
};
// "2xx", "4xx", ... or "none"; and the colour an exchange of that class is drawn in.
std::string StatusClass(const std::optional<int>& status);
const char* StatusClassColor(const std::string& status_class);

struct TimelineMark {
  int lane = 0;
  int conn_ordinal = 0;
  int64_t seq = 0;
  int64_t offset_ns = 0;
  cassette::Direction direction = cassette::Direction::kClientToServer;
  MarkKind kind = MarkKind::kPush;
  std::string topic;    // "" when not Phoenix
  std::string event;    // "" when not Phoenix
  std::string payload;  // preview (see PayloadPreview), valid UTF-8; a close: code "reason"
  bool truncated = false;
  size_t size = 0;  // payload bytes
  int opcode = 1;
  int flags = 0;     // cassette::kFrameCompressed | kFrameViolation
  std::string note;  // the violation(s), valid UTF-8, "" when none
};

struct TimelineConnection {
  int lane = 0;
  int ordinal = 0;
  std::string path;
  std::optional<int> http_status;
  std::string error;
  int64_t opened_ns = 0;
  std::optional<int64_t> closed_ns;
  std::optional<int> close_code;
  std::string close_reason;
  std::string close_initiator;
  // "" when the upgrade was accepted (101); else "refused: HTTP 403" or "failed: unreachable".
  std::string status_label;
};

struct TimelineOptions {
  std::optional<std::string> session;
  // Keep only frames whose topic equals T or starts with "T:" (so "chat_room" keeps every
  // chat room). Empty = everything. When set, non-Phoenix frames (control frames too) are
  // dropped.
  std::vector<std::string> topics;
  size_t max_payload_bytes = 16 * 1024;  // per frame, in the picture
};

struct TimelineModel {
  cassette::Session session;
  std::vector<TimelineLane> lanes;
  std::vector<TimelineConnection> connections;
  std::vector<TimelineMark> marks;          // in (offset, ordinal, seq) order
  std::vector<TimelineExchange> exchanges;  // by ordinal
  int64_t end_ns = 0;                       // right edge of the time axis
};

TimelineModel BuildTimeline(cassette::Cassette& cassette, const TimelineOptions& options);

// True when `topic` is selected by `filters` (see TimelineOptions::topics).
bool TopicSelected(const std::string& topic, const std::vector<std::string>& filters);

}  // namespace wsr::tools
