// `wsreplay cut CASSETTE --out FILE [--session NAME] [--from D] [--to D] [--topic T]...`.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "common/duration.h"
#include "common/error.h"
#include "common/progress.h"
#include "tools/edit.h"

namespace wsr::cli {
namespace {
struct CutArgs {
  std::string path, out;
  std::optional<std::string> session, from, to;
  std::vector<std::string> topics;
};
}  // namespace

void AddCut(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("cut",
                                 "Write a slice of a session into a new cassette (joins of kept "
                                 "topics are carried along; offsets rebased to --from)");
  auto a = std::make_shared<CutArgs>();
  cmd->add_option("cassette", a->path, "Cassette to read")->required();
  cmd->add_option("--out", a->out, "New cassette to write (must not exist)")->required();
  cmd->add_option("--session", a->session, "Session name (needed when the cassette has several)");
  cmd->add_option("--from", a->from,
                  "Start of the slice as an offset from the session start, e.g. 2s, 150ms");
  cmd->add_option("--to", a->to, "End of the slice (inclusive), e.g. 10s");
  cmd->add_option("--topic", a->topics,
                  "Keep only these Phoenix topics (repeatable; heartbeats stay)");
  cmd->callback([exit_code, a] {
    tools::CutOptions o;
    o.session = a->session;
    if (a->from) o.from_ns = ParseDurationFlag("--from", *a->from);
    if (a->to) o.to_ns = ParseDurationFlag("--to", *a->to);
    o.topics.insert(a->topics.begin(), a->topics.end());
    auto progress = Progress::ForStderr("cut " + a->path);
    auto sum = tools::CutCassette(a->path, a->out, o, progress.get());
    progress->Finish();
    std::printf(
        "cut session %s into %s: %d connection(s), %lld frame(s) (%lld join(s) carried from before "
        "--from), %lld HTTP exchange(s)\n",
        sum.session.c_str(), a->out.c_str(), sum.connections, static_cast<long long>(sum.frames),
        static_cast<long long>(sum.carried_joins), static_cast<long long>(sum.exchanges));
    *exit_code = 0;
  });
}

}  // namespace wsr::cli
