// `wsreplay stats CASSETTE [--session NAME]`: frames per topic and event, rates, gaps.
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
      "stats", "Frames per topic and event, rates and the gap distribution of a session");
  auto path = std::make_shared<std::string>();
  auto session = std::make_shared<std::optional<std::string>>();
  cmd->add_option("cassette", *path, "Cassette file")->required();
  cmd->add_option("--session", *session, "Session name (needed when the cassette has several)");
  cmd->callback([exit_code, path, session] {
    auto c = cassette::Cassette::Open(*path, cassette::Cassette::Mode::kReadOnly);
    auto s = c->ResolveSession(*session);
    std::string text = tools::FormatStats(tools::ComputeStats(*c, s));
    PrintSafe(stdout, text);
    *exit_code = 0;
  });
}

}  // namespace wsr::cli
