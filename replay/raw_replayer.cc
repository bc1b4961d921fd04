#include "replay/raw_replayer.h"

#include <algorithm>

#include "common/duration.h"
#include "replay/json_compare.h"

namespace wsr::replay {

RawReplayer::RawReplayer(cassette::SessionSource& source, const cassette::Connection& recorded,
                         const ReplayOptions& options, std::shared_ptr<const ResumeFrom> resume,
                         const CausalGate* gate)
    : ConnectionReplayer(recorded, options, std::move(resume), gate),
      source_(&source),
      stream_(source.Frames(recorded.id, {.include_control = true})) {
  report_.mode = "raw";
  Fill();
}

void RawReplayer::TakeClient(cassette::Frame f) {
  if (f.seq <= client_seq_) return;  // LookUpExpected's cursor already took it
  client_seq_ = f.seq;
  clients_.push_back(std::move(f));
}

void RawReplayer::TakeExpected() {
  if (expected_ || clients_.empty()) return;
  expected_ = std::move(clients_.front());
  clients_.pop_front();
}

bool RawReplayer::NextServerFrame(cassette::Frame* f) {
  while (!stream_done_) {
    if (!stream_->Next(f)) {
      stream_done_ = true;
      break;
    }
    if (f->is_control()) {
      // A server's ping or pong goes out as recorded; its close is replayed from the
      // connection's close; the client's control frames are lws's business, never matched.
      if (f->direction == cassette::Direction::kServerToClient && f->opcode != 8) return true;
      continue;
    }
    if (f->direction == cassette::Direction::kServerToClient) return true;
    TakeClient(std::move(*f));
  }
  return false;
}

void RawReplayer::Fill() {
  while (!pending_) {
    cassette::Frame f;
    if (!servers_.empty()) {
      f = std::move(servers_.front());
      servers_.pop_front();
    } else if (!NextServerFrame(&f)) {
      break;
    }
    if (!AlreadyDelivered(f.seq)) {  // resumed: an earlier connection sent it
      pending_cause_ = CauseOf(f);
      pending_ = std::move(f);
    }
  }
  TakeExpected();
}

void RawReplayer::LookUpExpected() {
  TakeExpected();
  while (!expected_ && !stream_done_ && servers_.size() < kLookahead) {
    cassette::Frame f;
    if (NextServerFrame(&f)) servers_.push_back(std::move(f));
    TakeExpected();
  }
  if (expected_ || stream_done_) return;
  // Further than kLookahead server frames: search the client direction (a scan of the rest of
  // the connection in the worst case, but only when a live client frame needs it).
  if (!client_cursor_) {
    client_cursor_ =
        source_->Frames(recorded_.id, {.direction = cassette::Direction::kClientToServer});
  }
  cassette::Frame f;
  while (client_cursor_->Next(&f)) {
    if (f.seq <= client_seq_) continue;
    client_seq_ = f.seq;
    expected_ = std::move(f);
    return;
  }
}

void RawReplayer::Release(int64_t now, int64_t deadline, std::vector<Action>* out) {
  int64_t due = PendingDue();
  Action a;
  a.opcode = pending_->opcode;
  a.recorded_ns = Rel(pending_->offset_ns);
  a.payload = std::move(pending_->payload);
  a.fragments = std::move(pending_->fragments);
  a.seq = pending_->seq;
  a.due_v = due;
  out->push_back(std::move(a));
  NoteRelease(now, deadline, due, &out->back());
  pending_.reset();
  Fill();
}

void RawReplayer::PollFrames(int64_t now, std::vector<Action>* out) {
  while (pending_ && Eligible() && out->size() < kMaxPollBatch) {
    int64_t d = DeadlineFor(PendingDue());
    if (d > now) return;
    Release(now, d, out);
  }
}

std::optional<int64_t> RawReplayer::NextFrameDeadline() {
  if (pending_ && Eligible()) return DeadlineFor(PendingDue());
  return std::nullopt;
}

bool RawReplayer::StepFrame(int64_t now, std::vector<Action>* out) {
  if (!pending_ || !Eligible()) return false;
  timeline_.JumpTo(now, PendingDue());
  Release(now, now, out);
  return true;
}

void RawReplayer::OnMessage(int64_t now, int opcode, std::string_view data,
                            std::vector<Action>* out) {
  LookUpExpected();
  std::optional<std::string> diff;
  if (!expected_) {
    diff = "the recording has no more client frames (all " + std::to_string(matched_) +
           " were already received)";
  } else if (expected_->opcode != opcode) {
    diff = std::string("next recorded client frame (seq ") + std::to_string(expected_->seq) +
           ") is " + (expected_->opcode == 2 ? "binary" : "text") + ", got " +
           (opcode == 2 ? "binary" : "text");
  } else {
    auto d = (opcode == 1 && !options_.ignore_json.empty())
                 ? JsonDifference(expected_->payload, data, options_.ignore_json)
                 : BytesDifference(expected_->payload, data);
    if (d) {
      diff = "next recorded client frame (seq " + std::to_string(expected_->seq) + ": " +
             Excerpt(expected_->payload, expected_->opcode == 2, 80) + ") differs: " + *d;
    }
  }
  if (diff) {
    Mismatch(now, opcode, data, std::move(*diff), out,
             [] { return std::string("ignored (raw protocol has no error reply)"); });
    return;
  }
  ++matched_;
  if (!timeline_.max_speed() && !timeline_.paused()) {
    delay_ = std::max<int64_t>(0, timeline_.VirtualAt(now) - AnchorRel(Rel(expected_->offset_ns)));
  }
  expected_.reset();
  Fill();
  Poll(now, out);
}

nlohmann::json RawReplayer::Status(int64_t now) {
  nlohmann::json j = {{"mode", "raw"},
                      {"client_frames_matched", matched_},
                      {"delivered", report_.delivered},
                      {"mismatches", report_.mismatch_count}};
  if (pending_) {
    nlohmann::json next = {{"seq", pending_->seq},
                           {"offset_ms", static_cast<double>(Rel(pending_->offset_ns)) / 1e6},
                           {"frame", Excerpt(pending_->payload, pending_->opcode == 2, 80)}};
    if (!CauseMet(pending_cause_)) {
      next["waits_for"] = CauseWait(pending_cause_);
    } else if (!Eligible()) {
      next["waits_for"] = "client frame seq " + std::to_string(expected_->seq) + ": " +
                          Excerpt(expected_->payload, expected_->opcode == 2, 80);
    } else if (timeline_.paused()) {
      next["waits_for"] = "paused";
    } else {
      int64_t d = DeadlineFor(PendingDue());
      next["waits_for"] =
          d <= now ? "release (due now)" : "its time, in " + FormatDurationNs(d - now);
    }
    j["next"] = next;
  } else {
    j["next"] = nullptr;
  }
  return j;
}

void RawReplayer::ListUndelivered() {
  while (pending_) {
    if (report_.undelivered.size() >= ConnectionReport::kMaxListed) {
      // Only counted from here on: no excerpt and reason built for each of what can be
      // millions of frames (this runs on the service thread).
      ++report_.undelivered_count;
      pending_.reset();
      Fill();
      continue;
    }
    std::string reason = !CauseMet(pending_cause_) ? CauseNeverCame(pending_cause_)
                         : !Eligible()             ? "waited for client frame seq " +
                                             std::to_string(expected_->seq) + " that never came"
                                       : "connection ended before it was due";
    report_.AddUndelivered({pending_->seq, Rel(pending_->offset_ns),
                            Excerpt(pending_->payload, pending_->opcode == 2, 80), reason});
    pending_.reset();
    Fill();
  }
}

}  // namespace wsr::replay
