// `wsreplay lint`: checks every frame of a cassette session against the Thenvoi spec (the
// table in thenvoi/spec.h plus the Phoenix framing rules of spec section 2; see
// lint_rules.h for the checks), and its HTTP exchanges against the REST table
// (thenvoi/rest_spec.h; see lint_rest.h), and reports findings with their frame or exchange.
// See tools/VIZ.md.
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
  size_t exchanges = 0;          // HTTP exchanges checked (those under /api/v1)
  size_t exchanges_skipped = 0;  // other HTTP exchanges
  std::vector<LintSkipped> raw;  // raw connections, in ordinal order
  size_t errors = 0;
  size_t warnings = 0;
  std::vector<LintFinding> findings;  // in frame order
};

LintReport LintSession(cassette::Cassette& cassette, const std::optional<std::string>& session);

// "error: conn 1 seq 5 +0.012345s s2c chat_room:... message_created /sender_id: ...", or for an
// exchange "warning: http #2 +1.500000s POST /api/v1/agent/chats/r1/messages -> 201: ...".
std::string FormatFinding(const LintFinding& f);

// "conn 2 /echo: raw, not checked (14 frames)".
std::string FormatSkipped(const LintSkipped& s);

// The last line: "lint: N error(s), M warning(s) in K frames [and E HTTP exchanges] of session
// 'S'", plus
// " (R raw connection(s) [and X HTTP exchange(s) outside /api/v1] not checked)" when there are
// some.
std::string LintSummary(const LintReport& r);

}  // namespace wsr::tools
