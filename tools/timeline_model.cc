#include "tools/timeline_model.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include <nlohmann/json.hpp>

#include "phoenix/frame.h"
#include "tools/control_frame.h"
#include "tools/text_util.h"
#include "tools/timeline_text.h"

namespace wsr::tools {

const char* MarkKindName(MarkKind k) {
  switch (k) {
    case MarkKind::kJoin:
      return "join";
    case MarkKind::kReplyOk:
      return "reply-ok";
    case MarkKind::kReplyError:
      return "reply-error";
    case MarkKind::kLeave:
      return "leave";
    case MarkKind::kClose:
      return "close";
    case MarkKind::kError:
      return "error";
    case MarkKind::kHeartbeat:
      return "heartbeat";
    case MarkKind::kPush:
      return "push";
    case MarkKind::kRaw:
      return "raw";
    case MarkKind::kWsClose:
      return "ws-close";
    case MarkKind::kWsPing:
      return "ws-ping";
    case MarkKind::kWsPong:
      return "ws-pong";
  }
  return "push";
}

const char* MarkKindLabel(MarkKind k) {
  switch (k) {
    case MarkKind::kJoin:
      return "phx_join";
    case MarkKind::kReplyOk:
      return "phx_reply ok";
    case MarkKind::kReplyError:
      return "phx_reply error";
    case MarkKind::kLeave:
      return "phx_leave";
    case MarkKind::kClose:
      return "phx_close";
    case MarkKind::kError:
      return "phx_error";
    case MarkKind::kHeartbeat:
      return "heartbeat / reply";
    case MarkKind::kPush:
      return "event (push)";
    case MarkKind::kRaw:
      return "not Phoenix (raw/binary)";
    case MarkKind::kWsClose:
      return "WebSocket close frame";
    case MarkKind::kWsPing:
      return "ping";
    case MarkKind::kWsPong:
      return "pong";
  }
  return "";
}

const char* MarkKindColor(MarkKind k) {
  switch (k) {
    case MarkKind::kJoin:
      return "#2e9d3a";
    case MarkKind::kReplyOk:
      return "#7aa6c9";
    case MarkKind::kReplyError:
      return "#d62728";
    case MarkKind::kLeave:
      return "#ff8c1a";
    case MarkKind::kClose:
      return "#8e44ad";
    case MarkKind::kError:
      return "#8b0000";
    case MarkKind::kHeartbeat:
      return "#b8b8b8";
    case MarkKind::kPush:
      return "#1f5fbf";
    case MarkKind::kRaw:
      return "#333333";
    case MarkKind::kWsClose:
      return "#d62728";
    case MarkKind::kWsPing:
      return "#17becf";
    case MarkKind::kWsPong:
      return "#bcbd22";
  }
  return "#000000";
}

const char* MarkKindShape(MarkKind k) {
  if (k == MarkKind::kWsPing || k == MarkKind::kWsPong) return "circle";
  if (k == MarkKind::kWsClose) return "diamond";
  return "bar";
}

bool IsControlKind(MarkKind k) {
  return k == MarkKind::kWsClose || k == MarkKind::kWsPing || k == MarkKind::kWsPong;
}

std::string StatusClass(const std::optional<int>& status) {
  if (!status) return "none";
  return std::to_string(*status / 100) + "xx";
}

const char* StatusClassColor(const std::string& status_class) {
  if (status_class == "2xx") return "#3a9d5d";
  if (status_class == "3xx") return "#5b8cc9";
  if (status_class == "4xx") return "#e08a00";
  return "#d62728";  // 5xx, no response, anything else
}

bool TopicSelected(const std::string& topic, const std::vector<std::string>& filters) {
  if (filters.empty()) return true;
  for (const auto& f : filters) {
    if (topic == f) return true;
    if (topic.size() > f.size() && topic.compare(0, f.size(), f) == 0 && topic[f.size()] == ':')
      return true;
  }
  return false;
}

MarkKind ClassifyFrame(const cassette::Frame& f) {
  if (f.opcode == 8) return MarkKind::kWsClose;
  if (f.opcode == 9) return MarkKind::kWsPing;
  if (f.opcode == 10) return MarkKind::kWsPong;
  if (!f.is_text() || !f.topic || !f.event) return MarkKind::kRaw;
  const std::string& ev = *f.event;
  if (*f.topic == phoenix::kPhoenixTopic) return MarkKind::kHeartbeat;
  if (ev == phoenix::kJoin) return MarkKind::kJoin;
  if (ev == phoenix::kLeave) return MarkKind::kLeave;
  if (ev == phoenix::kClose) return MarkKind::kClose;
  if (ev == phoenix::kError) return MarkKind::kError;
  if (ev == phoenix::kReply) {
    auto parsed = phoenix::Parse(f.payload);
    if (parsed) {
      auto j = nlohmann::json::parse(parsed->payload, nullptr, false);
      if (j.is_object()) {
        auto it = j.find("status");
        if (it != j.end() && it->is_string() && *it == "ok") return MarkKind::kReplyOk;
      }
    }
    return MarkKind::kReplyError;
  }
  return MarkKind::kPush;
}

namespace {

std::string ControlPreview(const cassette::Frame& f, size_t max_bytes, bool* truncated) {
  if (f.opcode == 8) {
    ClosePayload p = ParseClosePayload(f.payload);
    if (!p.code) return "close, no code";
    std::string reason = PayloadPreview(p.reason, true, max_bytes, truncated);
    return "close " + std::to_string(*p.code) + (reason.empty() ? "" : " \"" + reason + "\"");
  }
  return PayloadPreview(f.payload, IsValidUtf8(f.payload), max_bytes, truncated);
}

// "POST /api/v1/... 201 12.3 ms" from the valid UTF-8 `method` and `path`.
std::string ExchangeLabel(const cassette::Exchange& e, const std::string& method,
                          const std::string& path) {
  std::string label = method + " " + path + " " +
                      (e.status ? std::to_string(*e.status) : std::string("(no response)"));
  if (e.response_ns) {
    char ms[32];
    std::snprintf(ms, sizeof ms, " %.1f ms",
                  static_cast<double>(*e.response_ns - e.request_ns) / 1e6);
    label += ms;
  }
  return label;
}

std::string StatusLabel(const cassette::Connection& c) {
  if (c.http_status == 101) return "";
  if (c.http_status) return "refused: HTTP " + std::to_string(*c.http_status);
  return "failed: unreachable";
}

}  // namespace

TimelineModel BuildTimeline(cassette::Cassette& cassette, const TimelineOptions& options) {
  TimelineModel m;
  m.session = cassette.ResolveSession(options.session);
  auto conns = cassette.Connections(m.session.id);

  // First pass over frames: which topics each connection carries, in order of first appearance.
  std::map<int64_t, int> ordinal_of;  // connection id -> ordinal
  for (const auto& c : conns) ordinal_of[c.id] = c.ordinal;
  std::map<int, std::vector<std::string>> topics_of;  // ordinal -> topics ("" = raw)
  std::vector<cassette::Frame> kept;
  {
    auto cur = cassette.Frames({.session_id = m.session.id, .include_control = true});
    cassette::Frame f;
    while (cur.Next(&f)) {
      bool phoenix_frame = f.is_text() && f.topic.has_value() && f.event.has_value();
      if (!options.topics.empty() && (!phoenix_frame || !TopicSelected(*f.topic, options.topics)))
        continue;
      if (f.is_control()) {  // on the connection lane
        kept.push_back(std::move(f));
        f = cassette::Frame{};
        continue;
      }
      int ord = ordinal_of[f.connection_id];
      std::string topic = phoenix_frame ? *f.topic : "";
      auto& list = topics_of[ord];
      if (std::find(list.begin(), list.end(), topic) == list.end()) list.push_back(topic);
      kept.push_back(std::move(f));
      f = cassette::Frame{};
    }
  }

  std::map<std::pair<int, std::string>, int> lane_of;
  std::map<int, int> conn_lane_of;  // ordinal -> its connection lane
  for (const auto& c : conns) {
    TimelineConnection tc;
    tc.lane = static_cast<int>(m.lanes.size());
    tc.ordinal = c.ordinal;
    tc.path = c.path;
    tc.http_status = c.http_status;
    tc.error = c.error;
    tc.opened_ns = c.opened_ns;
    tc.closed_ns = c.closed_ns;
    tc.close_code = c.close_code;
    tc.close_reason = RepairUtf8(c.close_reason);
    tc.close_initiator = c.close_initiator;
    tc.status_label = StatusLabel(c);
    conn_lane_of[c.ordinal] = tc.lane;
    m.end_ns = std::max(m.end_ns, c.closed_ns.value_or(c.opened_ns));
    m.connections.push_back(tc);
    m.lanes.push_back({c.ordinal, "", true,
                       "connection " + std::to_string(c.ordinal) + " " + RepairUtf8(c.path)});
    for (const auto& t : topics_of[c.ordinal]) {
      lane_of[{c.ordinal, t}] = static_cast<int>(m.lanes.size());
      m.lanes.push_back({c.ordinal, t, false, t.empty() ? "(raw frames)" : RepairUtf8(t)});
    }
  }

  m.marks.reserve(kept.size());
  for (auto& f : kept) {
    TimelineMark mk;
    mk.conn_ordinal = ordinal_of[f.connection_id];
    bool phoenix_frame = f.is_text() && f.topic.has_value() && f.event.has_value();
    mk.topic = phoenix_frame ? RepairUtf8(*f.topic) : "";
    mk.event = phoenix_frame ? RepairUtf8(*f.event) : "";
    mk.lane = f.is_control() ? conn_lane_of[mk.conn_ordinal]
                             : lane_of[{mk.conn_ordinal, phoenix_frame ? *f.topic : ""}];
    mk.seq = f.seq;
    mk.offset_ns = f.offset_ns;
    mk.direction = f.direction;
    mk.kind = ClassifyFrame(f);
    mk.size = f.payload.size();
    mk.payload = f.is_control() ? ControlPreview(f, options.max_payload_bytes, &mk.truncated)
                                : PayloadPreview(f.payload, f.is_text(), options.max_payload_bytes,
                                                 &mk.truncated);
    mk.opcode = f.opcode;
    mk.flags = f.flags;
    mk.note = RepairUtf8(f.note);
    m.end_ns = std::max(m.end_ns, f.offset_ns);
    m.marks.push_back(std::move(mk));
  }
  std::map<int, int> http_lane_of;  // HTTP connection -> lane
  for (const auto& e : cassette.Exchanges(m.session.id)) {
    auto [it, fresh] =
        http_lane_of.try_emplace(e.http_connection, static_cast<int>(m.lanes.size()));
    if (fresh) {
      TimelineLane lane;
      lane.conn_ordinal = e.http_connection;
      lane.is_http = true;
      lane.label = "HTTP connection " + std::to_string(e.http_connection);
      m.lanes.push_back(lane);
    }
    TimelineExchange x;
    x.lane = it->second;
    x.ordinal = e.ordinal;
    x.http_connection = e.http_connection;
    x.method = RepairUtf8(e.method);
    x.target = RepairUtf8(e.path + (e.query.empty() ? "" : "?" + e.query));
    x.status = e.status;
    x.request_ns = e.request_ns;
    x.response_ns = e.response_ns;
    x.label = ExchangeLabel(e, x.method, RepairUtf8(e.path));
    bool cut = false;
    x.request_body = PayloadPreview(e.request_body, IsValidUtf8(e.request_body),
                                    options.max_payload_bytes, &cut);
    x.truncated = cut;
    x.response_body = PayloadPreview(e.response_body, IsValidUtf8(e.response_body),
                                     options.max_payload_bytes, &cut);
    x.truncated = x.truncated || cut;
    x.error = RepairUtf8(e.error);
    m.end_ns = std::max(m.end_ns, e.response_ns.value_or(e.request_ns));
    m.exchanges.push_back(std::move(x));
  }
  if (m.session.duration_ns) m.end_ns = std::max(m.end_ns, *m.session.duration_ns);
  if (m.end_ns <= 0) m.end_ns = 1'000'000;  // 1 ms: an empty session still draws an axis
  return m;
}

}  // namespace wsr::tools
