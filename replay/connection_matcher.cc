#include "replay/connection_matcher.h"

#include <algorithm>

#include "common/url.h"
#include "recorder/redactor.h"

namespace wsr::replay {

bool QueryMatches(const std::string& recorded, const std::string& live) {
  auto decode = [](const std::string& q) {
    QueryParams p = SplitQuery(q);
    for (auto& [k, v] : p) {
      k = PercentDecode(k);
      v = PercentDecode(v);
    }
    std::sort(p.begin(), p.end());
    return p;
  };
  QueryParams a = decode(recorded), b = decode(live);
  if (a.size() != b.size()) return false;
  // Keys must pair up one to one; placeholders accept any value of the same key.
  std::vector<bool> taken(b.size(), false);
  for (const auto& [k, v] : a) {
    bool found = false;
    for (size_t i = 0; i < b.size() && !found; ++i) {
      if (taken[i] || b[i].first != k) continue;
      if (b[i].second == v || Redactor::IsPlaceholder(v)) {
        taken[i] = true;
        found = true;
      }
    }
    if (!found) return false;
  }
  return true;
}

ConnectionMatcher::Choice ConnectionMatcher::Choose(const std::string& path,
                                                    const std::string& query) {
  Choice c;
  while (first_unused_ < used_.size() && used_[first_unused_]) ++first_unused_;
  bool any_path = false;
  for (size_t i = first_unused_; i < recorded_.size(); ++i) {
    const auto& r = recorded_[i];
    if (r.path != path) continue;
    any_path = true;
    if (used_[i] || !QueryMatches(r.query, query)) continue;
    used_[i] = true;
    c.index = static_cast<int>(i);
    if (r.http_status.value_or(0) != 101) {
      c.status = r.http_status.value_or(502);
      if (c.status < 200 || c.status > 599) c.status = 502;
      c.message = "recorded refusal of connection #" + std::to_string(r.ordinal) +
                  (r.error.empty() ? std::string() : ": " + r.error);
      c.recorded_head = r.response_head;
      c.recorded_body = r.response_body.value_or(std::string());
    }
    return c;
  }
  for (size_t i = 0; i < first_unused_ && !any_path; ++i) any_path = recorded_[i].path == path;
  c.status = any_path ? 409 : 404;
  std::string target = path + (query.empty() ? "" : "?" + query);
  c.message =
      std::string(any_path ? "no recorded connection left for " : "no recorded connection for ") +
      target + "; the cassette has:\n" + Listing();
  return c;
}

std::string ConnectionMatcher::Listing() const {
  std::string s;
  for (size_t i = 0; i < recorded_.size(); ++i) {
    const auto& r = recorded_[i];
    s += "  #" + std::to_string(r.ordinal) + " " + r.path + (r.query.empty() ? "" : "?" + r.query);
    if (r.http_status.value_or(0) != 101) {
      s += " (refused " + std::to_string(r.http_status.value_or(0)) + ")";
    }
    s += used_[i] ? " (served)\n" : " (available)\n";
  }
  if (recorded_.empty()) s = "  (no connections)\n";
  return s;
}

}  // namespace wsr::replay
