// LoopTurnStats: with WSREPLAY_LOOP_STATS=1, a fixed-bucket histogram of a service loop's
// turns (one lws_service() call each), logged in one info line when the loop stops; the relay
// (proxy/relay_server.cc) and the replay server (replay/server_impl.cc) keep one each, and
// wsreplay-bench's scale section reads the line. "CPU" is the loop thread's CPU time in the
// turn (the poll scan and the callbacks, not the idle wait); "wall" includes the wait for
// events. Owned by the loop; only the loop thread touches it (not thread-safe); no allocation
// per turn.
#pragma once

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace wsr {

class LoopTurnStats {
 public:
  static bool Enabled() {
    const char* v = std::getenv("WSREPLAY_LOOP_STATS");
    return v != nullptr && std::strcmp(v, "1") == 0;
  }
  void Begin() {
    wall0_ = Now(CLOCK_MONOTONIC);
    cpu0_ = Now(CLOCK_THREAD_CPUTIME_ID);
  }
  void End() {
    int64_t cpu = Now(CLOCK_THREAD_CPUTIME_ID) - cpu0_;
    cpu_.Add(cpu);
    if (cpu > kSlowNs) {
      slow_turns_++;
      slow_cpu_ns_ += cpu;
    }
    wall_.Add(Now(CLOCK_MONOTONIC) - wall0_);
  }
  std::string Line() const {
    return "loop stats: " + std::to_string(cpu_.count) + " turns, CPU per turn " + cpu_.Text() +
           " (total " + Ms(cpu_.total_ns / 1000) + "), wall per turn " + wall_.Text() +
           ", turns over 5 ms CPU: " + std::to_string(slow_turns_) + " (" +
           Ms(slow_cpu_ns_ / 1000) + " CPU)";
  }

 private:
  // Buckets: 1 us wide below 100 us, then 90 per decade up to 1 s, then one overflow bucket.
  static constexpr int kBuckets = 100 + 4 * 90 + 1;
  struct Histogram {
    uint64_t buckets[kBuckets] = {};
    uint64_t count = 0;
    int64_t total_ns = 0, max_ns = 0;
    void Add(int64_t ns) {
      ns = std::max<int64_t>(ns, 0);
      buckets[Bucket(ns / 1000)]++;
      count++;
      total_ns += ns;
      max_ns = std::max(max_ns, ns);
    }
    // Nearest rank, as the upper bound of its bucket (never above the maximum), in us.
    int64_t PercentileUs(double p) const {
      uint64_t rank = static_cast<uint64_t>(p / 100.0 * static_cast<double>(count) + 0.999999);
      uint64_t seen = 0;
      for (int b = 0; b < kBuckets; b++) {
        seen += buckets[b];
        if (seen >= std::max<uint64_t>(rank, 1)) return std::min(UpperUs(b), max_ns / 1000 + 1);
      }
      return max_ns / 1000;
    }
    std::string Text() const {
      return "p50 " + Ms(PercentileUs(50)) + " p99 " + Ms(PercentileUs(99)) + " max " +
             Ms(max_ns / 1000);
    }
  };
  static int Bucket(int64_t us) {
    if (us < 100) return static_cast<int>(us);
    int base = 100;
    for (int64_t lo = 100, step = 10; lo < 1'000'000; lo *= 10, step *= 10, base += 90) {
      if (us < lo * 10) return base + static_cast<int>((us - lo) / step);
    }
    return kBuckets - 1;
  }
  static int64_t UpperUs(int b) {
    if (b < 100) return b + 1;
    int64_t lo = 100, step = 10;
    for (b -= 100; b >= 90; b -= 90, lo *= 10, step *= 10) {
    }
    return lo + (b + 1) * step;
  }
  static std::string Ms(int64_t us) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f ms", static_cast<double>(us) / 1000.0);
    return buf;
  }
  static int64_t Now(clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  }
  static constexpr int64_t kSlowNs = 5'000'000;
  Histogram cpu_, wall_;
  int64_t wall0_ = 0, cpu0_ = 0;
  uint64_t slow_turns_ = 0;
  int64_t slow_cpu_ns_ = 0;
};

}  // namespace wsr
