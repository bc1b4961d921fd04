#include "tools/lint.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <tuple>

namespace wsr::tools {

LintReport LintSession(cassette::Cassette& cassette, const std::optional<std::string>& session) {
  LintReport r;
  cassette::Session s = cassette.ResolveSession(session);
  r.session = s.name;
  std::map<int64_t, std::pair<int, std::string>> conn_of;  // id -> (ordinal, query)
  for (const auto& c : cassette.Connections(s.id)) conn_of[c.id] = {c.ordinal, c.query};
  LintChecker checker;
  auto cur = cassette.Frames({.session_id = s.id});
  cassette::Frame f;
  while (cur.Next(&f)) {
    const auto& [ordinal, query] = conn_of[f.connection_id];
    checker.Check(ordinal, query, f);
    ++r.frames;
  }
  checker.Finish();
  r.findings = checker.findings();
  std::stable_sort(
      r.findings.begin(), r.findings.end(), [](const LintFinding& a, const LintFinding& b) {
        return std::tie(a.offset_ns, a.conn, a.seq) < std::tie(b.offset_ns, b.conn, b.seq);
      });
  for (const auto& x : r.findings) (x.error ? r.errors : r.warnings)++;
  return r;
}

std::string FormatFinding(const LintFinding& f) {
  char at[48];
  std::snprintf(at, sizeof at, "+%.6fs", static_cast<double>(f.offset_ns) / 1e9);
  std::string out = std::string(f.error ? "error" : "warning") + ": conn " +
                    std::to_string(f.conn) + " seq " + std::to_string(f.seq) + " " + at + " " +
                    cassette::DirectionName(f.direction);
  if (!f.topic.empty()) out += " " + f.topic;
  if (!f.event.empty()) out += " " + f.event;
  out += ": ";
  if (!f.path.empty()) out += f.path + ": ";
  out += f.message;
  return out;
}

std::string LintSummary(const LintReport& r) {
  return "lint: " + std::to_string(r.errors) + " error(s), " + std::to_string(r.warnings) +
         " warning(s) in " + std::to_string(r.frames) + " frames of session '" + r.session + "'";
}

}  // namespace wsr::tools
