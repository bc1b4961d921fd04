// Clock: the seam through which wsreplay reads time, so timing logic is testable.
//
// NowNs() is monotonic nanoseconds from an arbitrary origin. SteadyClock reads
// std::chrono::steady_clock and is thread-safe. ManualClock only moves when Advance()/Set()
// is called; it is thread-safe too (an atomic), which lets a control endpoint move it from
// the service thread while tests read it.
#pragma once

#include <atomic>
#include <cstdint>

namespace wsr {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowNs() const = 0;
};

class SteadyClock final : public Clock {
 public:
  int64_t NowNs() const override;
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ns = 0) : now_(start_ns) {}
  int64_t NowNs() const override { return now_.load(); }
  // Moves the clock forward by ns (ns <= 0: no change), held to at most kMaxManualNs so that
  // deadlines computed from it (now + a recorded span of up to 2^61 ns) cannot overflow
  // however often it is advanced.
  static constexpr int64_t kMaxManualNs = int64_t{1} << 62;
  void Advance(int64_t ns) {
    int64_t cur = now_.load();
    while (ns > 0 && cur < kMaxManualNs &&
           !now_.compare_exchange_weak(cur, ns >= kMaxManualNs - cur ? kMaxManualNs : cur + ns)) {
    }
  }
  void Set(int64_t ns) { now_.store(ns); }

 private:
  std::atomic<int64_t> now_;
};

// Wall-clock time in nanoseconds since the Unix epoch (for record timestamps only).
int64_t WallClockNs();

}  // namespace wsr
