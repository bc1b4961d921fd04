#include "replay/engine.h"

#include <algorithm>

#include "cassettes/protocol_probe.h"
#include "common/log.h"
#include "replay/json_compare.h"
#include "replay/phoenix_replayer.h"
#include "replay/raw_replayer.h"

namespace wsr::replay {

ConnectionReplayer::ConnectionReplayer(const cassette::Connection& recorded,
                                       const ReplayOptions& options,
                                       std::shared_ptr<const ResumeFrom> resume,
                                       const CausalGate* gate)
    : recorded_(recorded),
      options_(options),
      resume_(std::move(resume)),
      gate_(gate),
      timeline_(options.speed, options.max_gap_ns) {
  report_.recorded_ordinal = recorded.ordinal;
  report_.path = recorded.path;
  report_.query = recorded.query;
}

void ConnectionReplayer::Start(int64_t now) {
  start_ns_ = now;
  last_mark_ = now;
  timeline_.Start(now);
  if (resume_) timeline_.JumpTo(now, resume_->v);
  report_.open = true;
}

void ConnectionReplayer::OnClientClose(int64_t /*now*/, int code, std::string_view reason) {
  client_closed_ = true;
  report_.open = false;
  if (report_.close.empty()) {
    report_.close = "client closed " + std::to_string(code);
    if (!reason.empty()) report_.close += " (" + std::string(reason) + ")";
  }
}

void ConnectionReplayer::OnExchangeAnswered(int64_t now, int index) {
  if (!gate_ || cause_delay_.count(index)) return;
  const cassette::Exchange& e = gate_->exchange(index);
  int64_t delay = 0;
  if (e.response_ns && !timeline_.max_speed() && !timeline_.paused()) {
    delay = std::max<int64_t>(0, timeline_.VirtualAt(now) - AnchorRel(Rel(*e.response_ns)));
  }
  cause_delay_[index] = delay;
}

std::optional<int64_t> ConnectionReplayer::ReachesSessionTime(int64_t session_ns) const {
  if (client_closed_ || closing_ || finished_ || recorded_.opened_ns > session_ns) {
    return std::nullopt;
  }
  int64_t t = recorded_.closed_ns ? std::min(session_ns, *recorded_.closed_ns) : session_ns;
  return timeline_.PeekDeadline(AnchorRel(Rel(t)), last_mark_);
}

int64_t ConnectionReplayer::CauseDelay(int cause) const {
  if (cause < 0) return 0;
  auto it = cause_delay_.find(cause);
  return it == cause_delay_.end() ? 0 : it->second;
}

void ConnectionReplayer::NoteRelease(int64_t now, int64_t deadline, int64_t v, Action* a) {
  ++report_.delivered;
  timeline_.NoteReleased(v);
  if (v > last_released_v_) last_released_v_ = v;
  if (timeline_.max_speed() || deadline == Timeline::kNever) {
    last_mark_ = now;
    return;
  }
  a->deadline_ns = deadline;
  if (!lateness_at_write_) report_.lateness.Add(now - deadline);
  last_mark_ = deadline > now ? now : deadline;
}

void ConnectionReplayer::Poll(int64_t now, std::vector<Action>* out) {
  if (ended()) return;
  PollFrames(now, out);
  if (CloseReady() && DeadlineFor(CloseDue()) <= now) EmitClose(out);
}

std::optional<int64_t> ConnectionReplayer::NextDeadline() {
  if (ended()) return std::nullopt;
  std::optional<int64_t> best = NextFrameDeadline();
  if (best == Timeline::kNever) best.reset();
  if (CloseReady()) {
    int64_t d = DeadlineFor(CloseDue());
    if (d != Timeline::kNever && (!best || d < *best)) best = d;
  }
  return best;
}

bool ConnectionReplayer::Step(int64_t now, std::vector<Action>* out) {
  if (ended()) return false;
  if (StepFrame(now, out)) return true;
  if (!CloseReady()) return false;
  timeline_.JumpTo(now, CloseDue());
  EmitClose(out);
  return true;
}

void ConnectionReplayer::Finish(int64_t /*now*/) {
  if (finished_) return;
  finished_ = true;
  report_.open = false;
  ListUndelivered();
}

void ConnectionReplayer::EmitClose(std::vector<Action>* out) {
  auto a = RecordedCloseAction();
  out->push_back(*a);
  closing_ = true;
  report_.close = "replayed server close " + std::to_string(a->close_code);
}

void ConnectionReplayer::Mismatch(int64_t now, int opcode, std::string_view data,
                                  std::string explanation, std::vector<Action>* out,
                                  const std::function<std::string()>& answer) {
  std::string action;
  if (options_.on_mismatch == OnMismatch::kClose) {
    Action a;
    a.kind = Action::Kind::kClose;
    a.close_code = kMismatchCloseCode;
    a.close_reason = ("not in cassette: " + explanation).substr(0, 123);
    out->push_back(std::move(a));
    closing_ = true;
    report_.close = "closed " + std::to_string(kMismatchCloseCode) + " on mismatch";
    action = "closed " + std::to_string(kMismatchCloseCode);
  } else {
    action = answer ? answer() : "ignored";
  }
  bool binary = opcode == 2;
  log::Warn("replay: client frame not in cassette: " + Excerpt(data, binary, 200) + ": " +
            explanation + " -> " + action);
  report_.AddMismatch({now - start_ns_, Excerpt(data, binary), std::move(explanation), action});
}

std::optional<int64_t> ConnectionReplayer::RecordedCloseRel() const {
  if (recorded_.close_initiator != "upstream" || !recorded_.closed_ns) return std::nullopt;
  return Rel(*recorded_.closed_ns);
}

std::optional<Action> ConnectionReplayer::RecordedCloseAction() const {
  if (!RecordedCloseRel()) return std::nullopt;
  Action a;
  int code = recorded_.close_code.value_or(1006);
  if (code == 1005 || code == 1006 || code == 1015 || code < 1000 || code > 4999) {
    a.kind = Action::Kind::kDrop;
  } else {
    a.kind = Action::Kind::kClose;
  }
  a.close_code = code;
  a.close_reason = recorded_.close_reason.substr(0, 123);
  return a;
}

bool DetectPhoenix(cassette::SessionSource& source, const cassette::Connection& recorded) {
  return cassette::ProbeProtocol(source, recorded).AllPhoenix();
}

std::unique_ptr<ConnectionReplayer> MakeReplayer(cassette::SessionSource& source,
                                                 const cassette::Connection& recorded,
                                                 const ReplayOptions& options,
                                                 std::shared_ptr<const ResumeFrom> resume,
                                                 const CausalGate* gate) {
  if (options.protocol != Protocol::kRaw && DetectPhoenix(source, recorded)) {
    return std::make_unique<PhoenixReplayer>(source, recorded, options, std::move(resume), gate);
  }
  return std::make_unique<RawReplayer>(source, recorded, options, std::move(resume), gate);
}

}  // namespace wsr::replay
