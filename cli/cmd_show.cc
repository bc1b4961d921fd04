// `wsreplay show CASSETTE`: one line per frame, or JSON Lines with payloads (--json).
#include <cinttypes>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "cassettes/cassette.h"
#include "cli/commands.h"
#include "common/error.h"
#include "tools/jsonl.h"

namespace wsr::cli {
namespace {

struct ShowArgs {
  std::string path;
  std::optional<std::string> session, topic, event;
  std::optional<int> connection;
  bool json = false;
};

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
                " (it has " + std::to_string(ordinals.size()) + "; see `wsreplay ls " + a.path + "`)");
  }
  filter.topic = a.topic;
  filter.event = a.event;
  auto cursor = c->Frames(filter);
  cassette::Frame f;
  while (cursor.Next(&f)) {
    int ordinal = ordinals[f.connection_id];
    if (a.json) {
      std::string line = tools::DumpLine(tools::FrameToJson(f, s.name, ordinal));
      std::fwrite(line.data(), 1, line.size(), stdout);
      std::fputc('\n', stdout);
      continue;
    }
    bool c2s = f.direction == cassette::Direction::kClientToServer;
    std::printf("%12.6fs  #%-3d %s  %-6s  %-28s  %-22s  %zu B\n", static_cast<double>(f.offset_ns) / 1e9, ordinal,
                c2s ? "->" : "<-", f.is_text() ? "text" : "binary", f.topic ? f.topic->c_str() : "-",
                f.event ? f.event->c_str() : "-", f.payload.size());
  }
  std::fflush(stdout);
}

}  // namespace

void AddShow(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "show", "Print a session's frames: offset, connection, direction (-> client to server, <- server to client), "
              "opcode, topic, event, size");
  auto a = std::make_shared<ShowArgs>();
  cmd->add_option("cassette", a->path, "Cassette file")->required();
  cmd->add_option("--session", a->session, "Session name (needed when the cassette has several)");
  cmd->add_option("--connection", a->connection, "Only this connection (its number in `wsreplay ls`)");
  cmd->add_option("--topic", a->topic, "Only frames of this Phoenix topic");
  cmd->add_option("--event", a->event, "Only frames of this Phoenix event");
  cmd->add_flag("--json", a->json, "JSON Lines with the payload (text as a string, binary as base64)");
  cmd->callback([exit_code, a] {
    Show(*a);
    *exit_code = 0;
  });
}

}  // namespace wsr::cli
