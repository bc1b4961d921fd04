// Fault injection and breakpoints: ONE filter stage between the replayers and the socket.
//
// A replayer (engine.h) decides WHAT the recording says to send and WHEN; every Action it
// emits then passes through the FaultStage of its live connection, which decides whether the
// frame goes out now, later (delay), twice (duplicate), never (skip, stall), instead of a close
// (close, drop), or waits at a breakpoint until Step/Resume. The session-wide FaultPlan holds
// the specs (each fault fires once per session, on the first connection it matches or the one
// its conn=K names; breakpoints hold at every match), counts upgrade attempts for
// refuse@connect:N, keeps the resume points of connections a fault ended (--after-fault
// resume), and records every hit with what the client did next (FaultHit, in the report).
//
// Sans-I/O: time comes in as arguments; tests drive it with a ManualClock. Not thread-safe:
// the service thread owns the plan and every stage; a stage borrows the plan, which outlives
// it.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "replay/engine.h"
#include "replay/fault_spec.h"
#include "replay/options.h"
#include "replay/report.h"

namespace wsr::replay {

class FaultPlan {
 public:
  FaultPlan(const std::vector<FaultSpec>& faults, const std::vector<FaultSpec>& breaks,
            AfterFault after_fault);

  void AddFault(const FaultSpec& spec);
  void AddBreak(const FaultSpec& spec);
  // Removes the breakpoints with that canonical text; false when there was none.
  bool RemoveBreak(const FaultSpec& spec);

  // An upgrade attempt at `now` (counted from 1): the HTTP status to refuse it with (0: none).
  // `live_index` is the index its report gets when refused.
  int OnUpgradeAttempt(int64_t now, int live_index);
  // The upgrade was accepted as live connection `live_index`.
  void OnConnected(int live_index);

  // --after-fault resume: where a recorded connection ended by a fault continues.
  struct ResumePoint {
    int recorded_index = -1;
    std::string path, query;
    int live_index = 0;  // the connection that ended
    std::shared_ptr<const ResumeFrom> from;
  };
  void AddResumePoint(ResumePoint p);
  // The resume point a live upgrade to path?query continues (oldest first), taken.
  std::optional<ResumePoint> TakeResumePoint(const std::string& path, const std::string& query);
  // Resume points no client took (their recorded frames are still owed).
  const std::deque<ResumePoint>& resume_points() const { return resume_points_; }

  AfterFault after_fault() const { return after_fault_; }
  // Whether stages must remember the seqs they deliver (a fault can end a connection).
  bool tracks_delivery() const { return tracks_delivery_; }
  const std::vector<FaultHit>& hits() const { return hits_; }
  nlohmann::json Status() const;  // the specs (fired or armed), breakpoints and hits

 private:
  friend class FaultStage;
  struct Armed {
    FaultSpec spec;
    bool fired = false;
  };
  FaultHit& Hit(const FaultSpec& spec, int connection, int64_t at_ns, std::string before,
                std::string effect);
  void AwaitReconnect(int hit_id, int64_t fired_ns);
  void NoteSent(int live_index);
  void NoteJoinReply(int live_index, const std::string& topic);

  std::vector<Armed> faults_;
  std::vector<FaultSpec> breaks_;
  AfterFault after_fault_;
  bool tracks_delivery_ = false;
  int64_t attempts_ = 0;
  std::vector<FaultHit> hits_;
  std::vector<std::pair<int, int64_t>> awaiting_reconnect_;  // hit id, fired at
  std::vector<int> awaiting_connection_;                     // hit ids
  std::deque<ResumePoint> resume_points_;
};

class FaultStage {
 public:
  FaultStage(FaultPlan* plan, int live_index, int64_t start_ns);

  // Takes what the replayer emitted at `now` (in order) and appends to `out` what goes out
  // now. `stepping`: the frames come from a manual step (breakpoints let them pass).
  // `mismatch`: the replayer just met a client frame the cassette does not have.
  void Filter(int64_t now, std::vector<Action>* in, std::vector<Action>* out, bool stepping = false,
              bool mismatch = false);
  // Releases delayed frames that are due and fires time triggers.
  void Poll(int64_t now, std::vector<Action>* out);
  // When Poll() has work (a delayed frame, a time trigger); nullopt: none.
  std::optional<int64_t> NextDeadline() const;

  // True once after a breakpoint fired: the caller pauses the clock (every connection).
  bool TakeBreakHit();
  // Held at a breakpoint: Step releases exactly the held frame; Resume lets everything go.
  bool StepHeld(int64_t now, std::vector<Action>* out);
  void ResumeHeld(int64_t now, std::vector<Action>* out);
  bool at_break() const { return state_ == State::kBreak; }

  // The replayer need not be polled for timed frames: the stage ended, stalled or holds a
  // full batch.
  bool HoldsReplayer() const;
  // A close, drop or stall fault ended (or stalled) this connection.
  bool ended_by_fault() const { return state_ == State::kEnded || state_ == State::kStalled; }
  // Recorded frames the replayer released that never went out (skip, stall, lost at the end),
  // with why; the report lists them as undelivered (a resumed connection delivers them later
  // and clears this one's list).
  int64_t suppressed() const { return suppressed_; }
  const std::vector<UndeliveredFrame>& lost() const { return lost_; }
  // Seqs delivered (only when the plan tracks delivery) and the recorded time reached.
  const std::set<int64_t>& delivered() const { return delivered_; }
  int64_t reached_v() const { return reached_v_; }
  // How a fault ended it, for the report's close field ("" when none did).
  const std::string& end_note() const { return end_note_; }
  nlohmann::json Status(int64_t now) const;

 private:
  enum class State { kOpen, kBreak, kStalled, kEnded };
  struct Item {
    Action a;
    int64_t not_before = 0;
    bool evaluated = false;  // triggers already checked (the frame at a breakpoint)
    bool stepping = false;
    bool break_here = false;  // a mismatch breakpoint holds this frame
  };
  enum class Verdict { kSend, kConsumed, kHold };
  // Checks the front frame against the faults (and breakpoints) once; kConsumed: it was
  // removed (skip); kHold: it stays (delayed, at a breakpoint, or the connection ended).
  Verdict EvaluateFront(int64_t now, bool check_breaks, std::vector<Action>* out);
  void Process(int64_t now, std::vector<Action>* out);
  void FireTimeTriggers(int64_t now, std::vector<Action>* out);
  bool Matches(const FaultSpec& s, int64_t now, const Action& a) const;
  bool ConnMatches(const FaultSpec& s) const { return s.conn == 0 || s.conn == live_index_; }
  void End(int64_t now, const FaultSpec& spec, std::string before, std::vector<Action>* out);
  void Send(Action a, std::vector<Action>* out);
  void DropQueue();
  void Lose(const Action& a, const std::string& reason);
  std::string Describe(const Action& a) const;

  FaultPlan* plan_;
  int live_index_;
  int64_t start_ns_;
  State state_ = State::kOpen;
  bool break_hit_ = false;
  std::deque<Item> queue_;
  int64_t delay_ns_ = 0;
  int64_t frames_ = 0;  // server-to-client frames evaluated so far (frame:N counts these)
  int64_t suppressed_ = 0;
  std::set<int64_t> delivered_;
  int64_t reached_v_ = 0;
  std::set<std::string> time_breaks_fired_;
  FaultSpec mismatch_break_;
  std::string end_note_;
  std::vector<UndeliveredFrame> lost_;  // the first ConnectionReport::kMaxListed
};

}  // namespace wsr::replay
