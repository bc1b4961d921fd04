// `wsreplay stats CASSETTE [--session NAME] [--json]`: frames per topic and event, rates, gaps,
// HTTP exchanges.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "cassettes/cassette.h"
#include "cli/commands.h"
#include "common/error.h"
#include "common/terminal_text.h"
#include "tools/stats.h"

namespace wsr::cli {

void AddStats(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "stats",
      "Frames per topic and event, rates, the gap distribution and HTTP exchanges of a session");
  auto path = std::make_shared<std::string>();
  auto session = std::make_shared<std::optional<std::string>>();
  cmd->add_option("cassette", *path, "Cassette file")->required();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("--session", *session, "Session name (needed when the cassette has several)");
  cmd->add_flag("--json", *json, "One JSON object instead of text");
  cmd->callback([exit_code, path, session, json] {
    auto c = cassette::Cassette::Open(*path, cassette::Cassette::Mode::kReadOnly);
    auto s = c->ResolveSession(*session);
    auto st = tools::ComputeStats(*c, s);
    if (*json) {
      std::fputs(tools::FormatStatsJson(st).c_str(), stdout);  // JSON escapes control bytes
    } else {
      PrintSafe(stdout, tools::FormatStats(st));
    }
    *exit_code = 0;
  });
}

}  // namespace wsr::cli
