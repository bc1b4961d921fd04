// RelayServer: the transport behind `wsreplay record`: plain TCP sockets on an epoll loop.
//
// Both legs of every connection are sockets of our own on one libev loop (common/ev_loop.h,
// epoll): the listener (common/tcp_listener.h) accepts with accept4, upstream connections are
// non-blocking connects (common/tcp_socket.h), reads go into one reused buffer, writes go
// straight to the socket. No libwebsockets: Debian's lws 4.1.6 is built with _DEBUG and scans
// its whole descriptor table (RLIMIT_NOFILE entries) at every accept, connect and close, which
// made those turns cost milliseconds at 10,000 connections (bench/README.md).
// WSREPLAY_EVENT_LOOP does not apply to record. TLS is OpenSSL over memory BIOs
// (wire/tls_client.h): client side towards a `wss` upstream, server side towards clients with
// --tls-cert/--tls-key. The upstream's host name is looked up off the loop
// (common/async_resolver.h: IP literals at once, answers reused for 30 s, concurrent lookups
// shared); a connection waits for it in RelayConnection's kConnecting, under --upstream-timeout.
//
// All protocol and session logic lives in RelayConnection (proxy/relay_connection.h), a sans-I/O
// state machine: this class only translates socket events into its events and carries out the
// commands it returns (write these bytes, connect, close, pause reading, set a timer).
// Closing a socket is deferred to the end of the event being handled (Kill), so that the state
// machine never sees an event from inside another.
//
// Writes go to the socket at once; what the kernel did not take is kept per socket and written
// when it drains. While a socket holds unsent bytes, the other side of its connection is not
// read (backpressure), so memory per connection stays bounded by about one read.
//
// Threads: construct, Start() and Run() on one thread; every callback runs inside Run() on it.
// The cassette writer's drained callback (another thread) and Stop() only wake the loop
// (an ev_async); so does the resolver's worker thread, which Run() never waits for. Run() returns
// after Stop() (this relay only) or wsr::StopRequested() (SIGINT/SIGTERM: the whole process) once
// every connection ended with 1001 (or the grace period passed); a closing handshake under way is
// finished first (its answer awaited up to RelayConfig::close_linger_ns). An in-process upstream
// (demo's simulator) must be stopped only after Run() returned: stopped at the same moment, its own
// shutdown close can overtake the client's last close frame. No exception leaves a loop callback:
// one raised while handling a connection ends that connection with 1011 (recorded).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "cassettes/writer.h"
#include "common/accept_guard.h"
#include "common/async_resolver.h"
#include "common/ev_loop.h"
#include "common/stop_signal.h"
#include "common/tcp_listener.h"
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
    // How the upstream's host name is looked up (on the resolver's worker thread); empty:
    // getaddrinfo. Tests inject failures and slow lookups here.
    AsyncResolver::Lookup lookup;
  };

  // `recording.sink` may be set later with SetRecording (before Run).
  RelayServer(Options options, recorder::RecordingContext recording);
  ~RelayServer();
  RelayServer(const RelayServer&) = delete;
  RelayServer& operator=(const RelayServer&) = delete;

  // Creates the loop and binds the listening socket. Throws wsr::Error with one line
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

 private:
  struct Link;
  struct Leg;
  static void OnAccept(void* self, int fd);
  static void OnLegIo(void* leg, int events);
  static void OnTimer(void* link);
  static void OnTick(void* self);
  static void OnWake(void* self);
  static void WakeFromAnyThread(void* async);

  // Runs `fn` as one event of `link` (null: of no connection): an exception ends the
  // connection with 1011; afterwards the sockets killed meanwhile are closed and finished
  // links freed.
  template <typename Fn>
  void Guarded(Link* link, Fn&& fn);
  void HandleIo(Link* link, Side side, int events);
  void FinishConnect(Link* link);
  void TryNextAddress(Link* link);
  void Read(Link* link, Side side);
  void Deliver(Link* link, Side side, const uint8_t* data, size_t len);
  void OnTlsRx(Link* link, Side side, const uint8_t* data, size_t len);
  void Flush(Link* link, Side side);
  void Apply(Link* link, const std::vector<RelayCommand>& commands);
  void ConnectUpstream(Link* link);
  // The lookup of connection `ordinal`'s upstream answered (dropped if it went meanwhile).
  void OnResolved(int ordinal, const AsyncResolver::Result& result);
  // Tries the upstream's addresses, or reports that its name did not resolve.
  void UseAddresses(Link* link, const AsyncResolver::Result& result);
  // The link's upstream lookup is not waited for any more (its answer is dropped).
  void DropLookup(Link* link);
  void Write(Link* link, Side side, std::string_view bytes);
  void RawWrite(Link* link, Side side, std::string_view bytes);
  void FlushTls(Link* link, Side side);
  // Which events the side's socket is watched for, from its state.
  void UpdateIo(Link* link, Side side);
  // `reader` is not read while the other socket holds unsent bytes (paused) or is read again.
  void SetPeerPaused(Link* link, Side reader, bool paused);
  // Closes the side's socket once the current event is handled (then OnClosed & co.).
  void Kill(Link* link, Side side);
  void CloseLeg(Link* link, Side side);
  void Settle();
  void MaybeFree(Link* link);
  void DeleteLink(Link* link);
  void BeginShutdown();
  void OnDrained();
  int64_t Now() const;

  Options options_;
  recorder::RecordingContext recording_;
  std::unique_ptr<recorder::RowSink> sink_;
  RelayConfig config_;
  std::shared_ptr<wire::TlsClientContext> tls_context_;         // wss upstreams
  std::shared_ptr<wire::TlsClientContext> client_tls_context_;  // --tls-cert: towards clients
  std::unique_ptr<EvLoop> ev_;
  std::unique_ptr<TcpListener> listener_;
  int port_ = 0;
  int next_ordinal_ = 0;
  int depth_ = 0;  // nesting of Guarded: sockets are closed and links freed only at 0
  bool shutting_down_ = false;
  std::atomic<bool> stop_{false};  // Stop() was called
  std::unordered_set<Link*> links_;
  // The links whose connection waits for the sink to drain (RelayConnection::waiting_for_sink,
  // noted after each event): the writer's drained signal visits these, not every connection.
  std::unordered_set<Link*> sink_waiters_;
  std::vector<std::pair<Link*, Side>> doomed_;  // sockets to close at the end of the event
  std::atomic<bool> drained_{false};
  // What the writer's drained callback and Stop() (other threads) may touch; emptied before
  // the loop is destroyed.
  struct Waker {
    std::mutex mu;
    EvLoop::Async* async = nullptr;  // guarded by mu
    std::atomic<bool>* drained = nullptr;
  };
  std::shared_ptr<Waker> waker_ = std::make_shared<Waker>();
  std::unique_ptr<EvLoop::Async> wake_;  // wakes Run(): Stop(), signals, the writer drained
  StopWaker stop_waker_{};               // registered from Start() until Run() ends
  bool stop_waker_registered_ = false;
  std::vector<uint8_t> read_buf_;              // one read, reused
  std::string tls_plain_, tls_cipher_;         // scratch buffers, reused
  std::string joined_;                         // scratch: sends in a row joined into one write
  std::unique_ptr<EvLoop::Timer> tick_;        // wakes the loop while stopping
  std::unique_ptr<AcceptGuard> accept_guard_;  // 503 at accept when descriptors run out
  // Looks the upstream's name up off the loop; from Start() until Run() ends.
  std::unique_ptr<AsyncResolver> resolver_;
  // The links waiting for their upstream's lookup, by ordinal: an answer finds its link here,
  // or nothing if the link went meanwhile.
  std::unordered_map<int, Link*> resolving_;
};

}  // namespace wsr::proxy
