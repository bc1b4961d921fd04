// ScriptedClient: a small, blocking Phoenix v2 WebSocket client for the `demo` command and
// the tests. It connects to a URL with query parameters, joins topics (join_ref = ref =
// "1", "2", ... in order), sends heartbeats at an interval, can send raw frames at fixed
// times, collects every frame it receives, and stops after N channel events, after a
// duration, or when the server closes.
//
// Run() creates its own libwebsockets context and serves it on the calling thread until the
// session ends; nothing is shared between runs. Not thread-safe per instance; independent
// instances may run on different threads.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace wsr::sim {

struct ScriptedFrame {
  int64_t at_ms = 0;  // since the socket opened
  bool binary = false;
  std::string text;
};

struct ScriptedClientOptions {
  // ws://HOST:PORT/PATH, e.g. ws://127.0.0.1:8765/api/v1/socket/websocket.
  std::string url;
  // Query parameters, appended in order (values are percent-encoded). Add {"vsn","2.0.0"}
  // yourself: the client sends exactly what is listed.
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<std::string> topics;  // joined right after the socket opens
  int heartbeat_ms = 30000;         // 0 = never
  int max_events = -1;              // stop after this many channel events (-1 = no limit)
  int duration_ms = 5000;           // stop after this long (from the start of Run)
  int connect_timeout_ms = 5000;
  // Raw text frames to send, each at a time in ms after the socket opened.
  std::vector<std::pair<int, std::string>> sends;
  int close_code = 1000;  // sent when the client ends the session itself
  // Called on the Run() thread once the socket is open (e.g. to start a second client).
  std::function<void()> on_open;
  // Called on the Run() thread with every received message, after it is collected. It may
  // block briefly (e.g. for a REST call) and must not throw.
  std::function<void(const ScriptedFrame&)> on_frame;
  // The client ends the session once this returns true for a received message (after
  // on_frame), e.g. the last push a scenario sends it; duration_ms stays the upper bound.
  std::function<bool(const ScriptedFrame&)> is_last;
};

struct ScriptedClientResult {
  bool connected = false;
  int http_status = 0;                // status of a refused upgrade (0 when unknown / not refused)
  std::string error;                  // connection error text, if it never opened
  std::vector<ScriptedFrame> frames;  // every received message, in order
  int events = 0;                     // received frames whose event is not phx_* (channel events)
  bool closed_by_server = false;
  int close_code = 0;  // the server's close code (1006 for a drop), when it closed
  std::string close_reason;
};

class ScriptedClient {
 public:
  explicit ScriptedClient(ScriptedClientOptions options) : opt_(std::move(options)) {}
  // Runs the whole session. Never throws for network outcomes (they are in the result);
  // throws wsr::Error for a malformed URL.
  ScriptedClientResult Run();

 private:
  ScriptedClientOptions opt_;
};

}  // namespace wsr::sim
