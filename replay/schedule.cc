#include "replay/schedule.h"

namespace wsr::replay {

void Schedule::Set(int id, std::optional<int64_t> deadline) {
  if (id <= 0) return;
  const size_t i = static_cast<size_t>(id);
  if (i < at_.size() && at_[i] != kNone) {
    if (deadline && *deadline == at_[i]) return;
    by_time_.erase({at_[i], id});
    at_[i] = kNone;
  }
  if (!deadline) return;
  if (i >= at_.size()) at_.resize(i + 1, kNone);
  at_[i] = *deadline;
  by_time_.emplace(*deadline, id);
}

std::optional<int64_t> Schedule::DeadlineOf(int id) const {
  const size_t i = static_cast<size_t>(id);
  if (id <= 0 || i >= at_.size() || at_[i] == kNone) return std::nullopt;
  return at_[i];
}

std::optional<int64_t> Schedule::Earliest() const {
  if (by_time_.empty()) return std::nullopt;
  return by_time_.begin()->first;
}

void Schedule::TakeDue(int64_t now, std::vector<int>* ids) {
  while (!by_time_.empty() && by_time_.begin()->first <= now) {
    int id = by_time_.begin()->second;
    by_time_.erase(by_time_.begin());
    at_[static_cast<size_t>(id)] = kNone;
    ids->push_back(id);
  }
}

void Schedule::clear() {
  by_time_.clear();
  at_.clear();
}

}  // namespace wsr::replay
