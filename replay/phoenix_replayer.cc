#include "replay/phoenix_replayer.h"

#include <algorithm>
#include <set>

#include "common/duration.h"
#include "common/log.h"
#include "phoenix/frame.h"
#include "replay/common_prefix.h"
#include "replay/json_compare.h"

namespace wsr::replay {
namespace {

constexpr std::string_view kOkEmpty = R"({"status":"ok","response":{}})";

Action Text(std::string payload) {
  Action a;
  a.opcode = 1;
  a.payload = std::move(payload);
  return a;
}

}  // namespace

PhoenixReplayer::PhoenixReplayer(cassette::SessionSource& source,
                                 const cassette::Connection& recorded, const ReplayOptions& options,
                                 std::shared_ptr<const ResumeFrom> resume, const CausalGate* gate)
    : ConnectionReplayer(recorded, options, std::move(resume), gate),
      cursor_(source.Frames(recorded.id, {.direction = cassette::Direction::kServerToClient,
                                          .include_control = true,
                                          .phoenix = cassette::PhoenixSelect::kNoReplies})),
      window_limit_(options.order == Order::kTopic ? 4096 : 16) {
  report_.mode = "phoenix";
  index_.Load(source, recorded.id);
  Fill();
}

void PhoenixReplayer::Fill() {
  while (!cursor_done_ && window_.size() < window_limit_) {
    Pending p;
    if (!cursor_->Next(&p.frame)) {
      cursor_done_ = true;
      break;
    }
    // A recorded close frame is replayed from the connection's close; a ping or pong goes out
    // as that control frame, in order with the pushes.
    if (p.frame.opcode == 8) continue;
    if (index_.IsLeaveClose(p.frame.seq)) continue;  // sent with its leave's reply
    if (AlreadyDelivered(p.frame.seq)) continue;     // resumed: an earlier connection sent it
    p.cause = CauseOf(p.frame);
    if (p.frame.topic && p.frame.event) {
      p.phoenix = true;
      p.topic = *p.frame.topic;
      p.event = *p.frame.event;
      const RecordedAnswer* join = nullptr;
      p.instance = index_.OkJoinsBefore(p.topic, p.frame.seq, &join);
      if (join) p.join_reply_rel = Rel(join->offset_ns);
    }
    window_.push_back(std::move(p));
  }
}

bool PhoenixReplayer::Ready(const Pending& p) const {
  if (!p.phoenix || p.instance == 0) return true;
  auto it = topics_.find(p.topic);
  return it != topics_.end() && it->second.joined && it->second.joins >= p.instance;
}

int64_t PhoenixReplayer::DueVirtual(const Pending& p) const {
  int64_t delay = 0;
  if (p.instance > 0) {
    auto it = topics_.find(p.topic);
    if (it != topics_.end()) {
      auto d = it->second.delay.find(p.instance);
      if (d != it->second.delay.end()) delay = d->second;
    }
  }
  return Rel(p.frame.offset_ns) + std::max(delay, CauseDelay(p.cause));
}

std::vector<size_t> PhoenixReplayer::Candidates() const {
  std::vector<size_t> out;
  if (window_.empty()) return out;
  if (options_.order == Order::kConnection) return {0};
  std::set<std::string> seen;
  for (size_t i = 0; i < window_.size(); ++i) {
    if (seen.insert(window_[i].topic).second) out.push_back(i);
  }
  return out;
}

std::string PhoenixReplayer::HeldReason(const Pending& p) const {
  if (Ready(p)) return "";
  auto it = topics_.find(p.topic);
  if (it == topics_.end() || it->second.joins == 0) {
    return "topic '" + p.topic + "' was never joined";
  }
  if (it->second.joins < p.instance) {
    return "join #" + std::to_string(p.instance) + " of topic '" + p.topic +
           "' never came (client joined it " + std::to_string(it->second.joins) + " time(s))";
  }
  return "topic '" + p.topic + "' is not joined (left or closed)";
}

void PhoenixReplayer::Release(int64_t now, size_t i, int64_t deadline, std::vector<Action>* out) {
  Pending p = std::move(window_[i]);
  window_.erase(window_.begin() + static_cast<long>(i));
  int64_t due = DueVirtual(p);
  last_delay_ = due - Rel(p.frame.offset_ns);
  Action a;
  a.opcode = p.frame.opcode;
  a.seq = p.frame.seq;
  a.due_v = due;
  a.recorded_ns = Rel(p.frame.offset_ns);
  auto parsed = p.phoenix ? phoenix::Parse(p.frame.payload) : std::nullopt;
  if (parsed) {
    auto it = topics_.find(p.topic);
    std::string jr = (it != topics_.end() && it->second.joined) ? it->second.join_ref : "null";
    bool channel_end = p.event == phoenix::kClose || p.event == phoenix::kError;
    a.payload = phoenix::Encode(jr, channel_end ? std::string_view(jr) : "null", p.topic, p.event,
                                parsed->payload);
    if (a.payload.size() == p.frame.payload.size()) a.fragments = std::move(p.frame.fragments);
    if (channel_end && it != topics_.end()) it->second.joined = false;
    a.topic = std::move(p.topic);
    a.event = std::move(p.event);
  } else {
    a.payload = std::move(p.frame.payload);
    a.fragments = std::move(p.frame.fragments);
  }
  out->push_back(std::move(a));
  NoteRelease(now, deadline, due, &out->back());
}

void PhoenixReplayer::Skip(size_t i, const std::string& reason) {
  const Pending& p = window_[i];
  report_.AddUndelivered(
      {p.frame.seq, Rel(p.frame.offset_ns), "push " + p.topic + " " + p.event, reason});
  log::Warn("replay: skipped push seq " + std::to_string(p.frame.seq) + " (" + p.topic + " " +
            p.event + "): " + reason);
  window_.erase(window_.begin() + static_cast<long>(i));
}

void PhoenixReplayer::PollFrames(int64_t now, std::vector<Action>* out) {
  bool progress = true;
  while (progress && out->size() < kMaxPollBatch) {
    progress = false;
    Fill();
    for (size_t i : Candidates()) {
      Pending& p = window_[i];
      if (!CauseMet(p.cause)) continue;  // held until its request was answered, never skipped
      if (Ready(p)) {
        int64_t d = DeadlineFor(DueVirtual(p));
        if (d <= now) {
          Release(now, i, d, out);
          progress = true;
          break;
        }
        continue;
      }
      if (!p.timeout_at) {
        int64_t base = timeline_.max_speed() ? last_mark_ : DeadlineFor(Rel(p.frame.offset_ns));
        if (base != Timeline::kNever) p.timeout_at = base + options_.join_timeout_ns;
      }
      if (p.timeout_at && *p.timeout_at <= now) {
        Skip(i, HeldReason(p) + " within --join-timeout " +
                    FormatDurationNs(options_.join_timeout_ns) + " of its due time");
        progress = true;
        break;
      }
    }
  }
}

std::optional<int64_t> PhoenixReplayer::NextFrameDeadline() {
  std::optional<int64_t> best;
  auto consider = [&](int64_t t) {
    if (t != Timeline::kNever && (!best || t < *best)) best = t;
  };
  for (size_t i : Candidates()) {
    const Pending& p = window_[i];
    if (!CauseMet(p.cause)) continue;  // only the client's request unblocks it
    if (Ready(p)) {
      consider(DeadlineFor(DueVirtual(p)));
    } else if (p.timeout_at) {
      consider(*p.timeout_at);
    }
  }
  return best;
}

bool PhoenixReplayer::StepFrame(int64_t now, std::vector<Action>* out) {
  Fill();
  for (size_t i : Candidates()) {
    if (!CauseMet(window_[i].cause) || !Ready(window_[i])) continue;
    timeline_.JumpTo(now, DueVirtual(window_[i]));
    Release(now, i, now, out);
    return true;
  }
  return false;
}

std::string PhoenixReplayer::Explain(const std::string& topic, const std::string& event,
                                     std::string_view payload, size_t k) const {
  (void)payload;
  size_t n = index_.Count(topic, event);
  if (n > 0) {
    return "the cassette has only " + std::to_string(n) + " '" + event + "' on '" + topic +
           "', this is #" + std::to_string(k + 1);
  }
  std::vector<std::string> same_topic_events, same_event_topics;
  for (const auto& [key, list] : index_.requests()) {
    if (key.first == topic) same_topic_events.push_back(key.second);
    if (key.second == event) same_event_topics.push_back(key.first);
  }
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (size_t i = 0; i < v.size() && i < 8; ++i) s += (i ? ", " : "") + v[i];
    if (v.size() > 8) s += ", ...";
    return s;
  };
  if (!same_topic_events.empty()) {
    return "'" + event + "' was never sent on '" + topic +
           "' in the recording (recorded there: " + join(same_topic_events) + ")";
  }
  if (!same_event_topics.empty()) {
    std::string nearest = *std::max_element(
        same_event_topics.begin(), same_event_topics.end(), [&](const auto& a, const auto& b) {
          return CommonPrefixLength(a, topic) < CommonPrefixLength(b, topic);
        });
    return "topic '" + topic + "' is not in the cassette; nearest recorded '" + event +
           "' topic: '" + nearest + "' (all: " + join(same_event_topics) + ")";
  }
  return "the recording has no '" + event + "' frame at all";
}

