// `wsreplay lint CASSETTE [--session NAME] [--errors-only]`: exit 0 when no errors, 1 when
// there are errors (or the cassette cannot be read). See tools/VIZ.md.
#include <cstdio>

#include "cli/commands.h"
#include "common/error.h"
#include "common/terminal_text.h"
#include "tools/lint.h"

namespace wsr::cli {

void AddLint(CLI::App& app, int* exit_code) {
  struct Args {
    std::string cassette, session;
    bool errors_only = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "lint", "Check every Phoenix frame of a session against the Thenvoi spec (exit 1 on errors)");
  cmd->add_option("cassette", args->cassette, "Cassette file")->required();
  cmd->add_option("--session", args->session, "Session name (needed when there are several)");
  cmd->add_flag("--errors-only", args->errors_only, "Do not print warnings");
  cmd->callback([args, exit_code] {
    auto c = cassette::Cassette::Open(args->cassette, cassette::Cassette::Mode::kReadOnly);
    std::optional<std::string> session;
    if (!args->session.empty()) session = args->session;
    auto report = tools::LintSession(*c, session);
    for (const auto& f : report.findings) {
      if (args->errors_only && !f.error) continue;
      PrintfSafe(stdout, "%s\n", tools::FormatFinding(f).c_str());
    }
    for (const auto& raw : report.raw)
      PrintfSafe(stdout, "%s\n", tools::FormatSkipped(raw).c_str());
    PrintfSafe(stdout, "%s\n", tools::LintSummary(report).c_str());
    std::fflush(stdout);
    *exit_code = report.errors > 0 ? 1 : 0;
  });
}

}  // namespace wsr::cli
