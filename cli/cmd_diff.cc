// `wsreplay diff A B [--session NAME] [--session-b NAME] [--ignore POINTER]...
//  [--no-default-ignores]`. Exit 0 when equivalent, 1 when not, 2 on errors.
// See tools/VIZ.md.
#include <cstdio>

#include "cli/commands.h"
#include "common/error.h"
#include "common/terminal_text.h"
#include "tools/diff.h"

namespace wsr::cli {

void AddDiff(CLI::App& app, int* exit_code) {
  struct Args {
    std::string a, b, session, session_b;
    std::vector<std::string> ignore;
    bool no_defaults = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "diff", "Compare two sessions topic by topic (exit 0 equivalent, 1 different, 2 error)");
  cmd->add_option("a", args->a, "Cassette A (the reference)")->required();
  cmd->add_option("b", args->b, "Cassette B (may be the same file as A)")->required();
  cmd->add_option("--session", args->session,
                  "Session in A (and in B unless --session-b is given)");
  cmd->add_option("--session-b", args->session_b, "Session in B");
  cmd->add_option("--ignore", args->ignore,
                  "Payload field to ignore, as a JSON pointer (* matches any key or index); "
                  "repeatable");
  cmd->add_flag("--no-default-ignores", args->no_defaults,
                "Also compare ids (id, *_id) and timestamps (inserted_at, updated_at, ...)");
  cmd->callback([args, exit_code] {
    try {
      tools::DiffOptions opts;
      if (!args->session.empty()) opts.session_a = args->session;
      if (!args->session_b.empty()) opts.session_b = args->session_b;
      opts.ignore.volatile_defaults = !args->no_defaults;
      for (const auto& p : args->ignore) opts.ignore.AddPointer(p);
      auto report = tools::DiffCassettes(args->a, args->b, opts);
      for (const auto& line : report.lines) PrintfSafe(stdout, "%s\n", line.c_str());
      std::fflush(stdout);
      *exit_code = report.equivalent() ? 0 : 1;
    } catch (const std::exception& e) {  // wsr::Error and anything unexpected: exit 2
      PrintfSafe(stderr, "wsreplay: error: %s\n", e.what());
      *exit_code = 2;
    }
  });
}

}  // namespace wsr::cli
