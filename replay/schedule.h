// Schedule: which replayed connections are due when, for the server's one timer.
//
// Each entry is a connection id (its live index, 1, 2, ...) filed under the absolute clock
// time at which it has work (ReplaySession::DueAt()). Filing, moving and removing an entry
// costs O(log n), and a timer turn takes exactly the ids that are due, earliest first, so
// that an event never costs a pass over every connection. Sans-I/O: no clock, no timer (the
// caller arms its own for Earliest()); unit-tested (tests/replay/schedule_test.cc).
// Not thread-safe (service thread).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <utility>
#include <vector>

namespace wsr::replay {

class Schedule {
 public:
  // Files `id` (> 0) under `deadline`, or removes it when nullopt.
  void Set(int id, std::optional<int64_t> deadline);
  void Remove(int id) { Set(id, std::nullopt); }
  // The deadline `id` is filed under.
  std::optional<int64_t> DeadlineOf(int id) const;
  // The earliest deadline filed; nullopt when none.
  std::optional<int64_t> Earliest() const;
  // Removes the ids due at `now` (deadline <= now) and appends them to `ids`, earliest first
  // (ties by id).
  void TakeDue(int64_t now, std::vector<int>* ids);
  bool empty() const { return by_time_.empty(); }
  size_t size() const { return by_time_.size(); }
  void clear();

 private:
  static constexpr int64_t kNone = INT64_MIN;
  std::set<std::pair<int64_t, int>> by_time_;  // (deadline, id)
  std::vector<int64_t> at_;                    // by id: its deadline, kNone when not filed
};

}  // namespace wsr::replay
