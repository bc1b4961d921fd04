#include "replay/replay_session.h"

#include <algorithm>
#include <utility>

namespace wsr::replay {
namespace {

// The actions of the event in flight: what the replayer emitted (in) and what the fault stage
// lets go (out). One pair per thread, shared by every session of the service thread (an event
// of one session never runs inside another's, nor inside another of its own), reused so that a
// poll allocates no vectors and thousands of sessions do not each keep 256-action buffers.
struct Scratch {
  std::vector<Action> in, out;
};
Scratch& Scr() {
  static thread_local Scratch s;
  return s;
}

}  // namespace

ReplaySession::ReplaySession(Identity id, std::unique_ptr<ConnectionReplayer> engine,
                             FaultPlan* plan, LiveFeed* feed, size_t headroom)
    : id_(std::move(id)), engine_(std::move(engine)), plan_(plan), feed_(feed), queue_(headroom) {
  auto& rep = engine_->report();
  rep.live_index = id_.index;
  rep.path = id_.path;
  rep.query = id_.query;
}

void ReplaySession::Start(int64_t now) {
  stage_ = std::make_unique<FaultStage>(plan_, id_.index, now);
  plan_->OnConnected(id_.index);
  engine_->Start(now);
  if (feed_) {
    const auto& rep = engine_->report();
    feed_->Open(id_.index, rep.recorded_ordinal, id_.path, rep.mode, now);
    commands_.feed_published = true;
  }
}

void ReplaySession::OnClientFrame(int64_t now, int opcode, std::string_view bytes, bool fin) {
  if (opcode != 0) {
    rx_.clear();
    rx_opcode_ = opcode;
  }
  if (rx_.size() + bytes.size() > kMaxClientMessage) {
    Close(1009, "message too big for wsreplay");
    return;
  }
  rx_.append(bytes);
  if (!fin || close_queued_) return;
  const ConnectionReport& rep = engine_->report();
  const int64_t mismatches = rep.mismatch_count;
  Scr().in.clear();
  engine_->OnClientMessage(now, rx_opcode_, rx_, &Scr().in);
  const bool mismatch = rep.mismatch_count > mismatches;
  if (feed_) {
    std::string why;
    if (mismatch) {
      why = static_cast<int64_t>(rep.mismatches.size()) == rep.mismatch_count
                ? rep.mismatches.back().explanation
                : "not in the cassette (explanations listed for the first mismatches only)";
    }
    feed_->Frame(id_.index, true, -1, engine_->RecordedNow(now), now, rx_opcode_, rx_, why);
    commands_.feed_published = true;
  }
  rx_.clear();
  Drive(now, false, mismatch);
}

void ReplaySession::Poll(int64_t now) {
  if (!idle()) return;
  Scr().in.clear();
  if (!stage_->HoldsReplayer()) engine_->Poll(now, &Scr().in);
  Drive(now, false, false);
}

bool ReplaySession::Step(int64_t now) {
  Scr().in.clear();
  if (!engine_->Step(now, &Scr().in)) return false;
  if (feed_) {
    feed_->Control("stepped", now);  // before the frames it releases, as the page shows them
    commands_.feed_published = true;
  }
  Drive(now, /*stepping=*/true, false);
  return true;
}

bool ReplaySession::StepHeld(int64_t now) {
  Scr().out.clear();
  if (!stage_->StepHeld(now, &Scr().out)) return false;
  Enqueue(now);
  return true;
}

void ReplaySession::Resume(int64_t now) {
  engine_->Resume(now);
  Scr().out.clear();
  stage_->ResumeHeld(now, &Scr().out);
  Enqueue(now);
}

void ReplaySession::Drive(int64_t now, bool stepping, bool mismatch) {
  Scr().out.clear();
  stage_->Filter(now, &Scr().in, &Scr().out, stepping, mismatch);
  Enqueue(now);
  if (stage_->TakeBreakHit()) commands_.pause_clock = true;
}

void ReplaySession::Enqueue(int64_t now) {
  if (Scr().out.empty()) return;
  for (auto& a : Scr().out) {
    if (close_queued_) break;
    if (a.kind == Action::Kind::kSend && feed_) {
      int64_t rec = a.recorded_ns >= 0 ? a.recorded_ns : engine_->RecordedNow(now);
      feed_->Frame(id_.index, false, a.seq, rec, now, a.opcode, a.payload);
      commands_.feed_published = true;
    }
    if (a.kind == Action::Kind::kClose) {
      Close(a.close_code, a.close_reason);
      continue;
    }
    if (a.kind == Action::Kind::kDrop) {
      queue_.PushDrop();
      close_queued_ = true;
      continue;
    }
    queue_.PushMessage(a);
  }
  Scr().out.clear();
  commands_.want_writable = true;
}

void ReplaySession::Close(int code, const std::string& reason) {
  if (close_queued_) return;
  queue_.PushClose(code, reason);
  close_queued_ = true;
  auto& rep = engine_->report();
  if (rep.close.empty()) rep.close = "server closed " + std::to_string(code);
  commands_.want_writable = true;
}

void ReplaySession::OnWritten(int64_t now) {
  if (queue_.empty()) return;
  OutgoingQueue::Entry& o = queue_.front();
  for (int64_t d : o.deadlines) engine_->NoteWritten(now, d);
  queue_.pop_front();
}

void ReplaySession::OnDropping() {
  queue_.clear();
  close_queued_ = true;
}

void ReplaySession::OnPeerClosed(int64_t now, int code, std::string_view reason) {
  engine_->OnClientClose(now, code, reason);
}

void ReplaySession::OnSocketEnded(int64_t now) {
  if (engine_->finished()) return;
  auto& rep = engine_->report();
  if (rep.close.empty()) rep.close = "closed without a close frame";
  engine_->Finish(now);
  if (stage_ && stage_->ended_by_fault() && plan_->after_fault() == AfterFault::kResume) {
    // The client's reconnect continues this recorded connection where it stopped.
    auto from = std::make_shared<ResumeFrom>();
    if (id_.resumed_from) *from = *id_.resumed_from;
    from->delivered.insert(stage_->delivered().begin(), stage_->delivered().end());
    from->v = std::max(from->v, stage_->reached_v());
    plan_->AddResumePoint({id_.recorded_index, id_.path, id_.query, id_.index, std::move(from)});
  }
  if (feed_) {
    feed_->Close(id_.index, rep.close, now);
    commands_.feed_published = true;
  }
}

std::optional<int64_t> ReplaySession::NextDeadline() {
  std::optional<int64_t> d = stage_->HoldsReplayer() ? std::nullopt : engine_->NextDeadline();
  auto s = stage_->NextDeadline();
  if (s && (!d || *s < *d)) d = s;
  return d;
}

ConnectionReport ReplaySession::Report() {
  ConnectionReport r = engine_->report();
  r.resumes = id_.resumes;
  if (!stage_) return r;
  r.delivered -= stage_->suppressed();
  for (const auto& f : stage_->lost()) {
    if (r.undelivered.size() < ConnectionReport::kMaxListed) r.undelivered.push_back(f);
  }
  r.undelivered_count += stage_->suppressed();
  if (!stage_->end_note().empty()) {
    bool by_server = r.close.rfind("server closed", 0) == 0 || r.close.empty() ||
                     r.close == "closed without a close frame";
    r.close = stage_->end_note() + (by_server ? "" : "; then " + r.close);
  }
  return r;
}

nlohmann::json ReplaySession::Status(int64_t now) {
  nlohmann::json s = engine_->Status(now);
  s["fault_stage"] = stage_ ? stage_->Status(now) : nlohmann::json(nullptr);
  s["connection"] = id_.index;
  s["recorded_connection"] = engine_->report().recorded_ordinal;
  s["path"] = id_.path;
  s["open"] = true;
  s["queued_to_send"] = queue_.size();
  return s;
}

}  // namespace wsr::replay
