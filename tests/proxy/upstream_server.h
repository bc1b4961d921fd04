// TestUpstream: a scripted WebSocket server for the proxy tests, on libwebsockets in its own
// thread, listening on 127.0.0.1 with a free port.
//
// Behaviour, chosen by what the client sends:
//  - a request path starting with /refuse is answered HTTP 403 (no upgrade);
//  - every message is echoed back with the same opcode and the same wire frame sizes;
//  - the text message "cmd:close:CODE:REASON" makes it close with that code and reason;
//  - the text message "cmd:drop" makes it reset the TCP connection (no close frame).
// It remembers, per connection, the request path and query, the handshake headers, the
// messages it received and the close code it got. It accepts the subprotocols "phoenix" and
// "chat" (a request without one binds to the default).
//
// Thread-safety: public methods may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/ws_client.h"

struct lws;
struct lws_context;

namespace wsr::testing {

class TestUpstream {
 public:
  struct Seen {
    std::string path, query;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string subprotocol;
    std::vector<WsMessage> messages;
    std::optional<int> close_code;  // what the peer (the proxy) sent
    std::string close_reason;
    bool closed = false;
  };

  // With a PEM certificate and key it speaks wss.
  TestUpstream(const std::string& tls_cert = "", const std::string& tls_key = "");
  ~TestUpstream();
  int port() const { return port_; }
  std::string url() const {
    return (tls_ ? "wss://127.0.0.1:" : "ws://127.0.0.1:") + std::to_string(port_);
  }

  std::vector<Seen> connections() const;
  // Waits until pred(connections) holds; false on timeout.
  bool WaitFor(const std::function<bool(const std::vector<Seen>&)>& pred,
               std::chrono::milliseconds timeout = std::chrono::seconds(10));

  static int Callback(lws* wsi, int reason, void* user, void* in, size_t len);

 private:
  struct Conn;
  int Handle(lws* wsi, int reason, void* in, size_t len);

  lws_context* ctx_ = nullptr;
  int port_ = 0;
  bool tls_ = false;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<Seen> seen_;
};

}  // namespace wsr::testing
