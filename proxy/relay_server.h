// RelayServer: the libwebsockets transport behind `wsreplay record`.
//
// libwebsockets is only the event loop here: the listening vhost adopts every accepted
// connection as a raw socket (TLS included when --tls-cert is given), and upstream
// connections are raw client sockets; for `wss` upstreams this class drives OpenSSL itself
// over them (wire/tls_client.h), because raw client TLS is broken in Debian's lws 4.1.6. All
// protocol and session logic lives in RelayConnection (proxy/relay_connection.h), a sans-I/O
// state machine: the callbacks here only translate socket events into its events and carry
// out the commands it returns (write these bytes, connect, close, pause reading, set a timer).
//
// The context runs on an epoll loop (common/ev_loop.h: lws's libev plugin on a loop this class
// owns), so a turn costs O(ready sockets), not O(connections); WSREPLAY_EVENT_LOOP=poll, or a
// missing plugin (with a warning), selects lws's poll() loop. Connection timers are libev timers
// on the epoll loop and lws_sul timers on poll().
//
// Writes go to the socket at once (lws keeps what the kernel did not take and writes it when
// the socket drains); while a socket holds unsent bytes, the other side of its connection is
// not read (backpressure), so memory per connection stays bounded by one read.
//
// Threads: construct, Start() and Run() on one thread; every callback runs inside Run() on it.
// The cassette writer's drained callback (another thread) only calls lws_cancel_service.
// Run() returns after Stop() (this relay only) or wsr::StopRequested() (SIGINT/SIGTERM: the
// whole process) once every connection ended with 1001 (or the grace period passed); a closing
// handshake under way is finished first (its answer awaited up to RelayConfig::close_linger_ns).
// An in-process upstream (demo's simulator) must be stopped only after Run() returned: stopped
// at the same moment, its own shutdown close can overtake the client's last close frame. No
// exception crosses an lws callback: one raised while handling a connection ends that connection
// with 1011 (recorded).
#pragma once

#include <libwebsockets.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "cassettes/writer.h"
#include "common/accept_guard.h"
#include "common/ev_loop.h"
#include "common/url.h"
#include "proxy/relay_connection.h"
#include "recorder/connection_recorder.h"
#include "wire/tls_client.h"

namespace wsr::proxy {

class RelayServer {
 public:
  struct Options {
    ListenAddr listen;
    WsUrl upstream;
    bool insecure = false;          // skip upstream TLS verification
    std::string upstream_ca;        // extra CA file trusted for the upstream (PEM)
    std::string tls_cert, tls_key;  // both set: the client-facing side speaks TLS
    int64_t upstream_timeout_ns = 10'000'000'000;
    int shutdown_grace_ms = 5000;
  };

  // `recording.sink` may be set later with SetRecording (before Run).
  RelayServer(Options options, recorder::RecordingContext recording);
  ~RelayServer();
  RelayServer(const RelayServer&) = delete;
  RelayServer& operator=(const RelayServer&) = delete;

  // Creates the context and binds the listening socket. Throws wsr::Error with one line
  // (port in use, unreadable certificate, bad upstream CA file, ...).
  void Start();
  int port() const { return port_; }
  // "ws://HOST:PORT" or "wss://HOST:PORT" (the real port).
  std::string url() const;
  // Where rows go and when the session started (steady clock); call after Start(), before Run().
  void SetRecording(cassette::CassetteWriter* writer, int64_t session_start_ns);

  // Serves until Stop() or a SIGINT/SIGTERM, then ends every connection and returns.
  void Run();
  // Asks Run() to stop (as a signal would, but for this relay only). Thread-safe; may be called
  // before Run() or after it returned.
  void Stop();

  static int Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);

 private:
  struct Link;
  int Handle(lws* wsi, lws_callback_reasons reason, void* in, size_t len);
  void Apply(Link* link, const std::vector<RelayCommand>& commands);
  void ConnectUpstream(Link* link);
  void Write(Link* link, Side side, std::string_view bytes);
  void FlushTls(Link* link);
  void OnUpstreamRx(Link* link, const uint8_t* data, size_t len);
  void UpdateRx(Link* link, Side side);
  // `reader` is not read while the other socket holds unsent bytes (paused) or is read again.
  void SetPeerPaused(Link* link, Side reader, bool paused);
  void Kill(lws* wsi);
  void MaybeFree(Link* link);
  void BeginShutdown();
  void OnDrained();
  static void OnTimer(void* link);
  static void OnTick(void* self);
  void PokeLws();
  int64_t Now() const;

  Options options_;
  recorder::RecordingContext recording_;
  std::unique_ptr<recorder::RowSink> sink_;
  RelayConfig config_;
  std::shared_ptr<wire::TlsClientContext> tls_context_;  // wss upstreams
  std::unique_ptr<EvLoop> ev_;  // the epoll loop the context runs on; null: lws's poll() loop
  std::vector<lws_protocols> protocols_;
  lws_context* context_ = nullptr;
  lws_vhost* vhost_ = nullptr;
  int port_ = 0;
  int next_ordinal_ = 0;
  int depth_ = 0;               // nesting of Handle (lws may call back from inside a call we make)
  Link* connecting_ = nullptr;  // the link inside lws_client_connect_via_info, if any
  bool shutting_down_ = false;
  std::atomic<bool> stop_{false};  // Stop() was called
  std::unordered_set<Link*> links_;
  // The links whose connection waits for the sink to drain (RelayConnection::waiting_for_sink,
  // noted after each event): the writer's drained signal visits these, not every connection.
  std::unordered_set<Link*> sink_waiters_;
  std::atomic<bool> drained_{false};
  // What the writer's drained callback (another thread) may touch; emptied before the
  // context is destroyed.
  struct Waker {
    std::mutex mu;
    lws_context* context = nullptr;  // guarded by mu
    std::atomic<bool>* drained = nullptr;
  };
  std::shared_ptr<Waker> waker_ = std::make_shared<Waker>();
  std::string tls_plain_, tls_cipher_;         // scratch buffers, reused
  std::string joined_;                         // scratch: sends in a row joined into one write
  std::unique_ptr<LoopTimer> tick_;            // wakes the loop while stopping
  std::unique_ptr<AcceptGuard> accept_guard_;  // 503 at accept when descriptors run out
};

}  // namespace wsr::proxy