void PhoenixReplayer::Mismatch(int64_t now, int opcode, std::string_view data,
                               std::string_view join_ref, std::string_view ref,
                               const std::string& topic, std::string explanation,
                               std::vector<Action>* out) {
  ConnectionReplayer::Mismatch(now, opcode, data, explanation, out, [&]() -> std::string {
    if (ref == "null" || ref.empty()) return "ignored (no ref to reply to)";
    std::string payload = R"({"status":"error","response":{"reason":)" +
                          phoenix::Quote("not in cassette: " + explanation) + "}}";
    out->push_back(Text(phoenix::Encode(join_ref, ref, topic, phoenix::kReply, payload)));
    return "replied phx_reply error";
  });
}

void PhoenixReplayer::OnMessage(int64_t now, int opcode, std::string_view data,
                                std::vector<Action>* out) {
  auto f = opcode == 1 ? phoenix::Parse(data) : std::nullopt;
  if (!f) {
    Mismatch(now, opcode, data, "null", "null", "",
             "not a Phoenix v2 frame ([join_ref, ref, topic, event, payload])", out);
    return;
  }
  if (f->topic == phoenix::kPhoenixTopic && f->event == phoenix::kHeartbeat) {
    out->push_back(
        Text(phoenix::Encode("null", f->ref, phoenix::kPhoenixTopic, phoenix::kReply, kOkEmpty)));
    out->back().role = Action::Role::kHeartbeat;
    ++report_.heartbeats;
    return;
  }
  auto key = std::make_pair(f->topic, f->event);
  size_t k = live_counts_[key];
  const RecordedRequest* rr = index_.Find(f->topic, f->event, k);
  if (!rr) {
    Mismatch(now, opcode, data, f->join_ref, f->ref, f->topic,
             Explain(f->topic, f->event, f->payload, k), out);
    return;
  }
  if (auto diff = JsonDifference(rr->payload, f->payload, options_.ignore_json)) {
    Mismatch(now, opcode, data, f->join_ref, f->ref, f->topic,
             "nearest recorded frame: seq " + std::to_string(rr->seq) + " " +
                 Excerpt(rr->frame, false, 80) + "; payload differs at " + *diff,
             out);
    return;
  }
  ++live_counts_[key];
  if (rr->reply) {
    out->push_back(
        Text(phoenix::Encode(f->join_ref, f->ref, f->topic, phoenix::kReply, rr->reply->payload)));
    out->back().role = Action::Role::kReply;
    out->back().topic = std::string(f->topic);
    out->back().event = std::string(f->event);
    out->back().recorded_ns = Rel(rr->reply->offset_ns);
    ++report_.delivered;
  }
  if (f->event == phoenix::kJoin && rr->reply && rr->reply->ok) {
    TopicState& ts = topics_[f->topic];
    ++ts.joins;
    ts.joined = true;
    ts.join_ref = std::string(f->join_ref == "null" ? f->ref : f->join_ref);
    int64_t delay = 0;
    if (!timeline_.max_speed() && !timeline_.paused()) {
      delay = std::max<int64_t>(0, timeline_.VirtualAt(now) - AnchorRel(Rel(rr->reply->offset_ns)));
    }
    ts.delay[ts.joins] = delay;
  }
  if (f->event == phoenix::kLeave) {
    if (rr->close) {
      out->push_back(Text(phoenix::Encode(f->join_ref, f->join_ref, f->topic, phoenix::kClose,
                                          rr->close->payload)));
      out->back().role = Action::Role::kReply;
      out->back().recorded_ns = Rel(rr->close->offset_ns);
      ++report_.delivered;
    }
    auto it = topics_.find(f->topic);
    if (it != topics_.end()) it->second.joined = false;
  }
  Poll(now, out);
}

