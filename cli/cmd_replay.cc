// `wsreplay replay`: serve a recorded session from a cassette to live WebSocket clients
// (see replay/README.md). The cassette is opened read-only and checked, and the session
// resolved, before anything listens; then the readiness line is printed. SIGINT/SIGTERM close
// live connections with 1001, print the report to stderr and exit (non-zero with --strict
// when the report is not clean).

#include "cli/commands.h"
#include "replay/replay_flags.h"

namespace wsr::cli {

void AddReplay(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "replay", "Serve a recorded session to live clients (Phoenix-aware, timed, offline)");
  auto flags = std::make_shared<replay::ReplayFlags>();
  auto listen = std::make_shared<std::string>("127.0.0.1:8765");
  replay::AddReplayFlags(cmd, flags.get());
  cmd->add_option("--listen", *listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  cmd->callback(
      [exit_code, flags, listen] { *exit_code = replay::ServeUntilSignal(*flags, *listen); });
}

}  // namespace wsr::cli
