// LintChecker: checks a stream of cassette frames against the Thenvoi protocol (spec sections
// 2 and 3, the table in thenvoi/spec.h) and collects findings. Per connection it tracks the
// requests awaiting a reply (by ref), the joined topics and their join_refs, so it can check
// replies, closes and pushes against them.
//
// Feed frames in recorded order with Check(); call Finish() once for end-of-stream findings
// (joins that never got a reply). Not thread-safe; one checker per lint run.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cassettes/model.h"

namespace wsr::tools {

struct LintFinding {
  bool error = true;  // false = warning
  int conn = 0;       // connection ordinal
  int64_t seq = 0;
  int64_t offset_ns = 0;
  cassette::Direction direction = cassette::Direction::kClientToServer;
  std::string topic;
  std::string event;
  std::string path;  // JSON pointer into the payload, "" when about the frame
  std::string message;
  // About an HTTP exchange (lint_rest.h): seq is its ordinal, offset_ns its request start,
  // event "METHOD /path -> status"; conn, direction and topic are unused.
  bool http = false;
};

class LintChecker {
 public:
  // `query` is the connection's query string (an agent_id there marks an agent connection).
  void Check(int conn_ordinal, const std::string& query, const cassette::Frame& frame);
  void Finish();
  const std::vector<LintFinding>& findings() const { return findings_; }

 private:
  struct Pending {
    enum Kind { kJoin, kLeave, kHeartbeat } kind;
    std::string topic;
    std::optional<std::string> join_ref;
    int64_t seq = 0;
    int64_t offset_ns = 0;
  };
  struct ConnState {
    std::map<std::string, Pending> pending;      // by ref text
    std::map<std::string, std::string> joined;   // topic -> join_ref text
    std::map<std::string, std::string> closing;  // left (reply ok), phx_close expected
    std::set<std::string> deleted_rooms;         // room_participants topics after room_deleted
    std::optional<std::string> agent_id;         // set when the connection is an agent's
    bool seen = false;
  };

  void Add(bool error, const std::string& path, const std::string& message);
  void CheckClientFrame(ConnState& st, const std::optional<std::string>& join_ref,
                        const std::optional<std::string>& ref, const std::string& payload_raw);
  void CheckServerFrame(ConnState& st, const std::optional<std::string>& join_ref,
                        const std::optional<std::string>& ref, const std::string& payload_raw);
  void CheckReply(ConnState& st, const std::optional<std::string>& join_ref,
                  const std::optional<std::string>& ref, const std::string& payload_raw);
  void CheckPush(ConnState& st, const std::optional<std::string>& join_ref,
                 const std::optional<std::string>& ref, const std::string& payload_raw);

  std::map<int, ConnState> conns_;
  std::vector<LintFinding> findings_;
  LintFinding at_;  // location of the frame being checked
};

}  // namespace wsr::tools
