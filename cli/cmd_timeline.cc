// `wsreplay timeline CASSETTE [--session NAME] [--topic T]... -o FILE.html|FILE.svg`
// See tools/VIZ.md.
#include <cstdio>

#include "cli/commands.h"
#include "common/error.h"
#include "tools/timeline.h"

namespace wsr::cli {

void AddTimeline(CLI::App& app, int* exit_code) {
  struct Args {
    std::string cassette, output;
    std::string session;
    std::vector<std::string> topics;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "timeline", "Draw a session as a self-contained picture (HTML interactive, or SVG)");
  cmd->add_option("cassette", args->cassette, "Cassette file")->required();
  cmd->add_option("--session", args->session, "Session name (needed when there are several)");
  cmd->add_option("--topic", args->topics,
                  "Keep only this topic, or every topic of a channel prefix (chat_room); "
                  "repeatable");
  cmd->add_option("-o,--output", args->output, "Output file: .html or .svg")->required();
  cmd->callback([args, exit_code] {
    tools::TimelineFormatFor(args->output);  // fail fast on a bad extension
    tools::TimelineOptions opts;
    if (!args->session.empty()) opts.session = args->session;
    opts.topics = args->topics;
    auto r = tools::WriteTimeline(args->cassette, opts, args->output);
    std::fprintf(stderr, "wrote %s: %zu frames in %zu lanes\n", args->output.c_str(), r.frames,
                 r.lanes);
    *exit_code = 0;
  });
}

}  // namespace wsr::cli
