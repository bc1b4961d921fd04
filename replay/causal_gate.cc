#include "replay/causal_gate.h"

#include <algorithm>
#include <utility>

#include "replay/http_matcher.h"
#include "replay/timeline.h"

namespace wsr::replay {

CausalGate::CausalGate(std::vector<cassette::Exchange> exchanges)
    : exchanges_(std::move(exchanges)),
      answered_at_(exchanges_.size()),
      requested_(exchanges_.size(), false) {
  for (size_t i = 0; i < exchanges_.size(); ++i) {
    const cassette::Exchange& e = exchanges_[i];
    if (!e.response_ns || !e.status || SafeMethod(e.method)) continue;
    causes_.emplace_back(*e.response_ns, static_cast<int>(i));
  }
  std::sort(causes_.begin(), causes_.end());
}

bool CausalGate::SafeMethod(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE";
}

int CausalGate::CauseOf(int64_t offset_ns) const {
  // The last cause whose response ended at or before offset_ns.
  auto it =
      std::upper_bound(causes_.begin(), causes_.end(), offset_ns,
                       [](int64_t t, const std::pair<int64_t, int>& c) { return t < c.first; });
  if (it == causes_.begin()) return -1;
  return std::prev(it)->second;
}

void CausalGate::Requested(int index) {
  if (index >= 0 && static_cast<size_t>(index) < requested_.size()) {
    requested_[static_cast<size_t>(index)] = true;
  }
}

void CausalGate::Answered(int index, int64_t now) {
  if (index < 0 || static_cast<size_t>(index) >= answered_at_.size()) return;
  requested_[static_cast<size_t>(index)] = true;
  if (!answered_at_[static_cast<size_t>(index)]) answered_at_[static_cast<size_t>(index)] = now;
}

std::string CausalGate::Describe(int index) const {
  const cassette::Exchange& e = exchange(index);
  return "request #" + std::to_string(e.ordinal) + " " + ExchangeLine(e);
}

int64_t ResponseDeadline(const cassette::Exchange& e, int64_t arrival, double speed, bool paused,
                         const std::vector<int64_t>& reached, int* decided_by) {
  if (decided_by) *decided_by = -1;
  if (paused) return Timeline::kNever;
  int64_t d = arrival;
  if (speed > 0 && e.response_ns && *e.response_ns > e.request_ns) {
    d += ScaledNs(static_cast<double>(*e.response_ns - e.request_ns) / speed);
  }
  for (size_t i = 0; i < reached.size(); ++i) {
    if (reached[i] <= d) continue;
    d = reached[i];
    if (decided_by) *decided_by = static_cast<int>(i);
  }
  return d;
}

}  // namespace wsr::replay
