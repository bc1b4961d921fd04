// `wsreplay import FILE --cassette OUT [--from jsonl|har] [--session NAME] [--redact-*]`.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/version.h"
#include "common/error.h"
#include "common/progress.h"
#include "tools/import.h"

namespace wsr::cli {
namespace {
struct ImportArgs {
  std::string file, cassette;
  std::optional<std::string> from, session;
  std::vector<std::string> params, headers, pointers;
  uint64_t max_message_size = tools::ImportLimits{}.max_message_size;
};

void Import(const ImportArgs& a) {
  tools::ImportOptions o;
  if (a.from) o.format = tools::ParseImportFormat(*a.from);
  o.session_name = a.session;
  for (const auto& p : a.params) o.rules.AddParam(p);
  for (const auto& h : a.headers) o.rules.AddHeader(h);
  for (const auto& j : a.pointers) o.rules.AddJsonPointer(j);
  o.tool_version = kVersion;
  CheckMaxMessageSize(a.max_message_size);
  o.limits.max_message_size = a.max_message_size;
  auto progress = Progress::ForStderr("import " + a.file, {.unit = Progress::Unit::kBytes});
  o.limits.progress = progress.get();
  auto sum = tools::ImportFile(a.file, a.cassette, o);
  progress->Finish();
  for (const auto& note : sum.notes) std::fprintf(stderr, "wsreplay: note: %s\n", note.c_str());
  std::string names;
  for (const auto& n : sum.sessions) names += (names.empty() ? "" : ", ") + n;
  std::printf(
      "imported session(s) %s: %d connection(s), %lld frame(s), %lld HTTP exchange(s) from %s "
      "into %s\n",
      names.c_str(), sum.connections, static_cast<long long>(sum.frames),
      static_cast<long long>(sum.exchanges),
      sum.format == tools::ImportFormat::kHar ? "HAR" : "JSON Lines", a.cassette.c_str());
}
}  // namespace

void AddImport(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("import",
                                 "Read a JSON Lines export or a HAR (Chrome, Playwright, "
                                 "mitmproxy) into a cassette, redacting secrets");
  auto a = std::make_shared<ImportArgs>();
  cmd->add_option("file", a->file, "JSON Lines or HAR file")->required();
  cmd->add_option("--cassette", a->cassette, "Cassette to add the session to (created if missing)")
      ->required();
  cmd->add_option("--from", a->from,
                  "Input format (default: guessed from the extension and content)")
      ->check(CLI::IsMember({"jsonl", "har"}));
  cmd->add_option("--session", a->session,
                  "Session name (default: from the JSON Lines file, or the HAR file's name)");
  cmd->add_option("--redact-param", a->params,
                  "Also redact this query parameter (api_key and token always are)");
  cmd->add_option(
      "--redact-header", a->headers,
      "Also redact this header (Authorization, Cookie, Set-Cookie, X-Api-Key always are)");
  cmd->add_option("--redact-json", a->pointers,
                  "Redact this JSON pointer inside Phoenix payloads, e.g. /token");
  cmd->add_option("--max-message-size", a->max_message_size,
                  "Largest message imported, in bytes (as `record`); a bigger one is an error "
                  "naming its line (JSON Lines) or entry (HAR)")
      ->capture_default_str();
  cmd->callback([exit_code, a] {
    Import(*a);
    *exit_code = 0;
  });
}

}  // namespace wsr::cli
