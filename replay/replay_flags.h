// The replay flags shared by `wsreplay replay`, `exec` and `auto` (CLI11), and their
// conversion to ServerOptions. Parsing errors are wsr::Error with a one-line message.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "replay/replay_server.h"

namespace wsr::replay {

struct ReplayFlags {
  std::string cassette;
  std::string session;
  std::string speed = "1";
  std::string max_gap;
  std::string clock = "real";
  std::string on_mismatch = "reply-error";
  bool strict = false;
  std::string protocol = "auto";
  std::string join_timeout = "5s";
  std::string order = "connection";
  std::vector<std::string> ignore_json;
  std::string match_body = "json";  // --match-body json|exact|none (HTTP request bodies)
  std::string causality = "on";     // --causality on|off (between the REST and WebSocket halves)
  std::vector<std::string> faults;  // --fault ACTION@TRIGGER[,conn=K]
  std::vector<std::string> breaks;  // --break TRIGGER[,conn=K]
  std::string after_fault = "resume";
  std::string report_json;                 // also write the JSON report to this file
  std::vector<std::string> allow_origins;  // --allow-origin (repeatable)
};

// Adds --cassette, --session, --speed, ... to cmd (not --listen: commands add it if needed).
void AddReplayFlags(CLI::App* cmd, ReplayFlags* flags);
ServerOptions ToServerOptions(const ReplayFlags& flags);
// Prints the report (text to stderr; JSON to --report-json when given). Returns the exit
// code --strict asks for: 0 when clean or not strict, 3 otherwise.
int PrintReport(const Report& report, const ReplayFlags& flags);

// The foreground replay server of `replay` and `auto`: listens on `listen` (HOST:PORT),
// prints the readiness line, serves until SIGINT/SIGTERM, prints the report and returns the
// exit code. Throws wsr::Error for bad flags or a bad cassette, before listening.
int ServeUntilSignal(const ReplayFlags& flags, const std::string& listen);

inline constexpr int kStrictFailureExit = 3;

}  // namespace wsr::replay
