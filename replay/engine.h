// The sans-I/O replay core for ONE live connection, served by one recorded connection.
//
// The server feeds it events (the connection started, a client message or close arrived,
// time passed) with the clock's current time, and it answers with Actions to perform on the
// socket (send a message, close, drop). NextDeadline() says when Poll() must be called next.
// It reads the recording through a cassette::SessionSource (a SQLite cassette, or memory in
// tests) as bounded streams, so memory does not grow with the recording. ConnectionReplayer
// owns the lifecycle (guards, the recorded close, mismatches, final accounting); two flavours
// say what is specific: PhoenixReplayer (phoenix_replayer.cc) and RawReplayer (raw_replayer.cc).
// Not thread-safe: one service thread owns every replayer, and the SessionSource it borrows must
// outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cassettes/session_source.h"
#include "replay/causal_gate.h"
#include "replay/options.h"
#include "replay/report.h"
#include "replay/timeline.h"

namespace wsr::replay {

struct Action {
  enum class Kind { kSend, kClose, kDrop };  // kDrop: end without a close frame (1006)
  Kind kind = Kind::kSend;
  int opcode = 1;  // 1 text, 2 binary
  std::string payload;
  std::vector<uint32_t> fragments;  // recorded fragment sizes (empty: one frame)
  int close_code = 1000;
  std::string close_reason;

  // What a kSend is, for the fault stage (fault_stage.h), which sees every frame first.
  enum class Role { kFrame, kReply, kHeartbeat };  // kFrame: a recorded push / server frame
  Role role = Role::kFrame;
  int64_t seq = -1;          // recorded seq of a kFrame (-1: none)
  int64_t due_v = -1;        // recorded time (virtual ns) it was due at
  std::string topic, event;  // Phoenix: a push's topic and event; a reply's request topic/event
  // A recorded frame's offset from the recorded connection's open, for the live page (-1 for
  // frames the replayer made up: heartbeat and error replies).
  int64_t recorded_ns = -1;
  // The absolute clock deadline a released frame was due at (-1: none, e.g. at --speed max or
  // for replies): with MeasureLatenessAtWrite(), the server reports its lateness when the
  // bytes are written (NoteWritten), so the report agrees with what the client sees.
  int64_t deadline_ns = -1;
};

// --after-fault resume: a replayer continuing a recorded connection whose earlier live
// connection ended by a fault. Pushes / server frames already delivered are not read again,
// and recorded time starts at `v` (where the earlier connection was) instead of 0.
struct ResumeFrom {
  std::set<int64_t> delivered;  // recorded seqs already delivered
  int64_t v = 0;                // recorded time (ns since the recorded open) to continue from
};

// The base of the two flavours: it owns the lifecycle every replayer shares, so a flavour
// only says what is specific to it (which frame may go next, when, and how it is encoded):
//  - the guards: nothing is released, stepped or scheduled after a close/drop was emitted or
//    the client closed; a client frame after a close was emitted is ignored;
//  - the recorded server-initiated close: replayed once the flavour has nothing left
//    (CloseReady()), at its recorded offset shifted like the frames before it (CloseDelay());
//  - mismatches: reported and logged, and with --on-mismatch close answered with 4400;
//  - the final accounting (Finish() runs once).
class ConnectionReplayer {
 public:
  // `gate` (may be null: no REST half) holds recorded server frames until the HTTP requests
  // that caused them were answered (causal_gate.h); it must outlive the replayer.
  ConnectionReplayer(const cassette::Connection& recorded, const ReplayOptions& options,
                     std::shared_ptr<const ResumeFrom> resume = nullptr,
                     const CausalGate* gate = nullptr);
  virtual ~ConnectionReplayer() = default;

