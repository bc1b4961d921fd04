// ReplayServer: serves a recorded session from a cassette to live WebSocket clients.
//
// Start() opens the cassette read-only, resolves the session and refuses bad input with a
// wsr::Error BEFORE listening; then it listens (port 0 picks a free port) and runs one
// libwebsockets service thread that owns the cassette, every connection's replayer and the
// timers. The control endpoint (/__wsreplay/...) is served on the same listener.
//
// Thread-safety: every public method may be called from any thread; they hand work to the
// service thread (lws_cancel_service) and wait for it. Stop() closes live connections with
// 1001 and joins the thread; the destructor calls it. Never opens an outbound connection.
//
//   auto server = wsr::replay::ReplayServer::Start("fixtures/chat.db", {.replay = {.speed = 0}});
//   RunClient(server->url());            // ws://127.0.0.1:PORT
//   EXPECT_TRUE(server->Report().Clean());
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "replay/options.h"
#include "replay/report.h"

namespace wsr::replay {

struct ServerOptions {
  ReplayOptions replay;
  std::string host = "127.0.0.1";
  int port = 0;                 // 0: a free port
  bool stop_on_signal = false;  // SIGINT/SIGTERM (common/stop_signal.h) stop the server
  // WebSocket upgrades carrying an Origin that is not loopback are refused (403) unless it is
  // listed here ("*" = any); see request_guard.h.
  std::vector<std::string> allow_origins = {};
};

class ReplayServer {
 public:
  // Throws wsr::Error (bad cassette, unknown session, port in use) without listening.
  static std::unique_ptr<ReplayServer> Start(const std::string& cassette_path,
                                             ServerOptions options = {});
  ~ReplayServer();
  ReplayServer(const ReplayServer&) = delete;
  ReplayServer& operator=(const ReplayServer&) = delete;

  std::string url() const;  // ws://HOST:PORT
  int port() const;
  const std::string& session() const;

  // Timing control (also served as POST /__wsreplay/advance|step|pause|resume|speed).
  // Manual clock: moves it; real clock: skips recorded time ahead. ms is held to
  // [0, kMaxAdvanceMs] (36 years).
  void Advance(int64_t ms);
  bool Step();  // releases the next pending frame; false when nothing can go
  void Pause();
  void Resume();
  void SetSpeed(double speed);  // 0 = max

  // Fault injection and breakpoints (also POST /__wsreplay/fault?spec=, POST and DELETE
  // /__wsreplay/break?spec=; at start: ReplayOptions::faults / breaks). The text forms throw
  // wsr::Error with the one-line parse error (fault_spec.h).
  void AddFault(const FaultSpec& spec);
  void AddFault(const std::string& spec);
  void AddBreak(const FaultSpec& spec);
  void AddBreak(const std::string& spec);
  bool RemoveBreak(const std::string& spec);  // false when no such breakpoint

  nlohmann::json Status();       // GET /__wsreplay/status
  wsr::replay::Report Report();  // GET /__wsreplay/report; final once stopped

  // Closes live connections (1001), stops the service thread, returns the final report.
  wsr::replay::Report Stop();
  // Blocks until the server stops (Stop() from another thread, or a signal with
  // stop_on_signal); returns the final report.
  wsr::replay::Report Wait();

  class Impl;

 private:
  explicit ReplayServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace wsr::replay
