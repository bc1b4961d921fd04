// RelayServer: the man-in-the-middle WebSocket relay behind `wsreplay record`.
//
// One libwebsockets context, one service thread (the caller of Run()). Every accepted client
// connection gets a Link (proxy/link.h) pairing it with its own upstream connection, opened
// to Options::upstream + the client's path and query. Messages are relayed frame by frame in
// both directions (opcode, fragmentation and bytes kept), and every message, handshake and
// close is reported to the connection's recorder (recorder/connection_recorder.h), which
// queues rows for the cassette writer thread: no disk I/O on the service thread.
// See proxy/README.md for the close semantics, backpressure and what lws limits.
//
// Threads: construct, Start() and Run() on one thread; everything else happens inside Run().
// Run() returns after wsr::StopRequested() (SIGINT/SIGTERM) once every connection was closed
// with 1001 (or a grace period passed). No exception crosses an lws callback.
#pragma once

#include <libwebsockets.h>

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/url.h"
#include "proxy/link.h"
#include "recorder/connection_recorder.h"

namespace wsr::proxy {

class RelayServer {
 public:
  struct Options {
    ListenAddr listen;
    WsUrl upstream;
    bool insecure = false;               // skip upstream TLS verification
    std::string tls_cert, tls_key;       // both set: the client-facing side speaks wss
    size_t high_water_bytes = 1u << 20;  // per leg queue; above it the other leg stops reading
    size_t low_water_bytes = 256u << 10;
    std::vector<std::string> extra_headers;  // more header names to record and forward
    int shutdown_grace_ms = 5000;
  };

  RelayServer(Options options, recorder::RecordingContext recording);
  ~RelayServer();
  RelayServer(const RelayServer&) = delete;
  RelayServer& operator=(const RelayServer&) = delete;

  // Creates the context and binds the listening socket. Throws wsr::Error with one line
  // (port in use, unreadable certificate, ...).
  void Start();
  int port() const { return port_; }
  // "ws://HOST:PORT" or "wss://HOST:PORT" (the real port).
  std::string url() const;
  // Sets where rows go and when the session started; call after Start(), before Run().
  void SetRecording(cassette::CassetteWriter* writer, int64_t session_start_ns) {
    recording_.writer = writer;
    recording_.session_start_ns = session_start_ns;
  }

  // Serves until a stop is requested, then closes every connection with 1001 and returns.
  void Run();

  static int Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);

 private:
  int Handle(lws* wsi, lws_callback_reasons reason, void* in, size_t len);
  int OnClientEstablished(lws* wsi);
  void ConnectUpstream(Link* link);
  int OnAppendHeaders(Link* link, lws* wsi, void* in, size_t len);
  void OnUpstreamPreEstablish(Link* link, lws* wsi);
  void OnUpstreamEstablished(Link* link);
  void OnUpstreamFailed(Link* link, lws* wsi, void* in, size_t len);
  int OnReceive(Link* link, Leg& leg, const uint8_t* data, size_t len);
  int OnWritable(Link* link, Leg& leg);
  // Writes up to `max_chunks` chunks of queued frames; false when the socket failed.
  bool WriteQueued(Link* link, Leg& leg, int max_chunks);
  void OnPeerClose(Link* link, Leg& leg, const uint8_t* data, size_t len);
  void OnLegGone(Link* link, Leg& leg);

  void CloseLink(Link* link, int code, const std::string& reason);
  void RequestClose(Leg& leg, int code, const std::string& reason);
  void RequestDrop(Leg& leg);
  void Kill(Leg& leg);
  void UpdateFlow(Link* link, Leg& reader);
  void BeginShutdown();
  static void OnTick(lws_sorted_usec_list_t* sul);

  Options options_;
  recorder::RecordingContext recording_;
  std::vector<lws_protocols> protocols_;
  lws_context* context_ = nullptr;
  lws_vhost* vhost_ = nullptr;
  int port_ = 0;
  int next_ordinal_ = 0;
  bool shutting_down_ = false;
  std::unordered_set<Link*> links_;
  MaskKeys masks_;     // keys for frames written to upstreams
  uint64_t turn_ = 1;  // lws_service() calls so far: one turn of the event loop
  struct Tick {
    lws_sorted_usec_list_t sul;  // first member: the callback casts back
    RelayServer* self;
  } tick_{};
};

}  // namespace wsr::proxy
