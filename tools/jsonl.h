// The wsreplay JSON Lines format (see tools/README.md): a header line, then per session its
// session line, its connection lines, its frame lines and its HTTP exchange lines. Lossless: export
// -> import -> export gives identical bytes.
//
// Export streams frames from a Cassette (not thread-safe, like the Cassette it reads).
// The row -> JSON functions are pure and also serve `show --json`.
#pragma once

#include <istream>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>

#include "cassettes/cassette.h"
#include "common/progress.h"
#include "recorder/redactor.h"
#include "tools/import_limits.h"

namespace wsr::tools {

inline constexpr const char* kJsonlFormat = "wsreplay-jsonl";
// 2: connection heads/refusal body/extensions, control frames, frame flags and note.
// 3: exchange lines (HTTP requests and responses).
inline constexpr int kJsonlVersion = 3;

nlohmann::ordered_json SessionToJson(const cassette::Session& s);
nlohmann::ordered_json ConnectionToJson(const cassette::Connection& c, const std::string& session);
nlohmann::ordered_json FrameToJson(const cassette::Frame& f, const std::string& session,
                                   int ordinal);
nlohmann::ordered_json ExchangeToJson(const cassette::Exchange& e, const std::string& session);
// One line of text (no newline), invalid UTF-8 in text fields replaced by U+FFFD.
std::string DumpLine(const nlohmann::ordered_json& j);

// Writes every session (or only `session`) of the cassette. `progress` (may be null) is
// given the number of frames and told how many are written.
void ExportJsonl(cassette::Cassette& c, const std::optional<std::string>& session,
                 std::ostream& out, Progress* progress = nullptr);

struct ImportCounts {
  int sessions = 0, connections = 0;
  int64_t frames = 0, exchanges = 0;
  std::vector<std::string> session_names;
};

// Reads JSON Lines and inserts the rows into `out` (inside the caller's transaction),
// applying `redactor`. `rename` renames the (single) session of the file.
// Throws wsr::Error naming the line on bad input, and on input over `limits`: a line longer
// than limits.LineCap() (read in chunks, so never held whole), a line with more than
// limits.max_line_values JSON values, a frame payload or an exchange body over
// limits.max_message_size. Memory
// is bounded by a few times the line cap. limits.progress is told the bytes read.
ImportCounts ImportJsonl(std::istream& in, cassette::Cassette& out, const Redactor& redactor,
                         const std::optional<std::string>& rename, const ImportLimits& limits = {});

}  // namespace wsr::tools
