// ReplaySession: ONE live replayed WebSocket connection, sans-I/O.
//
// It joins the pieces of the per-connection pipeline: the ConnectionReplayer (engine.h: what
// the recording says to send, and when) -> its FaultStage (fault_stage.h: faults and
// breakpoints) -> the OutgoingQueue (outgoing_queue.h: framed bytes for the socket), plus the
// reassembly of client messages, the report of the connection and, when a fault ends it,
// the resume point its client's reconnect continues from.
//
// Events in (time is always passed in, never read): Start, OnClientFrame, Poll, Step,
// StepHeld, Resume/Pause/SetSpeed/Skip, OnExchangeAnswered, OnWritten, OnPeerClosed,
// OnDropping, OnSocketEnded. Commands out:
//  - what to write: Front(), the queue's front entry: a data batch (write it whole, then
//    OnWritten), a close (send a close frame with that code and reason, then end the
//    connection) or a drop (end the TCP connection without a close frame, then OnDropping);
//  - TakeCommands(): "want writable" (something was queued), "pause the clock" (a breakpoint
//    fired) and "the live feed got events" (wake the page's subscribers);
//  - NextDeadline() / DueAt(): when Poll() has work; Report() / Status(now).
// The transport (server_impl.cc) turns those into lws calls; unit tests drive it with a
// ManualClock (tests/replay/replay_session_test.cc).
//
// Ownership: owns its replayer, stage and queue; borrows the session-wide FaultPlan and
// LiveFeed (may be null), which must outlive it. Not thread-safe: the service thread owns it
// (the sessions of a thread share one scratch pair of action vectors, replay_session.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "replay/engine.h"
#include "replay/fault_stage.h"
#include "replay/live_feed.h"
#include "replay/outgoing_queue.h"
#include "replay/report.h"

namespace wsr::replay {

class ReplaySession {
 public:
  // Who this live connection is.
  struct Identity {
    int index = 0;            // live index: 1, 2, ... in order of arrival
    int recorded_index = -1;  // the recorded connection serving it (ConnectionMatcher index)
    std::string path, query;  // of the live upgrade
    // --after-fault resume: where it continues from (null: from the start), and the live
    // connection it resumes (0: none).
    std::shared_ptr<const ResumeFrom> resumed_from;
    int resumes = 0;
  };
  // What the transport must do after an event (TakeCommands()).
  struct Commands {
    bool want_writable = false;   // the queue got something: call back when writable
    bool pause_clock = false;     // a breakpoint fired: pause every connection's clock
    bool feed_published = false;  // the live feed got events: wake its subscribers
  };
  // A client message larger than this closes the connection with 1009.
  static constexpr size_t kMaxClientMessage = 16u << 20;

  // `engine` is built for `id.recorded_index` (MakeReplayer, MeasureLatenessAtWrite() called
  // when the transport reports writes with OnWritten); `headroom` bytes precede each data
  // batch (LWS_PRE for lws_write).
  ReplaySession(Identity id, std::unique_ptr<ConnectionReplayer> engine, FaultPlan* plan,
                LiveFeed* feed, size_t headroom);

  // --- Events.
  // The upgrade was established at `now`: the timeline is anchored there. Call Poll() next.
  void Start(int64_t now);
  // A piece of a client message: `opcode` 1 (text) or 2 (binary) starts a new message, 0
  // continues it; `fin` ends it, which hands it to the replayer.
  void OnClientFrame(int64_t now, int opcode, std::string_view bytes, bool fin);
  // Releases what is due (only when idle(): a busy session is polled once its queue drained).
  void Poll(int64_t now);
  // Step: releases the next frame order allows (breakpoints let it pass), publishing "stepped"
  // on the feed before it; false when none.
  bool Step(int64_t now);
  // Releases exactly the frame held at a breakpoint; false when none is held.
  bool StepHeld(int64_t now);
  void Pause(int64_t now) { engine_->Pause(now); }
  // Resumes the clock and lets what a breakpoint held go.
  void Resume(int64_t now);
  void SetSpeed(int64_t now, double speed) { engine_->SetSpeed(now, speed); }
  void Skip(int64_t now, int64_t ns) { engine_->Skip(now, ns); }
  // The live client's HTTP request matched recorded exchange `index` (causal_gate.h).
  void OnExchangeAnswered(int64_t now, int index) { engine_->OnExchangeAnswered(now, index); }
  // Queues a close frame (once; nothing is queued after it), e.g. 1001 when the server stops.
  void Close(int code, const std::string& reason);
  // The front data batch was written at `now`: its frames' lateness is noted, it is popped.
  void OnWritten(int64_t now);
  // The transport ends the TCP connection without a close frame (a drop entry, or a write
  // that failed): nothing more is queued or written.
  void OnDropping();
  // The client sent a close frame (`code` 1005 when it had none).
  void OnPeerClosed(int64_t now, int code, std::string_view reason);
  // The socket is gone at `now`: final accounting (Report() is final afterwards), the live
  // feed's close event, and the resume point when a fault ended it (--after-fault resume).
  void OnSocketEnded(int64_t now);

  // --- Commands and state.
  Commands TakeCommands() {
    Commands c = commands_;
    commands_ = {};
    return c;
  }
  // The queue's front entry (what to write next); null when nothing is queued.
  OutgoingQueue::Entry* Front() { return queue_.empty() ? nullptr : &queue_.front(); }
  size_t queued() const { return queue_.size(); }
  // Absolute clock time at which Poll() (of the replayer or the stage) has work.
  std::optional<int64_t> NextDeadline();
  // NextDeadline() when idle(), nullopt otherwise: what a timer schedule files it under.
  std::optional<int64_t> DueAt() { return idle() ? NextDeadline() : std::nullopt; }
  // Nothing queued, no close pending: Poll() may release frames.
  bool idle() const { return !close_queued_ && queue_.empty(); }
  bool close_queued() const { return close_queued_; }
  bool at_break() const { return stage_->at_break(); }
  bool ended_by_fault() const { return stage_->ended_by_fault(); }
  int index() const { return id_.index; }
  const Identity& identity() const { return id_; }
  const std::string& mode() const { return engine_->report().mode; }
  // When its replay reaches session offset `session_ns` (ConnectionReplayer::ReachesSessionTime).
  std::optional<int64_t> ReachesSessionTime(int64_t session_ns) const {
    return engine_->ReachesSessionTime(session_ns);
  }
  // The connection's report: the replayer's, with what the fault stage suppressed.
  ConnectionReport Report();
  // GET status: the replayer's pending frames, the fault stage, the queue.
  nlohmann::json Status(int64_t now);

 private:
  // Passes what the replayer emitted through the stage and queues what goes out now.
  void Drive(int64_t now, bool stepping, bool mismatch);
  // Publishes the frames the stage let go on the feed and queues them (close and drop end
  // the queue).
  void Enqueue(int64_t now);

  Identity id_;
  std::unique_ptr<ConnectionReplayer> engine_;
  FaultPlan* plan_;
  LiveFeed* feed_;
  std::unique_ptr<FaultStage> stage_;  // built at Start (its time triggers count from there)
  OutgoingQueue queue_;
  bool close_queued_ = false;
  Commands commands_;
  std::string rx_;  // the client message being reassembled
  int rx_opcode_ = 1;
};

}  // namespace wsr::replay
