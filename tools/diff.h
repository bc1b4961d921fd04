// `wsreplay diff`: compares two recorded sessions topic by topic and reports, one line each,
// the events missing from B, added in B, reordered, and payload fields that changed, plus
// connection-level changes (count, path, handshake status, close code, reason and
// initiator), and the session's HTTP exchanges as one more stream "HTTP" (by method and path
// in request order; status and bodies compared, JSON bodies as JSON without the volatile
// fields; see diff_load.h). Control frames (ping, pong, close) are not events: the typed
// reads leave them out, and a connection's close is compared through its close code and
// reason. Volatile data is ignored (refs, join_refs, heartbeats and their replies, ids,
// timestamps; see diff_json.h).
//
// Alignment: connections by ordinal; within a connection, topics with the same name pair up,
// then the remaining topics pair by channel prefix in order of first appearance (so
// chat_room:<uuid-1> in A meets chat_room:<uuid-2> in B when fixture ids differ). See
// tools/VIZ.md. Not thread-safe (reads Cassettes).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tools/diff_json.h"
#include "tools/diff_load.h"

namespace wsr::tools {

struct DiffOptions {
  std::optional<std::string> session_a;
  std::optional<std::string> session_b;  // defaults to session_a
  IgnoreRules ignore;
};

struct DiffReport {
  std::vector<std::string> lines;  // human readable, one difference (or detail) per line
  size_t differences = 0;
  size_t events_compared = 0;
  size_t exchanges_compared = 0;  // HTTP exchanges (not counted in events_compared)
  bool equivalent() const { return differences == 0; }
};

DiffReport DiffSessions(const DiffSession& a, const DiffSession& b);

// Opens both cassettes read-only (the same path may be given twice) and compares.
// Throws wsr::Error on unreadable files or unknown sessions.
DiffReport DiffCassettes(const std::string& path_a, const std::string& path_b,
                         const DiffOptions& options);

}  // namespace wsr::tools
