// `wsreplay redact CASSETTE [--param NAME]... [--header NAME]... [--json POINTER]...`.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "common/error.h"
#include "common/progress.h"
#include "tools/edit.h"

namespace wsr::cli {
namespace {
struct RedactArgs {
  std::string path;
  std::vector<std::string> params, headers, pointers;
};
}  // namespace

void AddRedact(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("redact",
                                 "Redact secrets in an existing cassette (default rules + given "
                                 "ones) and scrub the old bytes from its files");
  auto a = std::make_shared<RedactArgs>();
  cmd->add_option("cassette", a->path, "Cassette file (edited in place)")->required();
  cmd->add_option("--param", a->params, "Query parameter to redact (api_key and token always are)");
  cmd->add_option("--header", a->headers,
                  "Header to redact (Authorization, Cookie, Set-Cookie, X-Api-Key always are)");
  cmd->add_option("--json", a->pointers,
                  "JSON pointer to redact inside Phoenix payloads, e.g. /token");
  cmd->callback([exit_code, a] {
    RedactionRules rules;
    for (const auto& p : a->params) rules.AddParam(p);
    for (const auto& h : a->headers) rules.AddHeader(h);
    for (const auto& j : a->pointers) rules.AddJsonPointer(j);
    auto progress = Progress::ForStderr("redact " + a->path);
    auto sum = tools::RedactCassette(a->path, rules, progress.get());
    progress->Finish();
    std::printf(
        "redacted %s: %d session(s), %d connection(s), %lld frame(s), %lld HTTP exchange(s) "
        "changed; old bytes scrubbed\n",
        a->path.c_str(), sum.sessions, sum.connections, static_cast<long long>(sum.frames),
        static_cast<long long>(sum.exchanges));
    *exit_code = 0;
  });
}

}  // namespace wsr::cli