nlohmann::json PhoenixReplayer::Status(int64_t now) {
  nlohmann::json joined = nlohmann::json::object();
  for (const auto& [topic, ts] : topics_) {
    if (ts.joined) joined[topic] = ts.join_ref;
  }
  nlohmann::json pending = nlohmann::json::array();
  auto cands = Candidates();
  for (size_t i = 0; i < window_.size() && i < 10; ++i) {
    const Pending& p = window_[i];
    std::string waits;
    bool candidate = std::find(cands.begin(), cands.end(), i) != cands.end();
    if (!candidate) {
      waits = "earlier push seq " + std::to_string(window_[cands.empty() ? 0 : cands[0]].frame.seq);
    } else if (!CauseMet(p.cause)) {
      waits = CauseWait(p.cause);
    } else if (!Ready(p)) {
      waits = "join of topic '" + p.topic + "' (" + HeldReason(p) + ")";
      if (p.timeout_at)
        waits += "; skipped in " + FormatDurationNs(std::max<int64_t>(0, *p.timeout_at - now));
    } else if (timeline_.paused()) {
      waits = "paused";
    } else {
      int64_t d = DeadlineFor(DueVirtual(p));
      waits = d <= now ? "release (due now)" : "its time, in " + FormatDurationNs(d - now);
    }
    pending.push_back({{"seq", p.frame.seq},
                       {"offset_ms", static_cast<double>(Rel(p.frame.offset_ns)) / 1e6},
                       {"frame", p.phoenix ? "push " + p.topic + " " + p.event
                                           : Excerpt(p.frame.payload, p.frame.opcode == 2, 60)},
                       {"waits_for", waits}});
    if (p.phoenix) {
      pending.back()["topic"] = p.topic;
      pending.back()["event"] = p.event;
    }
  }
  return {{"mode", "phoenix"},
          {"joined", joined},
          {"delivered", report_.delivered},
          {"heartbeats_answered", report_.heartbeats},
          {"mismatches", report_.mismatch_count},
          {"pending", pending},
          {"more_pending", !cursor_done_ || window_.size() > 10}};
}

void PhoenixReplayer::ListUndelivered() {
  window_limit_ = 1;
  while (true) {
    Fill();
    if (window_.empty()) break;
    const Pending& p = window_.front();
    if (report_.undelivered.size() >= ConnectionReport::kMaxListed) {
      ++report_.undelivered_count;  // only counted: no text built for each of millions
      window_.pop_front();
      continue;
    }
    std::string reason = CauseMet(p.cause) ? HeldReason(p) : CauseNeverCame(p.cause);
    if (reason.empty()) reason = "connection ended before it was due";
    report_.AddUndelivered({p.frame.seq, Rel(p.frame.offset_ns),
                            p.phoenix ? "push " + p.topic + " " + p.event
                                      : Excerpt(p.frame.payload, p.frame.opcode == 2, 60),
                            reason});
    window_.pop_front();
  }
}

}  // namespace wsr::replay