  // The live connection is established at `now`: its timeline is anchored there (every
  // deadline is `now + recorded offset / speed`). The server takes `now` when it accepts the
  // upgrade, before anything else, so that building the replayer never shifts the schedule.
  void Start(int64_t now);
  // Lateness is measured by the caller when a released frame's bytes are written
  // (NoteWritten), not when Poll() releases it. Call before Start().
  void MeasureLatenessAtWrite() { lateness_at_write_ = true; }
  // A released frame due at `deadline` (Action::deadline_ns >= 0) was written at `now`.
  void NoteWritten(int64_t now, int64_t deadline) { report_.lateness.Add(now - deadline); }
  // A client message arrived (ignored once a close was emitted).
  void OnClientMessage(int64_t now, int opcode, std::string_view data, std::vector<Action>* out) {
    if (!closing_) OnMessage(now, opcode, data, out);
  }
  void OnClientClose(int64_t now, int code, std::string_view reason);
  // The live client's HTTP request matched recorded exchange `index` of the gate and was
  // answered at `now`: frames it caused may go, keeping their recorded delay after its
  // response (shifted by how late, in recorded time, the answer came). Poll() afterwards.
  void OnExchangeAnswered(int64_t now, int index);
  // Releases what is due at `now`, at most kMaxPollBatch frames per call (the server polls
  // again once the socket drained, so a fast replay never queues the whole recording), then
  // the recorded close when it is due.
  void Poll(int64_t now, std::vector<Action>* out);
  static constexpr size_t kMaxPollBatch = 256;
  // Absolute clock time at which Poll() has work; nullopt when only the client can unblock.
  std::optional<int64_t> NextDeadline();
  // Releases the next pending frame (or the recorded close) now if order allows it; false
  // when nothing can go.
  bool Step(int64_t now, std::vector<Action>* out);

  void SetSpeed(int64_t now, double speed) { timeline_.SetSpeed(now, speed); }
  void Pause(int64_t now) { timeline_.Pause(now); }
  void Resume(int64_t now) { timeline_.Resume(now); }
  void Skip(int64_t now, int64_t ns) { timeline_.Skip(now, ns); }
  // Recorded time (ns since the recorded open) this connection has reached: the last release
  // at max speed, else the timeline's position at `now`.
  int64_t RecordedNow(int64_t now) const {
    int64_t v = timeline_.VirtualAt(now);
    return v == Timeline::kNever ? last_released_v_ : v;
  }

  // When this connection's replay reaches session offset `session_ns` of the recording (the
  // frames recorded before it are due by then): an absolute clock time, Timeline::kNever
  // while paused. nullopt when the recorded connection was not open yet at `session_ns` or
  // the live connection has ended. For holding a recorded HTTP response (causal_gate.h).
  std::optional<int64_t> ReachesSessionTime(int64_t session_ns) const;

  // JSON for GET status: pending frames and what the next one waits for.
  virtual nlohmann::json Status(int64_t now) = 0;
  // Final accounting: lists what was never delivered (reads the rest of the cursors). Once.
  void Finish(int64_t now);
  ConnectionReport& report() { return report_; }
  bool finished() const { return finished_; }
  bool closing() const { return closing_; }

 protected:
  // --- What a flavour says. None is called after a close was emitted or the client closed.
  // A client message (OnClientMessage's guard passed).
  virtual void OnMessage(int64_t now, int opcode, std::string_view data,
                         std::vector<Action>* out) = 0;
  // Releases the frames due at `now` while out->size() < kMaxPollBatch.
  virtual void PollFrames(int64_t now, std::vector<Action>* out) = 0;
  // The earliest deadline of a frame (or of another event of the flavour, e.g. a join
  // timeout); nullopt (or Timeline::kNever) when none.
  virtual std::optional<int64_t> NextFrameDeadline() = 0;
  // Releases the next frame order allows now, jumping the timeline to it; false when none.
  virtual bool StepFrame(int64_t now, std::vector<Action>* out) = 0;
  // Nothing is left to release before the recorded close (the recording is read to its end).
  virtual bool FramesDone() const = 0;
  // How late (recorded ns) the recorded close goes, like the frames before it.
  virtual int64_t CloseDelay() const = 0;
  // Lists what was never delivered in report_ (Finish, once).
  virtual void ListUndelivered() = 0;

