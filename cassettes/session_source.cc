#include "cassettes/session_source.h"

namespace wsr::cassette {
namespace {

bool Is(const std::optional<std::string>& column, const char* value) {
  return column && *column == value;
}

}  // namespace

bool FrameQueryMatches(const FrameQuery& q, const Frame& f) {
  if (q.direction && f.direction != *q.direction) return false;
  if (!q.include_control && f.is_control()) return false;
  switch (q.phoenix) {
    case PhoenixSelect::kAll:
      return true;
    case PhoenixSelect::kNoReplies:
      return !Is(f.event, "phx_reply");
    case PhoenixSelect::kNoHeartbeatReplies:
      return !(Is(f.topic, "phoenix") && Is(f.event, "phx_reply"));
    case PhoenixSelect::kRequestsAndAnswers:
      if (f.direction == Direction::kClientToServer) {
        return f.topic && !(Is(f.topic, "phoenix") && Is(f.event, "heartbeat"));
      }
      return (Is(f.event, "phx_reply") || Is(f.event, "phx_close")) && f.topic &&
             !Is(f.topic, "phoenix");
  }
  return false;
}

}  // namespace wsr::cassette
