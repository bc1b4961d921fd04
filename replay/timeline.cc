#include "replay/timeline.h"

#include <cmath>

namespace wsr::replay {

namespace {

int64_t HoldFar(int64_t v) { return v > kFarNs ? kFarNs : v < -kFarNs ? -kFarNs : v; }

}  // namespace

int64_t ScaledNs(double ns) {
  constexpr double kFar = static_cast<double>(kFarNs);
  if (!(ns < kFar)) return kFarNs;  // also NaN
  if (ns <= -kFar) return -kFarNs;
  return static_cast<int64_t>(std::llround(ns));
}

int64_t Timeline::VirtualAt(int64_t now) const {
  if (paused_) return v0_;
  if (max_speed()) return kNever;
  return HoldFar(v0_ + ScaledNs(static_cast<double>(now - t0_) * speed_));
}

int64_t Timeline::DeadlineFor(int64_t v, int64_t last_mark) {
  if (paused_) return kNever;
  if (max_speed()) return std::numeric_limits<int64_t>::min();
  int64_t d = t0_ + ScaledNs(static_cast<double>(v - v0_) / speed_);
  if (max_gap_ns_ > 0 && d > last_mark + max_gap_ns_) {
    // Cap this wait and shift the rest of the recording with it.
    t0_ = last_mark + max_gap_ns_;
    v0_ = v;
    d = t0_;
  }
  return d;
}

int64_t Timeline::PeekDeadline(int64_t v, int64_t last_mark) const {
  if (paused_) return kNever;
  if (max_speed()) return std::numeric_limits<int64_t>::min();
  int64_t d = t0_ + ScaledNs(static_cast<double>(v - v0_) / speed_);
  if (max_gap_ns_ > 0 && d > last_mark + max_gap_ns_) d = last_mark + max_gap_ns_;
  return d;
}

void Timeline::Reanchor(int64_t now) {
  if (!paused_ && !max_speed()) v0_ = VirtualAt(now);  // at max, v0_ tracks releases
  t0_ = now;
}

void Timeline::SetSpeed(int64_t now, double speed) {
  Reanchor(now);
  speed_ = speed;
}

void Timeline::Pause(int64_t now) {
  if (paused_) return;
  Reanchor(now);
  paused_ = true;
}

void Timeline::Resume(int64_t now) {
  if (!paused_) return;
  paused_ = false;
  t0_ = now;
}

void Timeline::JumpTo(int64_t now, int64_t v) {
  Reanchor(now);
  if (v > v0_) v0_ = HoldFar(v);
}

void Timeline::Skip(int64_t now, int64_t ns) {
  Reanchor(now);
  if (!max_speed()) v0_ = HoldFar(v0_ + ScaledNs(static_cast<double>(ns) * speed_));
}

}  // namespace wsr::replay
