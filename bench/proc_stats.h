// Figures about other processes read from /proc: CPU time (utime+stime) and memory
// (VmRSS, VmHWM). Used by the benchmark to show that the load generator and the echo server
// are not the bottleneck and that a proxy's memory stays flat.
//
// Pure reads of /proc; thread-safe. A process that vanished reads as zero.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <vector>

namespace wsr::bench {

// CPU seconds (user + system) consumed so far by pid.
double CpuSeconds(pid_t pid);
// Nanoseconds pid's main thread spent runnable but waiting for a CPU (/proc/<pid>/schedstat):
// shows when other load on the machine distorts a measurement.
double RunQueueWaitSeconds(pid_t pid);
// pid and its direct children (nginx: master + workers).
std::vector<pid_t> ProcessTree(pid_t pid);

struct Memory {
  int64_t rss_kib = 0;  // VmRSS
  int64_t hwm_kib = 0;  // VmHWM (peak RSS)
};
Memory ReadMemory(pid_t pid);
// Summed over ProcessTree(pid).
Memory ReadTreeMemory(pid_t pid);

// Measures the CPU share (100 % = one core) of a process tree over an interval.
class CpuMeter {
 public:
  // tree: also count pid's direct children (nginx workers); off for the bench itself, whose
  // children are the processes under test.
  explicit CpuMeter(pid_t pid, bool tree = false);
  // Percent of one core since construction.
  double Percent() const;
  // Percent of the interval the process (tree) spent waiting for a CPU while runnable.
  double WaitPercent() const;

 private:
  double TreeSeconds() const;
  double TreeWaitSeconds() const;
  pid_t pid_;
  bool tree_;
  double start_cpu_;
  double start_wait_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace wsr::bench
