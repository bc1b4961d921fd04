// File-descriptor headroom for the long-running commands (record, replay, sim).
//
// RaiseFdLimit() raises this process's RLIMIT_NOFILE soft limit to its hard limit (capped at
// kMaxSoftFdLimit and the kernel's fs.nr_open); raising the hard limit needs CAP_SYS_RESOURCE,
// which wsreplay never asks for. Commands call it before creating their lws context (lws sizes
// its descriptor tables from the limit then), and LogFdHeadroom() once they listen: the limit
// at info and, when fewer than `want_connections` fit, one warning saying how many do and how
// to raise it. The arithmetic (ConnectionsThatFit, FdHeadroomWarning) is tested on its own.
//
// Call from the main thread before any connection is opened. Not thread-safe (setrlimit is
// process-wide).
#pragma once

#include <cstdint>
#include <string>

namespace wsr {

// Descriptors kept for the process itself: stdio, the cassette's SQLite files, lws's pipes,
// epoll, the listener, log files.
inline constexpr uint64_t kReservedFds = 32;
// Never raise the soft limit above this (lws sizes per-descriptor tables from it).
inline constexpr uint64_t kMaxSoftFdLimit = 1u << 20;
// The concurrent connections record, replay and sim are built and measured for
// (bench/README.md, the scale section): fewer than this fitting is warned about.
inline constexpr uint64_t kTargetConnections = 10'000;

struct FdLimit {
  uint64_t soft_before = 0;
  uint64_t soft = 0;  // after the raise
  uint64_t hard = 0;
};

// Raises the soft RLIMIT_NOFILE as far as allowed and returns before/after. Never fails: when
// setrlimit refuses, the limit stays what it was.
FdLimit RaiseFdLimit();

// How many connections fit in `limit` descriptors when each holds `fds_per_connection`.
uint64_t ConnectionsThatFit(uint64_t limit, int fds_per_connection);

// The one warning line when fewer than `want_connections` fit, "" when they do. `command`
// names who is short ("record").
std::string FdHeadroomWarning(const FdLimit& limit, const std::string& command,
                              int fds_per_connection, uint64_t want_connections);

// Logs the limit (info) and FdHeadroomWarning (warn) when not empty.
void LogFdHeadroom(const FdLimit& limit, const std::string& command, int fds_per_connection,
                   uint64_t want_connections);

}  // namespace wsr
