// `wsreplay merge OUT IN...`: copies every session of the inputs into OUT.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "common/error.h"
#include "common/progress.h"
#include "tools/edit.h"

namespace wsr::cli {

void AddMerge(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("merge",
                                 "Copy every session of the input cassettes into OUT (created if "
                                 "missing); a session name clash is an error");
  auto out = std::make_shared<std::string>();
  auto ins = std::make_shared<std::vector<std::string>>();
  cmd->add_option("out", *out, "Output cassette")->required();
  cmd->add_option("inputs", *ins, "Input cassettes")->required();
  cmd->callback([exit_code, out, ins] {
    auto progress = Progress::ForStderr("merge into " + *out);
    auto sum = tools::MergeCassettes(*out, *ins, progress.get());
    progress->Finish();
    std::string names;
    for (const auto& n : sum.sessions) names += (names.empty() ? "" : ", ") + n;
    std::printf("merged %zu session(s) (%s), %lld frame(s), %lld HTTP exchange(s) into %s\n",
                sum.sessions.size(), names.c_str(), static_cast<long long>(sum.frames),
                static_cast<long long>(sum.exchanges), out->c_str());
    *exit_code = 0;
  });
}

}  // namespace wsr::cli
