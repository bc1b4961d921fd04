// SimServer: the built-in Thenvoi stand-in behind `wsreplay sim` (spec:
// ../shared/spec/thenvoi-websocket.md; behaviour and deviations: sim/README.md).
//
// One libwebsockets context served by the thread that calls Run(). Listen() binds (throws
// wsr::Error when it cannot); Run() serves until Stop() or a SIGINT/SIGTERM (common/
// stop_signal.h), then closes every connection with 1001 and returns. Stop() is the only
// method that may be called from another thread.
#pragma once

#include <memory>
#include <string>

#include "common/url.h"
#include "sim/keys.h"
#include "sim/scenario.h"

namespace wsr::sim {

inline constexpr const char* kSocketPath = "/api/v1/socket/websocket";

struct SimOptions {
  ListenAddr listen;
  Keys keys = Keys::Default();
  Scenario scenario = Scenario::Default();
  int idle_timeout_ms = 45000;  // close (1000) after this long without a client frame
  // Close code an agent's older connection gets when a newer one of the same agent id
  // arrives (last connection wins). 0 = drop the TCP connection without a close frame.
  int kick_code = 1000;
};

class SimServer {
 public:
  explicit SimServer(SimOptions options);
  ~SimServer();
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  // Creates the context and starts listening. Throws wsr::Error (port in use, bad address).
  void Listen();
  int port() const;         // the real port, after Listen()
  std::string url() const;  // "ws://HOST:PORT"
  void Run();               // REQUIRES: Listen() succeeded
  void Stop();              // thread-safe

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace wsr::sim
