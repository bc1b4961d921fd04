// ConnectionMatcher: decides which recorded connection serves a live upgrade.
//
// The n-th live connection to a path is served by the n-th recorded connection to the same
// path whose query matches as a set of parameters (order-insensitive; a recorded value that is
// a redaction placeholder matches any live value, but the parameter must be present). Each
// recorded connection serves once. A recorded refusal (http_status != 101) is answered with
// the same status. Not thread-safe (service thread).
#pragma once

#include <string>
#include <vector>

#include "cassettes/model.h"

namespace wsr::replay {

bool QueryMatches(const std::string& recorded, const std::string& live);

class ConnectionMatcher {
 public:
  explicit ConnectionMatcher(std::vector<cassette::Connection> recorded)
      : recorded_(std::move(recorded)), used_(recorded_.size(), false) {}
  // O(1) per upgrade when clients connect in recorded order (every entry before the first
  // unused one is skipped without a look), O(recorded) at worst.

  struct Choice {
    int index = -1;       // into recorded(); -1 when nothing serves it
    int status = 101;     // 101: upgrade; else the HTTP status to answer
    std::string message;  // for refusals: why, and what the cassette has
    // A recorded refusal: the response head the client got then (status line and headers as
    // received, secrets redacted) and its body, answered again as they were.
    std::string recorded_head;
    std::string recorded_body;
  };
  Choice Choose(const std::string& path, const std::string& query);
  // "#1 /socket/websocket?vsn=2.0.0 (served)", one per line.
  std::string Listing() const;

  const std::vector<cassette::Connection>& recorded() const { return recorded_; }
  bool used(size_t i) const { return used_[i]; }

 private:
  std::vector<cassette::Connection> recorded_;
  std::vector<bool> used_;
  size_t first_unused_ = 0;  // every entry before it is used
};

}  // namespace wsr::replay
