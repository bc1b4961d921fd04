// `wsreplay ls CASSETTE`: the sessions of a cassette and their connections, as a table, with
// each session's count of HTTP exchanges (the REST half).
#include <cstdio>
#include <string>
#include <vector>

#include "cassettes/cassette.h"
#include "cli/commands.h"
#include "common/duration.h"
#include "common/error.h"
#include "common/terminal_text.h"
#include "tools/stats.h"
#include "tools/text_util.h"

namespace wsr::cli {
namespace {

using Row = std::vector<std::string>;

void PrintTable(const std::vector<Row>& rows, const std::string& indent) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    width.resize(std::max(width.size(), r.size()));
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (const auto& r : rows) {
    std::string line = indent;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    PrintfSafe(stdout, "%s\n", line.c_str());
  }
}

std::string Dash(const std::string& s) { return s.empty() ? "-" : s; }

void ListCassette(const std::string& path) {
  auto c = cassette::Cassette::Open(path, cassette::Cassette::Mode::kReadOnly);
  auto sessions = c->Sessions();
  if (sessions.empty()) {
    PrintfSafe(stdout, "%s: no sessions\n", path.c_str());
    return;
  }
  for (size_t i = 0; i < sessions.size(); ++i) {
    const auto& s = sessions[i];
    auto conns = c->Connections(s.id);
    auto counts = c->CountFramesByConnection(s.id);
    int64_t c2s = 0, s2c = 0, control = 0;
    for (const auto& [id, n] : counts) c2s += n.c2s, s2c += n.s2c, control += n.control;
    // Refused (an HTTP status other than 101) or failed (upstream unreachable: no status).
    size_t refused = 0;
    for (const auto& conn : conns) refused += conn.http_status != 101;
    if (i) PrintfSafe(stdout, "\n");
    PrintfSafe(stdout, "session %s  (%s, started %s, %s, upstream %s)\n", s.name.c_str(),
               s.source.c_str(), tools::FormatIso8601(s.started_at_ns, 3).c_str(),
               s.duration_ns ? ("lasted " + FormatDurationNs(*s.duration_ns)).c_str()
                             : "still recording or cut short",
               Dash(s.upstream).c_str());
    std::string control_text =
        control > 0 ? ", " + std::to_string(control) + " control frames (close/ping/pong)" : "";
    // The REST half (schema 4): HTTP exchanges, counted apart from the WebSocket connections.
    const int64_t exchanges = c->CountExchanges(s.id);
    std::string exchange_text =
        exchanges > 0 ? ", " + std::to_string(exchanges) + " HTTP exchange(s)" : "";
    PrintfSafe(
        stdout, "  %zu connection(s) (%zu refused/failed), %lld frames (%lld c2s, %lld s2c)%s%s\n",
        conns.size(), refused, static_cast<long long>(c2s + s2c), static_cast<long long>(c2s),
        static_cast<long long>(s2c), control_text.c_str(), exchange_text.c_str());
    if (conns.empty()) continue;
    std::vector<Row> rows{{"#", "PATH", "QUERY", "STATUS", "SUBPROTOCOL", "C2S", "S2C", "OPENED",
                           "DURATION", "CLOSE"}};
    for (const auto& conn : conns) {
      auto n = counts[conn.id];
      std::string status = conn.http_status ? std::to_string(*conn.http_status) : "unreachable";
      std::string duration =
          conn.closed_ns ? FormatDurationNs(*conn.closed_ns - conn.opened_ns) : "open";
      std::string close = "-";
      if (conn.close_code) {
        close = std::to_string(*conn.close_code);
        if (!conn.close_initiator.empty()) close += " by " + conn.close_initiator;
        if (!conn.close_reason.empty()) close += " \"" + conn.close_reason + "\"";
      } else if (conn.closed_ns) {
        close = "no code";
      }
      if (!conn.error.empty()) close += " (" + conn.error + ")";
      rows.push_back({std::to_string(conn.ordinal), conn.path, Dash(conn.query), status,
                      Dash(conn.subprotocol), std::to_string(n.c2s), std::to_string(n.s2c),
                      "+" + FormatDurationNs(conn.opened_ns), duration, close});
    }
    PrintTable(rows, "  ");
  }
}

}  // namespace

void AddLs(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "ls",
      "List a cassette's sessions and connections (status, frame counts, closes, HTTP exchanges)");
  auto path = std::make_shared<std::string>();
  cmd->add_option("cassette", *path, "Cassette file")->required();
  cmd->callback([exit_code, path] {
    ListCassette(*path);
    std::fflush(stdout);
    *exit_code = 0;
  });
}

}  // namespace wsr::cli
