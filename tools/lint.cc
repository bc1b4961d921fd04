#include "tools/lint.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <tuple>

#include "cassettes/cassette_session.h"
#include "cassettes/protocol_probe.h"
#include "tools/lint_rest.h"

namespace wsr::tools {

LintReport LintSession(cassette::Cassette& cassette, const std::optional<std::string>& session) {
  LintReport r;
  cassette::Session s = cassette.ResolveSession(session);
  r.session = s.name;
  std::map<int64_t, std::pair<int, std::string>> conn_of;  // id -> (ordinal, query)
  std::map<int64_t, size_t> raw_of;                        // id -> index in r.raw
  cassette::CassetteSession source(cassette, s);
  LintWebSocketCollector ws;  // what the REST checks look for
  for (const auto& c : source.Connections()) {
    conn_of[c.id] = {c.ordinal, c.query};
    ws.AddConnection(c.ordinal, c.query, c.closed_ns);
    if (!cassette::ProbeProtocol(source, c).AnyPhoenix()) {
      raw_of[c.id] = r.raw.size();
      r.raw.push_back({.conn = c.ordinal, .path = c.path, .frames = 0});
    }
  }
  LintChecker checker;
  auto cur = cassette.Frames({.session_id = s.id});
  cassette::Frame f;
  while (cur.Next(&f)) {
    if (auto raw = raw_of.find(f.connection_id); raw != raw_of.end()) {
      ++r.raw[raw->second].frames;
      continue;
    }
    const auto& [ordinal, query] = conn_of[f.connection_id];
    checker.Check(ordinal, query, f);
    ++r.frames;
    ws.AddFrame(ordinal, f);
  }
  checker.Finish();
  r.findings = checker.findings();
  auto rest = LintExchanges(cassette.Exchanges(s.id), ws.Finish());
  r.exchanges = rest.checked;
  r.exchanges_skipped = rest.skipped;
  r.findings.insert(r.findings.end(), rest.findings.begin(), rest.findings.end());
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
  if (f.http) {
    return std::string(f.error ? "error" : "warning") + ": http #" + std::to_string(f.seq) + " " +
           at + " " + f.event + ": " + (f.path.empty() ? "" : f.path + ": ") + f.message;
  }
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

std::string FormatSkipped(const LintSkipped& s) {
  return "conn " + std::to_string(s.conn) + " " + s.path + ": raw, not checked (" +
         std::to_string(s.frames) + " frames)";
}

std::string LintSummary(const LintReport& r) {
  std::string out =
      "lint: " + std::to_string(r.errors) + " error(s), " + std::to_string(r.warnings) +
      " warning(s) in " + std::to_string(r.frames) + " frames" +
      (r.exchanges ? " and " + std::to_string(r.exchanges) + " HTTP exchanges" : std::string()) +
      " of session '" + r.session + "'";
  std::string unchecked;
  if (!r.raw.empty()) unchecked = std::to_string(r.raw.size()) + " raw connection(s)";
  if (r.exchanges_skipped) {
    if (!unchecked.empty()) unchecked += " and ";
    unchecked += std::to_string(r.exchanges_skipped) + " HTTP exchange(s) outside /api/v1";
  }
  if (!unchecked.empty()) out += " (" + unchecked + " not checked)";
  return out;
}

}  // namespace wsr::tools
