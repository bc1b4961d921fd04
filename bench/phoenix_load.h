// The scale section's two ends, both on EpollWs (one thread, one epoll loop each):
//
//  - RunPhoenixUpstream(): a small Phoenix Channels v2 server, run as a child process
//    (`wsreplay-bench --serve-phoenix 0`). It answers every phx_join and heartbeat with an ok
//    reply and, once a connection joined its two topics, pushes `pushes` messages to it, one
//    every `push_interval_ms`, alternating between the topics. Each push carries the sender's
//    CLOCK_MONOTONIC time ("sent_ns"), so a client on the same machine can measure delivery
//    latency. It prints `listening on ws://127.0.0.1:PORT`, and on SIGTERM one line
//    `stats sent=N received=M connections=C` (text frames), then exits 0.
//
//  - RunPhoenixFleet(): the load generator: `connections` Phoenix clients, opened with at most
//    `max_pending` handshakes at a time; each joins two topics, heartbeats every
//    `heartbeat_s` while it is open, and closes with 1000 once it has been open `lifetime_s`,
//    every connection has been opened (so all are open at once, however slow the ramp), and it
//    has every reply and the expected pushes (or `grace_s` later without them).
//
// Not thread-safe; each call blocks its thread for the run.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace wsr::bench {

struct UpstreamConfig {
  int port = 0;
  int push_interval_ms = 3000;
  int pushes = 20;  // per connection
};
// The child process's main(); returns its exit status.
int RunPhoenixUpstream(const UpstreamConfig& config);

struct FleetProgress {
  double elapsed_s = 0;
  int established = 0, open = 0, failed = 0;
  uint64_t pushes = 0;
};

struct FleetPlan {
  int port = 0;
  std::string target = "/socket/websocket?vsn=2.0.0";
  int connections = 1;
  int max_pending = 128;  // handshakes in progress at once
  double lifetime_s = 60;
  int pushes_expected = 0;  // per connection
  double heartbeat_s = 30;
  double grace_s = 15;
  double timeout_s = 600;     // the whole run
  bool push_latency = false;  // pushes carry live "sent_ns" (not a replayed recording)
  double progress_s = 10;
  std::function<void(const FleetProgress&)> on_progress;
};

struct FleetResult {
  int established = 0;
  int peak_open = 0;  // most connections open at the same time
  int failed = 0;     // never opened
  std::string first_error;
  int closed_clean = 0, closed_unclean = 0;
  std::string first_close_error;
  int incomplete = 0;  // closed at the grace deadline without every expected frame
  uint64_t joins_sent = 0, join_ok = 0, join_error = 0;
  uint64_t heartbeats_sent = 0, heartbeat_replies = 0;
  uint64_t pushes = 0;
  uint64_t text_sent = 0, text_received = 0, unexpected = 0;
  double ramp_s = 0;   // first connect to last handshake done
  double total_s = 0;  // the whole run
  bool timed_out = false;
  std::vector<double> push_latency_ms;
};

FleetResult RunPhoenixFleet(const FleetPlan& plan);

}  // namespace wsr::bench
