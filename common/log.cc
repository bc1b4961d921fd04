#include "common/log.h"

#include <libwebsockets.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

#include "common/terminal_text.h"

namespace wsr::log {
namespace {
std::atomic<Level> g_level{Level::kInfo};
std::mutex g_mu;

const char* Name(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "?";
}

void LwsEmit(int level, const char* line) {
  std::string s(line);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  Write(level & LLL_ERR ? Level::kError : (level & LLL_WARN ? Level::kWarn : Level::kDebug),
        "lws: " + s);
}
}  // namespace

void SetLevel(Level level) { g_level = level; }
Level GetLevel() { return g_level; }

void Write(Level level, std::string_view message) {
  if (level < g_level.load()) return;
  std::lock_guard<std::mutex> lock(g_mu);
  // Log lines carry live data (client frames, paths, upstream answers): one line, escaped.
  std::string line = EscapeControls(message, LineBreaks::kOneLine);
  std::fprintf(stderr, "wsreplay: %s: %s\n", Name(level), line.c_str());
  std::fflush(stderr);
}

void InstallLwsLogger() {
  int levels = LLL_ERR | LLL_WARN;
  if (g_level.load() == Level::kDebug) levels |= LLL_NOTICE | LLL_INFO;
  lws_set_log_level(levels, LwsEmit);
}

}  // namespace wsr::log
