// `wsreplay show CASSETTE`: one line per frame, or JSON Lines with payloads (--json). With no
// --connection/--topic/--event filter, the session's HTTP exchanges (the REST half) are listed
// in time order between the frames, one line each (with --json, exchange objects of the JSON
// Lines format).
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cassettes/cassette.h"
#include "cli/commands.h"
#include "common/error.h"
#include "common/terminal_text.h"
#include "tools/jsonl.h"

namespace wsr::cli {
namespace {

struct ShowArgs {
  std::string path;
  std::optional<std::string> session, topic, event;
  std::optional<int> connection;
  bool json = false;
};

// One line per HTTP exchange, at its request offset: `h<connection> -> METHOD target status
// duration`, then the body sizes and marks.
void PrintExchange(const cassette::Exchange& e) {
  std::string target = e.path + (e.query.empty() ? "" : "?" + e.query);
  if (target.size() > 100) target = target.substr(0, 97) + "...";
  std::string status = e.status ? std::to_string(*e.status) : "no response";
  char duration[32] = "-";
  if (e.response_ns) {
    std::snprintf(duration, sizeof(duration), "%.1f ms",
                  static_cast<double>(*e.response_ns - e.request_ns) / 1e6);
  }
  std::string marks;
  if (e.initiator == "proxy") marks += "  [proxy's own answer]";
  if (e.flags & cassette::kRequestBodyDecoded) marks += "  [request body decoded]";
  if (e.flags & cassette::kResponseBodyDecoded) marks += "  [response body decoded]";
  if (!e.error.empty()) marks += "  (" + e.error + ")";
  PrintfSafe(stdout, "%12.6fs  h%-3d -> HTTP  %s %s  %s  %s  %zu B / %zu B%s\n",
             static_cast<double>(e.request_ns) / 1e9, e.http_connection, e.method.c_str(),
             target.c_str(), status.c_str(), duration, e.request_body.size(),
             e.response_body.size(), marks.c_str());
}

void Show(const ShowArgs& a) {
  auto c = cassette::Cassette::Open(a.path, cassette::Cassette::Mode::kReadOnly);
  auto s = c->ResolveSession(a.session);
  std::map<int64_t, int> ordinals;
  cassette::FrameFilter filter;
  filter.session_id = s.id;
  for (const auto& conn : c->Connections(s.id)) {
    ordinals[conn.id] = conn.ordinal;
    if (a.connection && conn.ordinal == *a.connection) filter.connection_id = conn.id;
  }
  if (a.connection && !filter.connection_id) {
    throw Error("session '" + s.name + "' has no connection " + std::to_string(*a.connection) +
                " (it has " + std::to_string(ordinals.size()) + "; see `wsreplay ls " + a.path +
                "`)");
  }
  filter.topic = a.topic;
  filter.event = a.event;
  filter.include_control = true;
  if (!a.json) {  // the handshake of each connection shown: request line, status, refusal body
    for (const auto& conn : c->Connections(s.id)) {
      if (a.connection && conn.ordinal != *a.connection) continue;
      std::string request_line = conn.request_head.substr(0, conn.request_head.find("\r\n"));
      std::string status_line = conn.response_head.substr(0, conn.response_head.find("\r\n"));
      PrintfSafe(stdout, "#%-3d %s  ->  %s\n", conn.ordinal,
                 request_line.empty() ? conn.path.c_str() : request_line.c_str(),
                 status_line.empty()
                     ? (conn.http_status ? std::to_string(*conn.http_status).c_str() : "-")
                     : status_line.c_str());
      if (conn.response_body && !conn.response_body->empty()) {
        std::string excerpt = conn.response_body->substr(0, 120);
        for (char& ch : excerpt) {
          if (static_cast<unsigned char>(ch) < 0x20) ch = ' ';
        }
        PrintfSafe(stdout, "     body (%zu B): %s%s\n", conn.response_body->size(), excerpt.c_str(),
                   conn.response_body->size() > 120 ? "..." : "");
      }
    }
  }
  std::vector<cassette::Exchange> exchanges;
  if (!a.connection && !a.topic && !a.event) exchanges = c->Exchanges(s.id);
  std::stable_sort(exchanges.begin(), exchanges.end(),
                   [](const cassette::Exchange& x, const cassette::Exchange& y) {
                     return x.request_ns < y.request_ns;
                   });
  size_t next_exchange = 0;
  auto print_exchanges_until = [&](std::optional<int64_t> offset_ns) {
    for (; next_exchange < exchanges.size(); ++next_exchange) {
      const auto& e = exchanges[next_exchange];
      if (offset_ns && e.request_ns > *offset_ns) break;
      if (a.json) {
        std::string line = tools::DumpLine(tools::ExchangeToJson(e, s.name));
        std::fwrite(line.data(), 1, line.size(), stdout);
        std::fputc('\n', stdout);
      } else {
        PrintExchange(e);
      }
    }
  };
  auto cursor = c->Frames(filter);
  cassette::Frame f;
  while (cursor.Next(&f)) {
    print_exchanges_until(f.offset_ns);
    int ordinal = ordinals[f.connection_id];
    if (a.json) {
      std::string line = tools::DumpLine(tools::FrameToJson(f, s.name, ordinal));
      std::fwrite(line.data(), 1, line.size(), stdout);
      std::fputc('\n', stdout);
      continue;
    }
    bool c2s = f.direction == cassette::Direction::kClientToServer;
    std::string marks;
    if (f.flags & cassette::kFrameCompressed) marks += "  [compressed]";
    if (f.flags & cassette::kFrameViolation) marks += "  [violation: " + f.note + "]";
    if (f.is_control()) {
      const char* kind = f.opcode == 8    ? "close"
                         : f.opcode == 9  ? "ping"
                         : f.opcode == 10 ? "pong"
                                          : "ctl?";
      std::string detail;
      if (f.opcode == 8 && f.payload.size() >= 2) {
        int code = (static_cast<unsigned char>(f.payload[0]) << 8) |
                   static_cast<unsigned char>(f.payload[1]);
        detail = "code " + std::to_string(code) +
                 (f.payload.size() > 2 ? " \"" + f.payload.substr(2) + "\"" : "");
      } else if (f.opcode == 8) {
        detail = "no code";
      } else {
        detail = "\"" + f.payload.substr(0, 60) + "\"";
      }
      PrintfSafe(stdout, "%12.6fs  #%-3d %s  %-6s  %s  %zu B%s\n",
                 static_cast<double>(f.offset_ns) / 1e9, ordinal, c2s ? "->" : "<-", kind,
                 detail.c_str(), f.payload.size(), marks.c_str());
      continue;
    }
    PrintfSafe(stdout, "%12.6fs  #%-3d %s  %-6s  %-28s  %-22s  %zu B%s\n",
               static_cast<double>(f.offset_ns) / 1e9, ordinal, c2s ? "->" : "<-",
               f.is_text() ? "text" : "binary", f.topic ? f.topic->c_str() : "-",
               f.event ? f.event->c_str() : "-", f.payload.size(), marks.c_str());
  }
  print_exchanges_until(std::nullopt);
  std::fflush(stdout);
}

}  // namespace

void AddShow(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("show",
                                 "Print a session's frames: offset, connection, direction (-> "
                                 "client to server, <- server to client), "
                                 "opcode, topic, event, size; and its HTTP exchanges between "
                                 "them (method, target, status, duration)");
  auto a = std::make_shared<ShowArgs>();
  cmd->add_option("cassette", a->path, "Cassette file")->required();
  cmd->add_option("--session", a->session, "Session name (needed when the cassette has several)");
  cmd->add_option("--connection", a->connection,
                  "Only this connection (its number in `wsreplay ls`)");
  cmd->add_option("--topic", a->topic, "Only frames of this Phoenix topic");
  cmd->add_option("--event", a->event, "Only frames of this Phoenix event");
  cmd->add_flag("--json", a->json,
                "JSON Lines with the payload (text as a string, binary as base64), and the HTTP "
                "exchanges with their bodies");
  cmd->callback([exit_code, a] {
    Show(*a);
    *exit_code = 0;
  });
}

}  // namespace wsr::cli
