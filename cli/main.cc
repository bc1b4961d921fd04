// wsreplay: record and replay WebSocket sessions (Thenvoi / Phoenix Channels first).
#include <cstdio>
#include <exception>
#include <string>

#include "cassettes/model.h"
#include "cli/commands.h"
#include "cli/version.h"
#include "common/error.h"
#include "common/log.h"
#include "common/terminal_text.h"

int main(int argc, char** argv) {
  CLI::App app{"wsreplay: record and replay WebSocket sessions (Thenvoi / Phoenix Channels)",
               "wsreplay"};
  // "wsreplay 0.1.0 (cassette schema 4)": the release and the cassette format it writes.
  app.set_version_flag("--version", std::string("wsreplay ") + wsr::kVersion +
                                        " (cassette schema " +
                                        std::to_string(wsr::cassette::kSchemaVersion) + ")");
  app.require_subcommand(1);
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "Log debug details (libwebsockets too) to stderr");
  app.footer("Run `wsreplay CMD --help` for a command's flags. Quick demo: `wsreplay demo`.");

  int exit_code = 0;
  wsr::cli::AddRecord(app, &exit_code);
  wsr::cli::AddReplay(app, &exit_code);
  wsr::cli::AddAuto(app, &exit_code);
  wsr::cli::AddExec(app, &exit_code);
  wsr::cli::AddSim(app, &exit_code);
  wsr::cli::AddDemo(app, &exit_code);
  wsr::cli::AddLs(app, &exit_code);
  wsr::cli::AddShow(app, &exit_code);
  wsr::cli::AddExport(app, &exit_code);
  wsr::cli::AddImport(app, &exit_code);
  wsr::cli::AddTimeline(app, &exit_code);
  wsr::cli::AddDiff(app, &exit_code);
  wsr::cli::AddLint(app, &exit_code);
  wsr::cli::AddRedact(app, &exit_code);
  wsr::cli::AddCut(app, &exit_code);
  wsr::cli::AddSessions(app, &exit_code);
  wsr::cli::AddMerge(app, &exit_code);
  wsr::cli::AddStats(app, &exit_code);

  app.parse_complete_callback([&] {
    if (verbose) wsr::log::SetLevel(wsr::log::Level::kDebug);
    wsr::log::InstallLwsLogger();
  });

  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    std::string names;
    for (const auto* sub : app.get_subcommands({})) {
      known = known || sub->get_name() == argv[1];
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      wsr::PrintfSafe(stderr,
                      "wsreplay: unknown command '%s' (commands: %s; see `wsreplay --help`)\n",
                      argv[1], names.c_str());
      return 2;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) {
      wsr::PrintfSafe(stderr, "wsreplay: %s (see `wsreplay --help`)\n", e.what());
      return 2;
    }
    return app.exit(e);
  } catch (const wsr::Error& e) {
    wsr::PrintfSafe(stderr, "wsreplay: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    wsr::PrintfSafe(stderr, "wsreplay: internal error: %s\n", e.what());
    return 1;
  }
  return exit_code;
}
