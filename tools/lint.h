// `wsreplay lint`: checks every frame of a cassette session against the Thenvoi spec (the
// table in thenvoi/spec.h plus the Phoenix framing rules of spec section 2; see
// lint_rules.h for the checks) and reports findings with their frame. See tools/VIZ.md.
// Not thread-safe (reads a Cassette).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cassettes/cassette.h"
#include "tools/lint_rules.h"

namespace wsr::tools {

// A connection lint does not check: its frames are not Phoenix (cassettes/protocol_probe.h
// classifies connections as replay does), e.g. an `/echo` socket beside the Thenvoi one.
struct LintSkipped {
  int conn = 0;  // ordinal
  std::string path;
  size_t frames = 0;
};

struct LintReport {
  std::string session;
  size_t frames = 0;             // frames checked (those of Phoenix connections)
  std::vector<LintSkipped> raw;  // raw connections, in ordinal order
  size_t errors = 0;
  size_t warnings = 0;
  std::vector<LintFinding> findings;  // in frame order
};

LintReport LintSession(cassette::Cassette& cassette, const std::optional<std::string>& session);

// "error: conn 1 seq 5 +0.012345s s2c chat_room:... message_created /sender_id: ..."
std::string FormatFinding(const LintFinding& f);

// "conn 2 /echo: raw, not checked (14 frames)".
std::string FormatSkipped(const LintSkipped& s);

// The last line: "lint: N error(s), M warning(s) in K frames of session 'S'", plus
// " (R raw connection(s) not checked)" when there are some.
std::string LintSummary(const LintReport& r);

}  // namespace wsr::tools