  // --- Services for the flavours.
  // Deadline for a recorded frame due at virtual time v (max-gap aware).
  int64_t DeadlineFor(int64_t v) { return timeline_.DeadlineFor(v, last_mark_); }
  // Book-keeping after releasing `a`, a frame that was due at `deadline` (sets a->deadline_ns).
  void NoteRelease(int64_t now, int64_t deadline, int64_t v, Action* a);
  // A client frame the recording does not have, `explanation` saying why: with --on-mismatch
  // close, closes the connection with 4400; otherwise `answer` (may be empty) adds the
  // flavour's answer to `out` and says what it did. Reported and logged either way.
  void Mismatch(int64_t now, int opcode, std::string_view data, std::string explanation,
                std::vector<Action>* out, const std::function<std::string()>& answer);
  // Offset of a recorded frame from the recorded connection's open.
  int64_t Rel(int64_t offset_ns) const { return offset_ns - recorded_.opened_ns; }
  // Resume: skip what an earlier connection delivered; join/response anchors never lie before
  // the point the connection resumed from.
  bool AlreadyDelivered(int64_t seq) const { return resume_ && resume_->delivered.count(seq); }
  int64_t AnchorRel(int64_t rel) const { return resume_ && resume_->v > rel ? resume_->v : rel; }

  // Causality with the REST half (causal_gate.h): the exchange a recorded server frame waits
  // for (-1: none), whether it was answered, the recorded-time delay its answer adds, and
  // what a frame held by it waits for ("request #3 POST /x").
  int CauseOf(const cassette::Frame& f) const { return gate_ ? gate_->CauseOf(f.offset_ns) : -1; }
  bool CauseMet(int cause) const { return cause < 0 || gate_->answered(cause); }
  int64_t CauseDelay(int cause) const;
  std::string CauseWait(int cause) const { return gate_->Describe(cause); }
  // The report's reason for a frame whose cause never came.
  std::string CauseNeverCame(int cause) const {
    return "waited for " + CauseWait(cause) +
           (gate_->requested(cause) ? ", which the client made but whose response was never sent"
                                    : ", which the client never made");
  }

  cassette::Connection recorded_;
  ReplayOptions options_;
  std::shared_ptr<const ResumeFrom> resume_;
  const CausalGate* gate_ = nullptr;
  std::map<int, int64_t> cause_delay_;  // exchange index -> recorded ns its answer came late
  Timeline timeline_;
  ConnectionReport report_;
  int64_t start_ns_ = 0;
  int64_t last_mark_ = 0;
  int64_t last_released_v_ = 0;  // recorded time of the last release (NoteRelease)

 private:
  // The recorded server-initiated close (nullopt when the client closed it), its offset, and
  // whether it may go (the flavour has nothing left).
  std::optional<Action> RecordedCloseAction() const;
  std::optional<int64_t> RecordedCloseRel() const;
  bool CloseReady() { return FramesDone() && RecordedCloseRel().has_value(); }
  int64_t CloseDue() const { return *RecordedCloseRel() + CloseDelay(); }
  void EmitClose(std::vector<Action>* out);
  bool ended() const { return closing_ || client_closed_; }

  bool client_closed_ = false;
  bool closing_ = false;  // a close/drop action was emitted
  bool finished_ = false;
  bool lateness_at_write_ = false;
};

// True when the recorded connection's frames are Phoenix v2 (checks its first frames).
bool DetectPhoenix(cassette::SessionSource& source, const cassette::Connection& recorded);

// Builds the right replayer (Phoenix unless options.protocol is raw or detection fails).
std::unique_ptr<ConnectionReplayer> MakeReplayer(cassette::SessionSource& source,
                                                 const cassette::Connection& recorded,
                                                 const ReplayOptions& options,
                                                 std::shared_ptr<const ResumeFrom> resume = nullptr,
                                                 const CausalGate* gate = nullptr);

}  // namespace wsr::replay
