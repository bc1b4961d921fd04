// `wsreplay sim`: the built-in Thenvoi simulator (sim/server.h, documented in sim/README.md).
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "common/error.h"
#include "common/fd_limit.h"
#include "common/log.h"
#include "common/stop_signal.h"
#include "sim/server.h"

namespace wsr::cli {
namespace {

struct SimFlags {
  std::string listen = "127.0.0.1:8765";
  std::string scenario;
  std::string keys;
  std::string idle_timeout = "45000";
  int kick_code = 1000;
  bool print_scenario = false;
  bool print_keys = false;
};

int ParseMs(const std::string& s, const char* flag) {
  try {
    size_t pos = 0;
    long v = std::stol(s, &pos);
    if (pos == s.size() && v > 0 && v <= 24L * 3600 * 1000) return static_cast<int>(v);
  } catch (const std::exception&) {
  }
  throw Error(std::string("bad ") + flag + " '" + s + "': expected milliseconds, e.g. 45000");
}

int RunSim(const SimFlags& f) {
  if (f.print_scenario || f.print_keys) {
    std::string_view text = f.print_keys ? sim::Keys::DefaultText() : sim::Scenario::DefaultText();
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return 0;
  }
  if (f.kick_code != 0 && f.kick_code != 1000 && f.kick_code != 1001 &&
      (f.kick_code < 3000 || f.kick_code > 4999)) {
    throw Error("bad --kick-code " + std::to_string(f.kick_code) +
                ": use 1000, 1001, 3000-4999, or 0 for a TCP drop");
  }
  sim::SimOptions opt;
  opt.listen = ParseListenAddr(f.listen);
  opt.idle_timeout_ms = ParseMs(f.idle_timeout, "--idle-timeout");
  opt.kick_code = f.kick_code;
  if (!f.keys.empty()) opt.keys = sim::Keys::Load(f.keys);
  if (!f.scenario.empty()) {
    std::vector<std::string> warnings;
    opt.scenario = sim::Scenario::Load(f.scenario, &warnings);
    for (const auto& w : warnings) log::Warn(w);
  }
  InstallStopSignals();
  const FdLimit fd_limit = RaiseFdLimit();  // before lws sizes its tables from it
  sim::SimServer server(std::move(opt));
  server.Listen();
  LogFdHeadroom(fd_limit, "sim", 1, kTargetConnections);
  std::printf("listening on %s\n", server.url().c_str());
  std::fflush(stdout);
  server.Run();
  log::Info("simulator stopped");
  return 0;
}

}  // namespace

void AddSim(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<SimFlags>();
  auto* cmd = app.add_subcommand(
      "sim",
      "Run the built-in Thenvoi simulator: a faithful stand-in for "
      "wss://app.thenvoi.com/api/v1/socket/websocket (Phoenix Channels v2) that pushes a "
      "scripted scenario to joined topics, and on the same port the Agent REST API "
      "(/api/v1/agent/...) whose calls cause the matching pushes. See sim/README.md.");
  cmd->add_option("--listen", flags->listen,
                  "HOST:PORT to listen on (default 127.0.0.1:8765; port 0 picks a free port). "
                  "Prints `listening on ws://HOST:PORT` once accepting")
      ->type_name("HOST:PORT");
  cmd->add_option(
         "--scenario", flags->scenario,
         "JSON Lines file of pushes {\"at_ms\":N,\"topic\":T,\"event\":E,\"payload\":{..}}, "
         "timed from each connection's open (default: the built-in scenario, see "
         "--print-default-scenario)")
      ->type_name("FILE");
  cmd->add_option(
         "--keys", flags->keys,
         "JSON Lines file of identities {\"key\":K,\"type\":\"user\"|\"agent\",\"id\":UUID,"
         "\"owner_id\":UUID,\"name\":S,\"rooms\":[UUID..]} (default: built-in keys, see "
         "--print-default-keys)")
      ->type_name("FILE");
  cmd->add_option("--idle-timeout", flags->idle_timeout,
                  "Close a connection (code 1000) after this many ms without a client frame "
                  "(default 45000, Thenvoi's documented 45 s)")
      ->type_name("MS");
  cmd->add_option("--kick-code", flags->kick_code,
                  "Close code an agent's older connection gets when the same agent connects "
                  "again (last connection wins): 1000 (default), 1001, or 0 to drop the TCP "
                  "connection without a close frame")
      ->type_name("CODE");
  cmd->add_flag("--print-default-scenario", flags->print_scenario,
                "Print the built-in scenario (JSON Lines) and exit");
  cmd->add_flag("--print-default-keys", flags->print_keys,
                "Print the built-in keys (JSON Lines) and exit");
  cmd->footer(
      "Built-in keys: sim-user-alice (user 0b8e5a92-61d4-4c3e-8f7a-9e2c1d4b6a58), "
      "sim-agent-weather (agent 7d2f4c1e-3b9a-4e8f-9c61-2a5b8d0e4f13, owned by that user), "
      "sim-agent-booking (agent 9c3e5a71-0d2f-4b84-a6e9-3f1b7d5c2e80); all three are in room "
      "5f0c9a3e-2d71-4b8e-a6c4-81e9f2d03b7a.\nConnect to "
      "ws://127.0.0.1:8765/api/v1/socket/websocket?api_key=sim-user-alice&vsn=2.0.0 "
      "(add &agent_id=UUID to act as an agent you own).");
  cmd->callback([flags, exit_code] { *exit_code = RunSim(*flags); });
}

}  // namespace wsr::cli
