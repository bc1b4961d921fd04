// TimelineModel: what the timeline picture shows, built from one cassette session and shared
// by the HTML and SVG renderers (timeline_html.h, timeline_svg.h).
//
// Lanes: for every connection (by ordinal) one connection lane (open/close span, close code)
// followed by one lane per Phoenix topic in order of first appearance; frames that are not
// Phoenix v2 text frames go to a "(raw)" lane of their connection. Marks: one per frame,
// classified into a Kind (join, reply ok/error, leave, close, error, heartbeat, push, ...).
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
};
inline constexpr int kMarkKindCount = 9;
const char* MarkKindName(MarkKind k);   // css-friendly: "join", "reply-ok", ...
const char* MarkKindLabel(MarkKind k);  // legend text
const char* MarkKindColor(MarkKind k);  // "#rrggbb"

struct TimelineLane {
  int conn_ordinal = 0;
  std::string topic;        // "" for the connection lane
  bool is_connection = false;
  std::string label;
};

struct TimelineMark {
  int lane = 0;
  int conn_ordinal = 0;
  int64_t seq = 0;
  int64_t offset_ns = 0;
  cassette::Direction direction = cassette::Direction::kClientToServer;
  MarkKind kind = MarkKind::kPush;
  std::string topic;   // "" when not Phoenix
  std::string event;   // "" when not Phoenix
  std::string payload;  // preview (see PayloadPreview), valid UTF-8
  bool truncated = false;
  size_t size = 0;      // payload bytes
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
};

struct TimelineOptions {
  std::optional<std::string> session;
  // Keep only frames whose topic equals T or starts with "T:" (so "chat_room" keeps every
  // chat room). Empty = everything. When set, non-Phoenix frames are dropped.
  std::vector<std::string> topics;
  size_t max_payload_bytes = 16 * 1024;  // per frame, in the picture
};

struct TimelineModel {
  cassette::Session session;
  std::vector<TimelineLane> lanes;
  std::vector<TimelineConnection> connections;
  std::vector<TimelineMark> marks;  // in (offset, ordinal, seq) order
  int64_t end_ns = 0;               // right edge of the time axis
};

TimelineModel BuildTimeline(cassette::Cassette& cassette, const TimelineOptions& options);

// True when `topic` is selected by `filters` (see TimelineOptions::topics).
bool TopicSelected(const std::string& topic, const std::vector<std::string>& filters);

}  // namespace wsr::tools
