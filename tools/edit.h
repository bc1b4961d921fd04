// Editing commands on cassettes: redact in place, cut a slice into a new cassette, copy
// sessions between cassettes (merge), rename and remove sessions.
// Each function opens the cassettes it needs and does its writes in one transaction.
// Not thread-safe; one call at a time per cassette file.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "recorder/redactor.h"

namespace wsr::tools {

struct RedactSummary {
  int sessions = 0, connections = 0;
  int64_t frames = 0;  // rows changed
};
// Applies `rules` to every session/connection/frame, then scrubs the old bytes from the
// files: secure_delete, WAL checkpoint(TRUNCATE), VACUUM, and a sealed (journal_mode=DELETE)
// file. Throws wsr::Error when another process keeps the WAL from being emptied.
RedactSummary RedactCassette(const std::string& path, const RedactionRules& rules);

struct CutOptions {
  std::optional<std::string> session;
  std::optional<int64_t> from_ns, to_ns;
  std::set<std::string> topics;  // empty: all topics
};
struct CutSummary {
  std::string session;
  int connections = 0;
  int64_t frames = 0, carried_joins = 0;
};
// Writes the slice into a new cassette at `out_path` (which must not exist). Offsets are
// rebased so the slice starts at 0 (from_ns); frames of kept joins from before the slice
// sit at offset 0, in their original order. Sequence numbers are renumbered from 0.
CutSummary CutCassette(const std::string& in_path, const std::string& out_path,
                       const CutOptions& o);

// Copies every session of each input into `out_path` (created if missing), in one
// transaction. A session name that already exists in the output (or twice among the
// inputs) is an error naming it; nothing is written then.
struct MergeSummary {
  std::vector<std::string> sessions;
  int64_t frames = 0;
};
MergeSummary MergeCassettes(const std::string& out_path, const std::vector<std::string>& inputs);

void RenameSession(const std::string& path, const std::string& old_name,
                   const std::string& new_name);
void RemoveSession(const std::string& path, const std::string& name);

}  // namespace wsr::tools
