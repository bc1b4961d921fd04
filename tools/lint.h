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

struct LintReport {
  std::string session;
  size_t frames = 0;
  size_t errors = 0;
  size_t warnings = 0;
  std::vector<LintFinding> findings;  // in frame order
};

LintReport LintSession(cassette::Cassette& cassette, const std::optional<std::string>& session);

// "error: conn 1 seq 5 +0.012345s s2c chat_room:... message_created /sender_id: ..."
std::string FormatFinding(const LintFinding& f);

// The last line: "lint: N error(s), M warning(s) in K frames of session 'S'".
std::string LintSummary(const LintReport& r);

}  // namespace wsr::tools
