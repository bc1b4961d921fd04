// The wsreplay subcommands. Each Add<Name> registers one subcommand on the CLI11 app; when it
// runs, its callback stores the process exit code in *exit_code. Commands throw wsr::Error
// for user-facing failures; main() prints it as one line and exits 1.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>

namespace wsr::cli {

// Recording (issue: record)
void AddRecord(CLI::App& app, int* exit_code);
void AddSim(CLI::App& app, int* exit_code);
void AddLs(CLI::App& app, int* exit_code);
void AddShow(CLI::App& app, int* exit_code);
void AddDemo(CLI::App& app, int* exit_code);
// Replay
void AddReplay(CLI::App& app, int* exit_code);
void AddAuto(CLI::App& app, int* exit_code);
void AddExec(CLI::App& app, int* exit_code);
// Cassette tools
void AddExport(CLI::App& app, int* exit_code);
void AddImport(CLI::App& app, int* exit_code);
void AddTimeline(CLI::App& app, int* exit_code);
void AddDiff(CLI::App& app, int* exit_code);
void AddLint(CLI::App& app, int* exit_code);
void AddRedact(CLI::App& app, int* exit_code);
void AddCut(CLI::App& app, int* exit_code);
void AddSessions(CLI::App& app, int* exit_code);
void AddMerge(CLI::App& app, int* exit_code);
void AddStats(CLI::App& app, int* exit_code);

// Shared flag checks (flag_checks.cc); each throws wsr::Error with the flag's name.
// --max-message-size of record and import: 1 byte to cassette::kMaxMessageBytes (256 MiB).
void CheckMaxMessageSize(uint64_t bytes);

}  // namespace wsr::cli
