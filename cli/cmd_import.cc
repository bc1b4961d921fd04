// `wsreplay import`: not implemented yet (placeholder so the CLI links).
#include "cli/commands.h"
#include "common/error.h"

namespace wsr::cli {

void AddImport(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("import", "(not implemented yet)");
  cmd->allow_extras();
  cmd->callback([exit_code] {
    *exit_code = 2;
    throw Error("'import' is not implemented yet");
  });
}

}  // namespace wsr::cli
