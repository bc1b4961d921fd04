// Link: one relayed connection, the pair of legs that carry it.
//
// The client leg is the server-side wsi the client connected to; the upstream leg is the
// client-side wsi the relay opened to the real server. Both wsi point at the Link through
// lws opaque user data. The Link is owned by the RelayServer; it is freed when the second leg
// is gone (whichever closes last), and a gone leg's wsi no longer points at it.
//
// Each leg has a WireQueue of the frames to write to it, framed by the relay itself: a frame
// read from one leg is appended, piece by piece as lws delivers it, to the other leg's queue
// with the same opcode, FIN bit and length (so the wire fragmentation is kept), and becomes
// writable when its last piece arrived. Not thread-safe: only the lws service thread touches
// it.
#pragma once

#include <libwebsockets.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "cassettes/model.h"
#include "proxy/wire_queue.h"
#include "recorder/connection_recorder.h"

namespace wsr::proxy {

struct CloseRequest {
  int code = 1000;
  std::string reason;
};

struct Leg {
  lws* wsi = nullptr;
  const char* name = "";  // "client" | "upstream" (also the recorded close initiator)
  cassette::Direction reads_as = cassette::Direction::kClientToServer;
  bool established = false;
  bool gone = false;
  bool paused = false;                // rx flow control currently off
  bool peer_closed = false;           // the peer sent a close frame
  bool close_sent = false;            // we sent (or are sending) a close frame
  bool drop = false;                  // end the TCP connection without a close frame once drained
  std::optional<CloseRequest> close;  // close to send once the queue is drained

  WireQueue out;             // frames to write to this leg
  uint64_t direct_turn = 0;  // service turn of the last write made outside WRITEABLE

  // A wire frame is being read from this leg (its first piece arrived, its last not yet).
  bool reading_active = false;

  bool alive() const { return wsi && !gone; }
};

struct Link {
  explicit Link(const recorder::RecordingContext& ctx, int ordinal) : recorder(ctx, ordinal) {
    client.name = "client";
    client.reads_as = cassette::Direction::kClientToServer;
    upstream.name = "upstream";
    upstream.reads_as = cassette::Direction::kServerToClient;
  }
  Leg client, upstream;
  recorder::ConnectionRecorder recorder;
  bool closing = false;  // a close began: nothing more is relayed or recorded

  // Upstream handshake inputs; lws keeps pointers into these until the connect completes.
  std::string upstream_path;  // prefix + client path + "?" + query
  std::string upstream_host_header;
  std::string offered_subprotocols;   // the client's Sec-WebSocket-Protocol list, "" if none
  cassette::Headers forward_headers;  // name (lower-case) -> value, added upstream
  cassette::Headers response_headers;
  std::string upstream_subprotocol;

  // "connection N: ", the prefix of every log line about this connection.
  std::string LogPrefix() const {
    return "connection " + std::to_string(recorder.ordinal()) + ": ";
  }

  Leg& LegOf(lws* wsi) { return wsi == client.wsi ? client : upstream; }
  Leg& Other(const Leg& leg) { return &leg == &client ? upstream : client; }
};

}  // namespace wsr::proxy
