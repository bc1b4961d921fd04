// Logging to stderr. Thread-safe: each call writes one whole line.
//
// stdout is reserved for the readiness line ("listening on ...") and command output, so
// everything diagnostic goes through here.
#pragma once

#include <string_view>

namespace wsr::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLevel(Level level);
Level GetLevel();

void Write(Level level, std::string_view message);
inline void Debug(std::string_view m) { Write(Level::kDebug, m); }
inline void Info(std::string_view m) { Write(Level::kInfo, m); }
inline void Warn(std::string_view m) { Write(Level::kWarn, m); }
inline void Error(std::string_view m) { Write(Level::kError, m); }

// Routes libwebsockets' own log output through Write (errors and warnings only, unless
// the level is kDebug).
void InstallLwsLogger();

}  // namespace wsr::log
