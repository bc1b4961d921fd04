// `wsreplay auto --cassette FILE --session NAME --upstream URL [flags]`: the VCR "once" mode.
// When the cassette has the session it is replayed (like `wsreplay replay`, with the replay
// flags); otherwise it is recorded: auto re-executes this binary as `wsreplay record` with
// --upstream, --cassette, --session, --listen and every flag it did not recognise (the record
// flags, e.g. --redact-param), so recording behaves exactly like `wsreplay record`.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cassettes/cassette.h"
#include "cli/commands.h"
#include "common/error.h"
#include "common/log.h"
#include "common/stop_signal.h"
#include "common/url.h"
#include "replay/replay_flags.h"
#include "replay/replay_server.h"

namespace wsr::cli {
namespace {

bool HasSession(const std::string& path, const std::string& session) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return false;
  auto c = cassette::Cassette::Open(path, cassette::Cassette::Mode::kReadOnly);
  return c->FindSession(session).has_value();
}

[[noreturn]] void ExecRecord(const replay::ReplayFlags& f, const std::string& upstream,
                             const std::string& listen, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"wsreplay", "record",    "--upstream", upstream,   "--cassette",
                                   f.cassette, "--session", f.session,    "--listen", listen};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  execv("/proc/self/exe", argv.data());
  throw Error(std::string("cannot start the recorder: ") + std::strerror(errno));
}

}  // namespace

void AddAuto(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "auto", "Replay the session if the cassette has it, else record it (VCR 'once' mode)");
  auto flags = std::make_shared<replay::ReplayFlags>();
  auto upstream = std::make_shared<std::string>();
  auto listen = std::make_shared<std::string>("127.0.0.1:8765");
  replay::AddReplayFlags(cmd, flags.get());
  cmd->get_option("--session")->required();
  cmd->add_option("--upstream", *upstream, "Upstream URL, used when recording")->required();
  cmd->add_option("--listen", *listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  cmd->allow_extras();
  cmd->footer("Flags auto does not know are passed to `wsreplay record` when it records.");
  cmd->callback([cmd, exit_code, flags, upstream, listen] {
    ParseWsUrl(*upstream);  // a bad URL is an error in both modes
    if (!HasSession(flags->cassette, flags->session)) {
      log::Info("auto: session '" + flags->session + "' is not in " + flags->cassette +
                ": recording it");
      ExecRecord(*flags, *upstream, *listen, cmd->remaining());
    }
    log::Info("auto: replaying session '" + flags->session + "' from " + flags->cassette);
    *exit_code = replay::ServeUntilSignal(*flags, *listen);
  });
}

}  // namespace wsr::cli
