// Editing commands on cassettes: redact in place, cut a slice into a new cassette, copy
// sessions between cassettes (merge), rename and remove sessions.
//
// What a failure leaves (see cassettes/README.md, "Write commands"): each function first
// checks everything it can on read-only opens (the files are wsreplay cassettes, the
// sessions exist, names are free), and only then opens a cassette for writing
// (Cassette::Mode::kEdit: no switch to WAL mode), does its writes in one transaction and
// ends with the cassette sealed as a single file (journal_mode=DELETE, no -wal/-shm). A
// failed command leaves an existing cassette byte-identical. A new cassette is written as
// "<path>.tmp-<pid>" and renamed into place on success (see atomic_output.h), so a failure
// creates nothing.
//
// `progress` (may be null) is given the total and the frames done.
// Not thread-safe; one call at a time per cassette file.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/progress.h"
#include "recorder/redactor.h"

namespace wsr::tools {

struct RedactSummary {
  int sessions = 0, connections = 0;
  int64_t frames = 0, exchanges = 0;  // rows changed
};
// Applies `rules` to every session, connection, frame and HTTP exchange, then scrubs the old
// bytes from the files: secure_delete, WAL checkpoint(TRUNCATE), VACUUM, and a sealed
// (journal_mode=DELETE) file. Throws wsr::Error when another process keeps the WAL from being
// emptied.
RedactSummary RedactCassette(const std::string& path, const RedactionRules& rules,
                             Progress* progress = nullptr);

struct CutOptions {
  std::optional<std::string> session;
  std::optional<int64_t> from_ns, to_ns;
  std::set<std::string> topics;  // empty: all topics
};
struct CutSummary {
  std::string session;
  int connections = 0;
  int64_t frames = 0, carried_joins = 0;
  int64_t exchanges = 0;  // HTTP exchanges whose request started inside the window
};
// Writes the slice into a new cassette at `out_path` (which must not exist). Offsets are
// rebased so the slice starts at 0 (from_ns); frames of kept joins from before the slice
// sit at offset 0, in their original order. Sequence numbers are renumbered from 0. HTTP
// exchanges whose request started inside the window are kept, their offsets rebased the same
// way (a response after --to keeps its time), whatever the topics, and their ordinals
// renumbered from 1.
CutSummary CutCassette(const std::string& in_path, const std::string& out_path, const CutOptions& o,
                       Progress* progress = nullptr);

// Copies every session (connections, frames, HTTP exchanges) of each input into `out_path`
// (created if missing), in one transaction. A session name that already exists in the output
// (or twice among the inputs) is an error naming it; nothing is written then.
struct MergeSummary {
  std::vector<std::string> sessions;
  int64_t frames = 0, exchanges = 0;
};
MergeSummary MergeCassettes(const std::string& out_path, const std::vector<std::string>& inputs,
                            Progress* progress = nullptr);

void RenameSession(const std::string& path, const std::string& old_name,
                   const std::string& new_name);
void RemoveSession(const std::string& path, const std::string& name);

}  // namespace wsr::tools
