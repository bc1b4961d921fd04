// Timeline: maps recorded time ("virtual" ns since the recorded connection opened) to
// absolute clock deadlines for one live connection.
//
// virtual(t) = v0 + (t - t0) * speed. A frame due at virtual time v gets the absolute
// deadline t0 + (v - v0) / speed, so errors never accumulate. Speed changes, pause/resume,
// --max-gap caps and manual steps re-anchor (v0, t0) without moving what already happened.
// At speed max every deadline is "now" (order alone decides). Not thread-safe: owned by one
// connection's replayer on the service thread.
//
// Range: recorded times reach +-2^61 ns (cassettes hold offsets within +-2^60, a connection's
// relative times are differences of two) and --speed is any positive number, so scaled spans
// go through ScaledNs, which holds them to +-kFarNs (73 years). Sums of two such values, or of
// one and a clock reading, cannot overflow; a deadline that far out is simply never reached.
#pragma once

#include <cstdint>
#include <limits>

namespace wsr::replay {

// ns (a recorded or clock span already multiplied or divided by a speed), rounded and held to
// [-kFarNs, kFarNs]; NaN gives kFarNs. Pure; thread-safe.
inline constexpr int64_t kFarNs = int64_t{1} << 61;
int64_t ScaledNs(double ns);

class Timeline {
 public:
  static constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

  Timeline(double speed, int64_t max_gap_ns) : speed_(speed), max_gap_ns_(max_gap_ns) {}

  void Start(int64_t now) {
    t0_ = now;
    v0_ = 0;
  }
  bool max_speed() const { return speed_ <= 0; }
  bool paused() const { return paused_; }
  double speed() const { return speed_; }

  // Recorded time reached at clock time `now` (at max speed: +infinity, here kNever).
  int64_t VirtualAt(int64_t now) const;

  // Absolute deadline of a frame due at virtual time v. `last_mark` is the deadline of the
  // previous release on this connection (or its start): with --max-gap the wait since then
  // is capped, and the timeline re-anchors so later frames keep their recorded gaps.
  // kNever while paused; `now`-or-earlier values mean "due".
  int64_t DeadlineFor(int64_t v, int64_t last_mark);
  // The deadline DeadlineFor(v, last_mark) would give, without re-anchoring anything: when
  // recorded time v will be reached (asked for time points that are not frames).
  int64_t PeekDeadline(int64_t v, int64_t last_mark) const;

  void SetSpeed(int64_t now, double speed);
  void Pause(int64_t now);
  void Resume(int64_t now);
  // Jumps recorded time forward so that virtual time v is reached at `now` (manual step).
  void JumpTo(int64_t now, int64_t v);
  // Moves recorded time forward by `ns` of clock time at the current speed (advance on a real
  // clock).
  void Skip(int64_t now, int64_t ns);
  // At max speed recorded time only moves with releases: remember how far they went, so a
  // later switch to a finite speed continues from there.
  void NoteReleased(int64_t v) {
    if (max_speed() && v > v0_) v0_ = v;
  }

 private:
  void Reanchor(int64_t now);
  double speed_;
  int64_t max_gap_ns_;
  int64_t t0_ = 0, v0_ = 0;
  bool paused_ = false;
};

}  // namespace wsr::replay
