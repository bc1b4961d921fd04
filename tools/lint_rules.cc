#include "tools/lint_rules.h"

#include <nlohmann/json.hpp>

#include "common/url.h"
#include "phoenix/frame.h"
#include "thenvoi/spec.h"

namespace wsr::tools {
namespace {

using nlohmann::json;

std::string Show(const std::optional<std::string>& ref) {
  return ref ? "\"" + *ref + "\"" : std::string("null");
}

bool IsEmptyObject(const json& j) { return j.is_object() && j.empty(); }

// The spec table's note for an optional field of a channel event, or "" when the table has
// no such optional field. Lint warns when such a field is absent (see CheckPush).
std::string OptionalFieldNote(const thenvoi::EventSpec& ev, std::string_view field) {
  for (const auto& shape : ev.shapes) {
    for (const auto& f : shape.fields) {
      if (f.name == field && f.presence == thenvoi::Presence::kOptional) {
        return f.note.empty() ? "optional" : std::string(f.note);
      }
    }
  }
  return "";
}

// "chat_room, room_participants, ..." from the spec table.
std::string KnownPrefixes() {
  std::string out;
  for (const auto& ch : thenvoi::Channels())
    out += (out.empty() ? "" : ", ") + std::string(ch.prefix);
  return out;
}

}  // namespace

void LintChecker::Add(bool error, const std::string& path, const std::string& message) {
  LintFinding f = at_;
  f.error = error;
  f.path = path;
  f.message = message;
  findings_.push_back(std::move(f));
}

void LintChecker::Check(int conn_ordinal, const std::string& query, const cassette::Frame& frame) {
  ConnState& st = conns_[conn_ordinal];
  if (!st.seen) {
    st.seen = true;
    for (const auto& [k, v] : SplitQuery(query)) {
      if (k == "agent_id" && !v.empty()) st.agent_id = v;
    }
  }
  at_ = LintFinding{};
  at_.conn = conn_ordinal;
  at_.seq = frame.seq;
  at_.offset_ns = frame.offset_ns;
  at_.direction = frame.direction;
  if (!frame.is_text()) {
    Add(false, "", "binary frame: Thenvoi payloads are JSON text frames (spec 2.5)");
    return;
  }
  auto px = phoenix::Parse(frame.payload);
  if (!px) {
    Add(true, "", "not a Phoenix v2 frame [join_ref, ref, topic, event, payload] (spec 2.1)");
    return;
  }
  at_.topic = px->topic;
  at_.event = px->event;
  auto join_ref = phoenix::RefText(px->join_ref);
  auto ref = phoenix::RefText(px->ref);
  std::string payload(px->payload);
  json p = json::parse(payload, nullptr, false);
  if (p.is_discarded() || !p.is_object()) {
    Add(true, "",
        std::string("payload must be a JSON object (spec 2.1), got ") +
            (p.is_discarded() ? "invalid JSON" : p.type_name()));
    return;
  }
  if (frame.direction == cassette::Direction::kClientToServer) {
    CheckClientFrame(st, join_ref, ref, payload);
  } else {
    CheckServerFrame(st, join_ref, ref, payload);
  }
}

void LintChecker::CheckClientFrame(ConnState& st, const std::optional<std::string>& join_ref,
                                   const std::optional<std::string>& ref,
                                   const std::string& payload_raw) {
  const std::string& topic = at_.topic;
  const std::string& event = at_.event;
  json p = json::parse(payload_raw);
  auto remember = [&](Pending::Kind kind) {
    if (!ref) {
      Add(true, "", "client request without a ref: its reply cannot be matched (spec 2.1)");
      return;
    }
    if (st.pending.count(*ref)) {
      Add(true, "",
          "ref " + Show(ref) +
              " is reused while an earlier request with it awaits "
              "its reply (refs are unique per socket, spec 2.3)");
    }
    st.pending[*ref] = Pending{kind, topic, join_ref, at_.seq, at_.offset_ns};
  };

  if (topic == phoenix::kPhoenixTopic) {
    if (event != phoenix::kHeartbeat) {
      Add(true, "", "only 'heartbeat' is sent on topic phoenix (spec 2.2), got '" + event + "'");
      return;
    }
    if (join_ref) Add(false, "", "heartbeat join_ref should be null, got " + Show(join_ref));
    if (!IsEmptyObject(p)) Add(false, "", "heartbeat payload should be {} (spec 1.5)");
    remember(Pending::kHeartbeat);
    return;
  }
  if (event == phoenix::kHeartbeat) {
    Add(true, "", "heartbeat must use topic \"phoenix\" (spec 1.5)");
    return;
  }
  if (event == phoenix::kJoin) {
    const thenvoi::ChannelSpec* ch = thenvoi::FindChannel(topic);
    if (!ch || thenvoi::TopicId(topic).empty()) {
      Add(false, "",
          "join of a topic Thenvoi does not route (known: " + KnownPrefixes() +
              ", each followed by :<id>); the server refuses it with "
              "'unmatched topic' (spec 1.4)");
    }
    if (!join_ref) {
      Add(true, "", "phx_join without a join_ref (spec 2.2: [jr, jr, topic, \"phx_join\", {}])");
    } else if (join_ref != ref) {
      Add(true, "",
          "phx_join ref " + Show(ref) + " differs from its join_ref " + Show(join_ref) +
              " (spec 2.2: for joins ref == join_ref)");
    }
    if (st.joined.count(topic)) {
      Add(false, "",
          "topic is joined already (join_ref " + Show(st.joined[topic]) +
              "): the server closes the old channel (spec 1.4)");
    }
    remember(Pending::kJoin);
    return;
  }
  if (event == phoenix::kLeave) {
    auto it = st.joined.find(topic);
    if (it == st.joined.end()) {
      Add(true, "", "phx_leave of a topic that is not joined on this connection");
    } else if (join_ref != it->second) {
      Add(true, "",
          "phx_leave join_ref " + Show(join_ref) + " is not the topic's join_ref \"" + it->second +
              "\"");
    }
    remember(Pending::kLeave);
    return;
  }
  Add(true, "",
      "client event '" + event +
          "' is not allowed: Thenvoi channels are push-only; "
          "clients send only phx_join, phx_leave and heartbeat (spec 6)");
}

void LintChecker::CheckServerFrame(ConnState& st, const std::optional<std::string>& join_ref,
                                   const std::optional<std::string>& ref,
                                   const std::string& payload_raw) {
  const std::string& topic = at_.topic;
  const std::string& event = at_.event;
  if (event == phoenix::kReply) {
    CheckReply(st, join_ref, ref, payload_raw);
    return;
  }
  if (topic == phoenix::kPhoenixTopic) {
    Add(true, "", "the server sends only phx_reply on topic phoenix, got '" + event + "'");
    return;
  }
  if (event == phoenix::kClose || event == phoenix::kError) {
    std::optional<std::string> expected;
    if (auto it = st.joined.find(topic); it != st.joined.end()) expected = it->second;
    if (auto it = st.closing.find(topic); it != st.closing.end()) expected = it->second;
    if (!expected) {
      Add(true, "", event + " for a topic that is not joined on this connection");
    } else {
      if (join_ref != expected) {
        Add(true, "",
            event + " join_ref " + Show(join_ref) + " is not the topic's join_ref \"" + *expected +
                "\"");
      }
      if (ref != join_ref) {
        Add(false, "", event + " ref " + Show(ref) + " should equal its join_ref (spec 2.2)");
      }
    }
    st.joined.erase(topic);
    st.closing.erase(topic);
    return;
  }
  if (event == phoenix::kJoin || event == phoenix::kLeave || event == phoenix::kHeartbeat) {
    Add(true, "", "'" + event + "' is a client-to-server event (spec 2.2)");
    return;
  }
  CheckPush(st, join_ref, ref, payload_raw);
}

void LintChecker::CheckReply(ConnState& st, const std::optional<std::string>& join_ref,
                             const std::optional<std::string>& ref,
                             const std::string& payload_raw) {
  const std::string& topic = at_.topic;
  json p = json::parse(payload_raw);
  auto status_it = p.find("status");
  auto response_it = p.find("response");
  bool status_ok = status_it != p.end() && status_it->is_string() &&
                   (*status_it == "ok" || *status_it == "error");
  if (!status_ok) {
    Add(true, "/status", "phx_reply status must be \"ok\" or \"error\" (spec 2.2)");
  }
  if (response_it == p.end() || !response_it->is_object()) {
    Add(true, "/response", "phx_reply response must be a JSON object (spec 2.2)");
  }
  bool ok = status_ok && *status_it == "ok";
  std::string reason;
  if (!ok && response_it != p.end() && response_it->is_object()) {
    auto r = response_it->find("reason");
    if (r != response_it->end() && r->is_string()) reason = r->get<std::string>();
  }

  if (!ref) {
    Add(true, "", "phx_reply with a null ref: replies echo the request's ref (spec 2.1)");
    return;
  }
  auto pit = st.pending.find(*ref);
  if (pit == st.pending.end()) {
    Add(true, "",
        "phx_reply to ref " + Show(ref) +
            ", which no pending request on this "
            "connection carries");
    return;
  }
  Pending req = pit->second;
  st.pending.erase(pit);
  if (req.topic != topic) {
    Add(true, "", "phx_reply on topic '" + topic + "' answers a request on '" + req.topic + "'");
    return;
  }
  if (join_ref != req.join_ref) {
    bool null_on_error = !join_ref && !ok;
    if (null_on_error && reason == "unmatched topic") {
      // Phoenix replies to unrouted topics with join_ref null (spec 1.4); fine.
    } else if (null_on_error) {
      Add(false, "", "error reply with join_ref null; the request had " + Show(req.join_ref));
    } else {
      Add(true, "",
          "phx_reply join_ref " + Show(join_ref) + " differs from the request's " +
              Show(req.join_ref) + " (the server echoes it, spec 2.1)");
    }
  }
  switch (req.kind) {
    case Pending::kHeartbeat:
      if (!ok) Add(false, "", "heartbeat answered with an error reply");
      break;
    case Pending::kJoin:
      if (ok) {
        if (!thenvoi::FindChannel(topic) || thenvoi::TopicId(topic).empty()) {
          Add(true, "", "the server accepted a join of a topic Thenvoi does not route");
        }
        if (req.join_ref) {
          st.joined[topic] = *req.join_ref;
          const thenvoi::ChannelSpec* ch = thenvoi::FindChannel(topic);
          if (ch && (ch->prefix == "agent_rooms" || ch->prefix == "agent_contacts")) {
            st.agent_id = std::string(thenvoi::TopicId(topic));
          }
        }
      } else if (status_ok && reason.empty()) {
        Add(false, "/response/reason", "join refused without a reason string");
      }
      break;
    case Pending::kLeave:
      if (ok) {
        if (auto it = st.joined.find(topic); it != st.joined.end()) {
          st.closing[topic] = it->second;
          st.joined.erase(it);
        }
      }
      break;
  }
}

void LintChecker::CheckPush(ConnState& st, const std::optional<std::string>& join_ref,
                            const std::optional<std::string>& ref, const std::string& payload_raw) {
  const std::string& topic = at_.topic;
  const std::string& event = at_.event;
  const thenvoi::ChannelSpec* ch = thenvoi::FindChannel(topic);
  if (!ch || thenvoi::TopicId(topic).empty()) {
    Add(true, "",
        "unknown topic pattern '" + topic +
            "': not <prefix>:<id> with a Thenvoi "
            "channel prefix (" +
            KnownPrefixes() + "; spec 3.1)");
    return;
  }
  json p = json::parse(payload_raw);
  for (const auto& f : thenvoi::CheckPayload(*ch, event, p)) Add(f.is_error(), f.path, f.message);
  const thenvoi::EventSpec* ev = thenvoi::FindEvent(*ch, event);
  if (ev && (event == "message_created" || event == "message_updated") &&
      !p.contains("sender_name")) {
    std::string note = OptionalFieldNote(*ev, "sender_name");
    if (!note.empty()) {
      Add(false, "/sender_name", "sender_name is absent (" + note + "); clients show no name");
    }
  }

  auto it = st.joined.find(topic);
  if (it == st.joined.end()) {
    Add(true, "",
        "push on a topic that is not joined on this connection (no accepted "
        "phx_join, or already left/closed)");
  } else if (join_ref && *join_ref != it->second) {
    Add(true, "",
        "push join_ref " + Show(join_ref) + " is not the topic's join_ref \"" + it->second +
            "\" (clients drop stale pushes, spec 2.4)");
  }
  // join_ref null is allowed: the docs say so, the SDK tests say otherwise (spec 2.4).
  if (ref)
    Add(false, "", "server push with ref " + Show(ref) + ": pushes carry ref null (spec 2.1)");
  if (st.deleted_rooms.count(topic)) {
    Add(false, "", "event after room_deleted on this channel (spec 3.3: none should follow)");
  }
  if (event == "room_deleted") st.deleted_rooms.insert(topic);
  if (ev && st.agent_id && !thenvoi::AgentReceives(*ch, *ev, p, *st.agent_id)) {
    Add(false, "",
        "an agent connection (agent " + *st.agent_id +
            ") should not receive this "
            "event (delivery rules, spec 3.2)");
  }
}

void LintChecker::Finish() {
  for (auto& [conn, st] : conns_) {
    for (const auto& [ref, req] : st.pending) {
      if (req.kind == Pending::kHeartbeat) continue;  // the recording may end before its reply
      LintFinding f;
      f.error = false;
      f.conn = conn;
      f.seq = req.seq;
      f.offset_ns = req.offset_ns;
      f.topic = req.topic;
      f.event = req.kind == Pending::kJoin ? "phx_join" : "phx_leave";
      f.message = "no phx_reply to this request (ref \"" + ref + "\") in the recording";
      findings_.push_back(std::move(f));
    }
    st.pending.clear();
  }
}

}  // namespace wsr::tools
