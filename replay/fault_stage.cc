#include "replay/fault_stage.h"

#include <algorithm>

#include "common/duration.h"
#include "replay/connection_matcher.h"

namespace wsr::replay {
namespace {

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

std::string SpecText(const FaultSpec& s) {
  return s.is_break() ? "break " + s.ToString() : s.ToString();
}

}  // namespace

// ---------------- FaultPlan ----------------

FaultPlan::FaultPlan(const std::vector<FaultSpec>& faults, const std::vector<FaultSpec>& breaks,
                     AfterFault after_fault)
    : after_fault_(after_fault) {
  for (const auto& f : faults) AddFault(f);
  for (const auto& b : breaks) AddBreak(b);
}

void FaultPlan::AddFault(const FaultSpec& spec) {
  faults_.push_back({spec, false});
  if (spec.ends_connection()) tracks_delivery_ = true;
}

void FaultPlan::AddBreak(const FaultSpec& spec) { breaks_.push_back(spec); }

bool FaultPlan::RemoveBreak(const FaultSpec& spec) {
  std::string text = spec.ToString();
  auto it = std::remove_if(breaks_.begin(), breaks_.end(),
                           [&](const FaultSpec& b) { return b.ToString() == text; });
  bool removed = it != breaks_.end();
  breaks_.erase(it, breaks_.end());
  return removed;
}

FaultHit& FaultPlan::Hit(const FaultSpec& spec, int connection, int64_t at_ns, std::string before,
                         std::string effect) {
  FaultHit h;
  h.id = static_cast<int>(hits_.size()) + 1;
  h.spec = SpecText(spec);
  h.breakpoint = spec.is_break();
  h.connection = connection;
  h.at_ns = at_ns;
  h.before = std::move(before);
  h.effect = std::move(effect);
  hits_.push_back(std::move(h));
  return hits_.back();
}

void FaultPlan::AwaitReconnect(int hit_id, int64_t fired_ns) {
  awaiting_reconnect_.emplace_back(hit_id, fired_ns);
  awaiting_connection_.push_back(hit_id);
}

int FaultPlan::OnUpgradeAttempt(int64_t now, int live_index) {
  ++attempts_;
  for (auto [id, fired] : awaiting_reconnect_) {
    hits_[static_cast<size_t>(id - 1)].reconnect_after_ns = now - fired;
  }
  awaiting_reconnect_.clear();
  for (auto& f : faults_) {
    if (f.fired || f.spec.trigger != FaultSpec::Trigger::kConnect) continue;
    if (f.spec.connect_n != attempts_) continue;
    f.fired = true;
    int status = f.spec.refuse_status;
    FaultHit& h = Hit(f.spec, live_index, 0, "upgrade attempt " + std::to_string(attempts_),
                      "refused with HTTP " + std::to_string(status));
    AwaitReconnect(h.id, now);
    return status;
  }
  return 0;
}

void FaultPlan::OnConnected(int live_index) {
  for (int id : awaiting_connection_) {
    hits_[static_cast<size_t>(id - 1)].next_connection = live_index;
  }
  awaiting_connection_.clear();
}

void FaultPlan::NoteSent(int live_index) {
  for (auto& h : hits_) {
    if (h.breakpoint) continue;
    if (h.connection == live_index || h.next_connection == live_index) ++h.frames_after;
  }
}

void FaultPlan::NoteJoinReply(int live_index, const std::string& topic) {
  for (auto& h : hits_) {
    if (h.breakpoint || h.next_connection != live_index) continue;
    if (std::find(h.rejoined.begin(), h.rejoined.end(), topic) == h.rejoined.end()) {
      h.rejoined.push_back(topic);
    }
  }
}

void FaultPlan::AddResumePoint(ResumePoint p) { resume_points_.push_back(std::move(p)); }

std::optional<FaultPlan::ResumePoint> FaultPlan::TakeResumePoint(const std::string& path,
                                                                 const std::string& query) {
  for (auto it = resume_points_.begin(); it != resume_points_.end(); ++it) {
    if (it->path != path || !QueryMatches(it->query, query)) continue;
    ResumePoint p = std::move(*it);
    resume_points_.erase(it);
    return p;
  }
  return std::nullopt;
}

nlohmann::json FaultPlan::Status() const {
  using nlohmann::json;
  json faults = json::array();
  for (const auto& f : faults_) faults.push_back({{"spec", f.spec.ToString()}, {"fired", f.fired}});
  json breaks = json::array();
  for (const auto& b : breaks_) breaks.push_back(b.ToString());
  json hits = json::array();
  for (const auto& h : hits_) hits.push_back(h.ToJson());
  json resumable = json::array();
  for (const auto& p : resume_points_) {
    resumable.push_back({{"connection", p.live_index},
                         {"path", p.path},
                         {"delivered", p.from ? p.from->delivered.size() : 0}});
  }
  return {{"faults", faults},
          {"breakpoints", breaks},
          {"after_fault", after_fault_ == AfterFault::kResume ? "resume" : "next"},
          {"upgrade_attempts", attempts_},
          {"hits", hits},
          {"awaiting_resume", resumable}};
}

// ---------------- FaultStage ----------------

FaultStage::FaultStage(FaultPlan* plan, int live_index, int64_t start_ns)
    : plan_(plan), live_index_(live_index), start_ns_(start_ns) {}

void FaultStage::Filter(int64_t now, std::vector<Action>* in, std::vector<Action>* out,
                        bool stepping, bool mismatch) {
  if (queue_.empty() && state_ == State::kOpen && delay_ns_ == 0 && plan_->faults_.empty() &&
      plan_->breaks_.empty()) {
    // Nothing to apply (the usual case): what Process() would do, without queueing each
    // action. Data frames are still counted, for a frame:N fault added later.
    for (auto& a : *in) {
      if (a.kind == Action::Kind::kSend) ++frames_;
      Send(std::move(a), out);
    }
    in->clear();
    return;
  }
  size_t first_new = queue_.size();
  for (auto& a : *in) {
    if (state_ == State::kEnded || state_ == State::kStalled) {
      Lose(a, end_note_);
      continue;
    }
    if (state_ == State::kBreak && !stepping && a.kind == Action::Kind::kSend &&
        a.role != Action::Role::kFrame) {
      Send(std::move(a), out);  // replies and heartbeats are answered at a breakpoint
      continue;
    }
    Item item;
    item.a = std::move(a);
    item.not_before = now + delay_ns_;
    item.stepping = stepping;
    queue_.push_back(std::move(item));
  }
  in->clear();
  if (mismatch && state_ != State::kEnded && state_ != State::kStalled) {
    for (const auto& b : plan_->breaks_) {
      if (b.trigger != FaultSpec::Trigger::kMismatch || !ConnMatches(b)) continue;
      if (queue_.size() > first_new) {
        queue_[first_new].break_here = true;  // the answer to the mismatch waits there
        mismatch_break_ = b;
      } else {
        plan_->Hit(b, live_index_, now - start_ns_, "", "paused the clock");
        break_hit_ = true;
      }
      break;
    }
  }
  Process(now, out);
}

void FaultStage::Poll(int64_t now, std::vector<Action>* out) { Process(now, out); }

void FaultStage::FireTimeTriggers(int64_t now, std::vector<Action>* out) {
  if (state_ != State::kOpen) return;
  for (auto& f : plan_->faults_) {
    const FaultSpec& s = f.spec;
    if (f.fired || s.trigger != FaultSpec::Trigger::kTime || !s.ends_connection() ||
        !ConnMatches(s) || now - start_ns_ < s.time_ns) {
      continue;
    }
    f.fired = true;
    End(now, s, "", out);
    return;
  }
  for (const auto& b : plan_->breaks_) {
    if (b.trigger != FaultSpec::Trigger::kTime || !ConnMatches(b) || now - start_ns_ < b.time_ns ||
        !time_breaks_fired_.insert(b.ToString()).second) {
      continue;
    }
    plan_->Hit(b, live_index_, now - start_ns_, "", "paused the clock");
    break_hit_ = true;
  }
}

bool FaultStage::Matches(const FaultSpec& s, int64_t now, const Action& a) const {
  switch (s.trigger) {
    case FaultSpec::Trigger::kFrame:
      return frames_ == s.frame_n;
    case FaultSpec::Trigger::kEvent:
      return a.role == Action::Role::kFrame && a.event == s.event &&
             StartsWith(a.topic, s.topic_prefix);
    case FaultSpec::Trigger::kTime:
      return now - start_ns_ >= s.time_ns;
    default:
      return false;
  }
}

FaultStage::Verdict FaultStage::EvaluateFront(int64_t now, bool check_breaks,
                                              std::vector<Action>* out) {
  Item& it = queue_.front();
  if (it.evaluated || it.a.kind != Action::Kind::kSend) return Verdict::kSend;
  it.evaluated = true;
  ++frames_;
  // Nothing to evaluate (the usual case): no description built for every frame.
  if (plan_->faults_.empty() && plan_->breaks_.empty() && !it.break_here) return Verdict::kSend;
  std::string before = Describe(it.a);
  for (auto& f : plan_->faults_) {
    const FaultSpec& s = f.spec;
    if (f.fired || s.trigger == FaultSpec::Trigger::kConnect || !ConnMatches(s) ||
        !Matches(s, now, it.a)) {
      continue;
    }
    f.fired = true;
    switch (s.action) {
      case FaultSpec::Action::kSkip:
        plan_->Hit(s, live_index_, now - start_ns_, before, "skipped (never sent)");
        Lose(it.a, "skipped by fault " + s.ToString());
        queue_.pop_front();
        return Verdict::kConsumed;
      case FaultSpec::Action::kDuplicate: {
        plan_->Hit(s, live_index_, now - start_ns_, before, "sent twice");
        Action copy = it.a;
        copy.seq = -1;  // the copy is not a recorded frame of its own
        out->push_back(std::move(copy));
        continue;  // the original goes out below
      }
      case FaultSpec::Action::kDelay: {
        plan_->Hit(s, live_index_, now - start_ns_, before,
                   "delayed by " + FormatDurationNs(s.delay_ns) + ", with everything after it");
        delay_ns_ += s.delay_ns;
        for (auto& q : queue_) q.not_before += s.delay_ns;
        queue_.front().not_before = std::max(queue_.front().not_before, now + s.delay_ns);
        return Verdict::kHold;
      }
      default:
        End(now, s, before, out);
        return Verdict::kHold;
    }
  }
  if (!check_breaks || it.stepping) return Verdict::kSend;
  if (it.break_here) {
    plan_->Hit(mismatch_break_, live_index_, now - start_ns_,
               before + " (the answer to a mismatched client frame)", "paused the clock");
    state_ = State::kBreak;
    break_hit_ = true;
    return Verdict::kHold;
  }
  for (const auto& b : plan_->breaks_) {
    if (b.trigger == FaultSpec::Trigger::kTime || b.trigger == FaultSpec::Trigger::kMismatch ||
        !ConnMatches(b) || !Matches(b, now, it.a)) {
      continue;
    }
    plan_->Hit(b, live_index_, now - start_ns_, before, "paused the clock");
    state_ = State::kBreak;
    break_hit_ = true;
    return Verdict::kHold;
  }
  return Verdict::kSend;
}

void FaultStage::Process(int64_t now, std::vector<Action>* out) {
  if (state_ == State::kEnded || state_ == State::kStalled) {
    DropQueue();
    return;
  }
  FireTimeTriggers(now, out);
  while (!queue_.empty() && state_ == State::kOpen) {
    if (queue_.front().not_before > now) break;
    Verdict v = EvaluateFront(now, true, out);
    if (v == Verdict::kConsumed) continue;
    if (v == Verdict::kHold) break;
    Send(std::move(queue_.front().a), out);
    queue_.pop_front();
  }
}

bool FaultStage::StepHeld(int64_t now, std::vector<Action>* out) {
  if (state_ != State::kBreak) return false;
  while (!queue_.empty() && state_ == State::kBreak) {
    Verdict v = EvaluateFront(now, false, out);
    if (v == Verdict::kConsumed) continue;
    if (v == Verdict::kHold) {
      if (state_ != State::kBreak) return true;  // a fault ended the connection
      continue;                                  // delayed: a step does not wait for it
    }
    Send(std::move(queue_.front().a), out);
    queue_.pop_front();
    if (queue_.empty()) state_ = State::kOpen;
    return true;
  }
  if (state_ == State::kBreak) state_ = State::kOpen;
  return false;
}

void FaultStage::ResumeHeld(int64_t now, std::vector<Action>* out) {
  if (state_ == State::kBreak) state_ = State::kOpen;
  Process(now, out);
}

bool FaultStage::TakeBreakHit() {
  bool hit = break_hit_;
  break_hit_ = false;
  return hit;
}

bool FaultStage::HoldsReplayer() const {
  return state_ != State::kOpen || queue_.size() >= ConnectionReplayer::kMaxPollBatch;
}

std::optional<int64_t> FaultStage::NextDeadline() const {
  if (state_ == State::kEnded || state_ == State::kStalled) return std::nullopt;
  std::optional<int64_t> best;
  auto consider = [&](int64_t t) {
    if (!best || t < *best) best = t;
  };
  if (state_ == State::kOpen && !queue_.empty()) consider(queue_.front().not_before);
  if (state_ == State::kOpen) {
    for (const auto& f : plan_->faults_) {
      if (!f.fired && f.spec.trigger == FaultSpec::Trigger::kTime && f.spec.ends_connection() &&
          ConnMatches(f.spec)) {
        consider(start_ns_ + f.spec.time_ns);
      }
    }
    for (const auto& b : plan_->breaks_) {
      if (b.trigger == FaultSpec::Trigger::kTime && ConnMatches(b) &&
          !time_breaks_fired_.count(b.ToString())) {
        consider(start_ns_ + b.time_ns);
      }
    }
  }
  return best;
}

void FaultStage::End(int64_t now, const FaultSpec& spec, std::string before,
                     std::vector<Action>* out) {
  std::string effect;
  if (spec.action == FaultSpec::Action::kStall) {
    state_ = State::kStalled;
    effect = "stalled (nothing more sent, heartbeat replies included)";
  } else {
    Action a;
    if (spec.action == FaultSpec::Action::kClose) {
      a.kind = Action::Kind::kClose;
      a.close_code = spec.close_code;
      a.close_reason = spec.close_reason;
      effect = "closed " + std::to_string(spec.close_code);
    } else {
      a.kind = Action::Kind::kDrop;
      effect = "dropped the connection without a close frame (the client sees 1006)";
    }
    out->push_back(std::move(a));
    state_ = State::kEnded;
  }
  end_note_ = "fault " + spec.ToString() + ": " + effect;
  FaultHit& h = plan_->Hit(spec, live_index_, now - start_ns_, std::move(before), effect);
  plan_->AwaitReconnect(h.id, now);
  DropQueue();
}

void FaultStage::Send(Action a, std::vector<Action>* out) {
  if (a.kind == Action::Kind::kSend) {
    if (a.role == Action::Role::kFrame && a.seq >= 0) {
      if (plan_->tracks_delivery_) delivered_.insert(a.seq);
      plan_->NoteSent(live_index_);
    }
    if (a.due_v > reached_v_) reached_v_ = a.due_v;
    if (a.deadline_ns >= 0) a.deadline_ns += delay_ns_;  // a delay fault moved it on purpose
    if (a.role == Action::Role::kReply && a.event == "phx_join") {
      plan_->NoteJoinReply(live_index_, a.topic);
    }
  }
  out->push_back(std::move(a));
}

void FaultStage::DropQueue() {
  for (const auto& it : queue_) Lose(it.a, end_note_);
  queue_.clear();
}

void FaultStage::Lose(const Action& a, const std::string& reason) {
  if (a.kind != Action::Kind::kSend || a.role != Action::Role::kFrame || a.seq < 0) return;
  ++suppressed_;
  if (lost_.size() >= ConnectionReport::kMaxListed) return;
  std::string what = a.event.empty() ? (a.opcode == 2 ? "binary frame" : "text frame")
                                     : "push " + a.topic + " " + a.event;
  lost_.push_back({a.seq, a.due_v, what, "not sent: " + reason});
}

std::string FaultStage::Describe(const Action& a) const {
  std::string s = "frame " + std::to_string(frames_) + ": ";
  switch (a.role) {
    case Action::Role::kHeartbeat:
      return s + "heartbeat reply";
    case Action::Role::kReply:
      return s + "reply to " + a.event + " " + a.topic;
    case Action::Role::kFrame:
      break;
  }
  if (!a.event.empty())
    s += "push " + a.topic + " " + a.event;
  else
    s += a.opcode == 2 ? "binary frame" : "text frame";
  if (a.seq >= 0) s += " (seq " + std::to_string(a.seq) + ")";
  return s;
}

nlohmann::json FaultStage::Status(int64_t now) const {
  const char* state = state_ == State::kOpen      ? "open"
                      : state_ == State::kBreak   ? "at breakpoint"
                      : state_ == State::kStalled ? "stalled by a fault"
                                                  : "ended by a fault";
  nlohmann::json j = {{"state", state},
                      {"frames_seen", frames_},
                      {"held", queue_.size()},
                      {"delay_ms", static_cast<double>(delay_ns_) / 1e6}};
  if (!queue_.empty()) {
    const Item& f = queue_.front();
    j["next_held"] = f.a.event.empty()
                         ? std::string(f.a.role == Action::Role::kFrame ? "frame" : "reply")
                         : "push " + f.a.topic + " " + f.a.event;
    if (state_ == State::kOpen && f.not_before > now) {
      j["next_held_in_ms"] = static_cast<double>(f.not_before - now) / 1e6;
    }
  }
  return j;
}

}  // namespace wsr::replay
