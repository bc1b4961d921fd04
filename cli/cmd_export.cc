// `wsreplay export CASSETTE --format jsonl|har [--session NAME] [-o FILE]`.
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cassettes/cassette.h"
#include "cli/commands.h"
#include "cli/version.h"
#include "common/error.h"
#include "common/progress.h"
#include "tools/atomic_output.h"
#include "tools/har.h"
#include "tools/jsonl.h"

namespace wsr::cli {
namespace {
struct ExportArgs {
  std::string path, format, output;
  std::optional<std::string> session;
};

void Write(cassette::Cassette& c, const ExportArgs& a,
           const std::optional<cassette::Session>& session, std::ostream& out, Progress* progress) {
  if (a.format == "jsonl") {
    tools::ExportJsonl(c, a.session, out, progress);
  } else {
    tools::ExportHar(c, *session, kVersion, out, progress);
  }
}

void Export(const ExportArgs& a) {
  auto c = cassette::Cassette::Open(a.path, cassette::Cassette::Mode::kReadOnly);
  // Resolve the session before creating the output file, so a bad name leaves nothing behind.
  std::optional<cassette::Session> session;
  if (a.format == "har" || a.session) session = c->ResolveSession(a.session);
  if (a.output.empty() || a.output == "-") {
    Write(*c, a, session, std::cout, nullptr);
    return;
  }
  struct stat st;
  if (::stat(a.output.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    // A FIFO, a terminal or /dev/stdout: written directly (there is nothing to replace).
    std::ofstream file(a.output, std::ios::binary);
    if (!file) throw Error("cannot write '" + a.output + "'");
    Write(*c, a, session, file, nullptr);
    return;
  }
  // Written as OUT.tmp-<pid> and renamed over OUT only when complete: a failed export leaves
  // neither an empty nor a partial OUT (and an existing OUT as it was).
  // A symlink stays a symlink: its target is the file replaced.
  std::string target = a.output;
  struct stat lst;
  if (::lstat(a.output.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
    if (char* real = ::realpath(a.output.c_str(), nullptr)) {
      target = real;
      std::free(real);
    }
  }
  tools::TempOutput tmp(target);
  {
    std::ofstream file(tmp.path(), std::ios::binary | std::ios::trunc);
    if (!file) throw Error("cannot write '" + a.output + "' (" + tmp.path() + ")");
    auto progress = Progress::ForStderr("export " + a.output);
    Write(*c, a, session, file, progress.get());
    file.close();
    if (!file) throw Error("writing '" + a.output + "' failed (disk full?)");
  }
  tmp.Commit(/*replace=*/true);
}
}  // namespace

void AddExport(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "export", "Write a cassette as JSON Lines (lossless) or HAR 1.2 (Chrome's WebSocket format)");
  auto a = std::make_shared<ExportArgs>();
  cmd->add_option("cassette", a->path, "Cassette file")->required();
  cmd->add_option("--format", a->format,
                  "jsonl (every session unless --session) or har (one session)")
      ->required()
      ->check(CLI::IsMember({"jsonl", "har"}));
  cmd->add_option("--session", a->session,
                  "Only this session (har: needed when the cassette has several)");
  cmd->add_option("-o,--output", a->output, "Output file (default: stdout)");
  cmd->callback([exit_code, a] {
    Export(*a);
    *exit_code = 0;
  });
}

}  // namespace wsr::cli
