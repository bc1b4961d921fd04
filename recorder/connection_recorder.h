// ConnectionRecorder: turns what one relayed WebSocket connection does into cassette rows.
//
// The relay's connection state machine (proxy/relay_connection.h) feeds it, on the service
// thread, with time passed in (set_now): the client's request head (Open), the answer the
// client got (Accepted for a 101, Answered for a refusal or the proxy's own 502/504), every
// frame of both directions through the two wire::FrameSink views (sink()), and how the
// connection ended (TcpEnded, ProxyEnded, Finish). It reassembles messages (keeping the sizes
// of their wire frames), inflates permessage-deflate messages (stored as plaintext, flagged
// kFrameCompressed), records close/ping/pong frames with their direction, marks RFC 6455
// violations (kFrameViolation + note), redacts secrets, and hands rows to a RowSink (a queue:
// no disk I/O here). The parser runs beside the byte pump, so nothing here changes what is
// relayed.
//
// RecordingContext is shared by every connection of a session and must outlive them.
// ConnectionRecorder is not thread-safe: one per connection, used from one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cassettes/model.h"
#include "recorder/redactor.h"
#include "recorder/row_sink.h"
#include "wire/deflate.h"
#include "wire/http_head.h"
#include "wire/ws_parser.h"

namespace wsr::recorder {

struct RecordingContext {
  RowSink* sink = nullptr;              // not owned
  const Redactor* redactor = nullptr;   // not owned
  int64_t session_start_ns = 0;         // on the clock of the `now` values passed in
  size_t max_message_size = 16u << 20;  // bytes; the relay ends a connection over it
  // Numbering of the REST half, shared by the session's connections (service thread only):
  // HTTP client connections seen (Exchange::http_connection) and exchanges begun
  // (Exchange::ordinal).
  mutable int http_connections_seen = 0;
  mutable int exchanges_begun = 0;
};

class ConnectionRecorder {
 public:
  ConnectionRecorder(const RecordingContext& ctx, int ordinal, int64_t now_ns);
  ~ConnectionRecorder();
  ConnectionRecorder(const ConnectionRecorder&) = delete;
  ConnectionRecorder& operator=(const ConnectionRecorder&) = delete;

  int ordinal() const { return row_.ordinal; }
  size_t max_message_size() const { return ctx_.max_message_size; }
  void set_now(int64_t now_ns) { now_ns_ = now_ns; }

  // The client's upgrade request as received; `upstream_url` is where it is relayed.
  void Open(const wire::HttpHead& request, std::string_view path, std::string_view query,
            std::string_view upstream_url);
  // The upstream accepted (101): frames are recorded from now on.
  void Accepted(const wire::HttpHead& response, const std::optional<wire::DeflateParams>& deflate);
  // The client got another answer: the upstream's refusal (initiator "upstream", its head and
  // body as received) or the proxy's own (initiator "proxy", `error` says why).
  void Answered(std::string_view response_head, int status, const cassette::Headers& headers,
                std::string_view body, std::string error, const char* initiator);
  void SetError(std::string error);

  // Frames read from the client (kClientToServer) or from the upstream (kServerToClient).
  wire::FrameSink& sink(cassette::Direction d);

  // One side's TCP connection ended. Without a close frame before it, the connection is
  // recorded as 1006 against that side ("client" | "upstream").
  void TcpEnded(const char* side);
  // The proxy itself ended the connection (shutdown 1001, message too big 1009, internal
  // error 1011, ...): recorded unless a close was already recorded.
  void ProxyEnded(int code, std::string reason);
  // Both sides are gone: records when.
  void Finish();

  bool close_seen(cassette::Direction d) const { return close_seen_[Index(d)]; }
  bool closed() const { return row_.close_code.has_value() || !row_.close_initiator.empty(); }
  // A message over max_message_size began at this stream offset (bytes fed to that
  // direction's parser); nullopt when none.
  std::optional<uint64_t> too_big_at(cassette::Direction d) const { return too_big_at_[Index(d)]; }
  // The last row handed to the sink found it over its high mark; cleared by the caller when
  // the sink drained.
  bool backpressure() const { return backpressure_; }
  void clear_backpressure() { backpressure_ = false; }
  const cassette::Connection& row() const { return row_; }

 private:
  class DirectionSink;
  static int Index(cassette::Direction d) {
    return d == cassette::Direction::kClientToServer ? 0 : 1;
  }
  int64_t Offset() const { return now_ns_ - ctx_.session_start_ns; }
  void Emit(cassette::Frame f);
  void OnCloseFrame(cassette::Direction d, std::string_view payload);
  void Update();

  const RecordingContext& ctx_;
  cassette::Connection row_;
  int64_t now_ns_ = 0;
  int64_t next_seq_ = 0;
  bool close_seen_[2] = {false, false};
  std::optional<uint64_t> too_big_at_[2];
  bool backpressure_ = false;
  std::unique_ptr<DirectionSink> sinks_[2];
};

}  // namespace wsr::recorder
