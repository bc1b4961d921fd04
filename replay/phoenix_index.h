// PhoenixIndex: the client requests of one recorded Phoenix connection (joins, leaves and
// other client events, never heartbeats) with the recorded phx_reply / phx_close that
// answered each, loaded up front with one stream selected on the Phoenix columns
// (PhoenixSelect::kRequestsAndAnswers: they are few; the pushes are streamed separately).
// Read-only after Load; not thread-safe to build.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cassettes/session_source.h"

namespace wsr::replay {

struct RecordedAnswer {
  int64_t seq = 0;
  int64_t offset_ns = 0;  // recorded (session) offset
  std::string payload;    // raw JSON payload bytes, as recorded
  bool ok = false;        // phx_reply status "ok"
};

struct RecordedRequest {
  int64_t seq = 0;
  int64_t offset_ns = 0;
  std::string topic, event;
  std::string payload;                       // raw JSON payload bytes
  std::string frame;                         // the whole recorded frame text (for explanations)
  std::optional<std::string> ref, join_ref;  // ref texts
  std::optional<RecordedAnswer> reply;
  std::optional<RecordedAnswer> close;  // phx_close that followed a leave
};

class PhoenixIndex {
 public:
  void Load(cassette::SessionSource& source, int64_t connection_id);

  // The k-th (0-based) recorded request with this topic and event, or nullptr.
  const RecordedRequest* Find(const std::string& topic, const std::string& event, size_t k) const;
  size_t Count(const std::string& topic, const std::string& event) const;
  // Number of recorded joins of `topic` acknowledged "ok" before frame `seq`, and the
  // join reply of the last of them (for anchoring pushes to their join).
  int OkJoinsBefore(const std::string& topic, int64_t seq, const RecordedAnswer** last_reply) const;
  bool IsLeaveClose(int64_t seq) const { return leave_closes_.count(seq) > 0; }
  const std::map<std::pair<std::string, std::string>, std::vector<RecordedRequest>>& requests()
      const {
    return requests_;
  }

 private:
  std::map<std::pair<std::string, std::string>, std::vector<RecordedRequest>> requests_;
  std::map<std::string, std::vector<const RecordedAnswer*>> ok_joins_;  // by topic, in order
  std::set<int64_t> leave_closes_;
};

}  // namespace wsr::replay
