// `wsreplay sessions CASSETTE rename OLD NEW | rm NAME`.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "common/error.h"
#include "tools/edit.h"

namespace wsr::cli {

void AddSessions(CLI::App& app, int* exit_code) {
  auto* cmd =
      app.add_subcommand("sessions",
                         "Rename or remove a session: `sessions CASSETTE rename OLD NEW` or "
                         "`sessions CASSETTE rm NAME`");
  auto args = std::make_shared<std::vector<std::string>>();
  cmd->add_option("args", *args, "CASSETTE rename OLD NEW | CASSETTE rm NAME")
      ->required()
      ->expected(-1);
  cmd->callback([exit_code, args] {
    const auto& v = *args;
    if (v.size() == 4 && v[1] == "rename") {
      tools::RenameSession(v[0], v[2], v[3]);
      std::printf("renamed session %s to %s in %s\n", v[2].c_str(), v[3].c_str(), v[0].c_str());
    } else if (v.size() == 3 && v[1] == "rm") {
      tools::RemoveSession(v[0], v[2]);
      std::printf("removed session %s from %s\n", v[2].c_str(), v[0].c_str());
    } else {
      throw Error(
          "usage: wsreplay sessions CASSETTE rename OLD NEW | wsreplay sessions CASSETTE rm NAME");
    }
    *exit_code = 0;
  });
}

}  // namespace wsr::cli
