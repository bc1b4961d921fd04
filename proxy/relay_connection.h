// RelayConnection: one client connection through `wsreplay record`, as a sans-I/O state
// machine. Events go in (bytes read from either side, the upstream connected or failed, a
// side's TCP ended, a timer, shutdown), commands come out (send these bytes to that side,
// connect, close, pause reading, set a timer): see relay_command.h. No sockets, no clock
// (time is passed in), no lws: unit-tested with scripted events
// (tests/proxy/relay_connection_test.cc).
//
// What it does with the bytes:
//  - Reads the client's request head (wire/http_head.h). A WebSocket upgrade is relayed to
//    the upstream as received except the Host header and the target (prefixed with the
//    upstream URL's path). Anything else gets a 400 with a one-line body.
//  - Until the upstream answers, the client's upgrade stays pending (while the transport looks
//    up the upstream's name, connects, and does the TLS handshake: kConnecting). The upstream's
//    answer is forwarded as received: a 101 (headers, subprotocol, extensions) or a refusal with
//    its headers and body. If the upstream cannot be reached the client gets a 502, if it does not
//    answer within the timeout a 504, each with a one-line body and recorded as the proxy's answer.
//  - After a 101 it is a byte pump: bytes go to the other side as read, never re-framed,
//    while an RFC 6455 parser per direction (wire/ws_parser.h) feeds the recorder from the
//    same buffers. Violations are relayed (the real peer decides) and marked in the cassette.
//  - A message over the size cap: what came before its frame is relayed, then both sides get
//    a close frame 1009 (when their stream is at a frame boundary) and the connection ends.
//  - TCP ends are mirrored: when one side's connection ends, the other is closed once what
//    was sent to it is written. Except the closing handshake: when a side's TCP ends right
//    after its close frame and the other side has not answered it with its own yet, the
//    other side is still read and recorded (nothing is relayed: its peer is gone) until its
//    close frame, its TCP end or RelayConfig::close_linger_ns, whichever comes first; then it
//    is closed. So a client that sends a close frame and drops TCP at once still gets the
//    upstream's close recorded, and the other way round. Shutdown closes with 1001.
//  - When the recorder's sink is over its high mark, both sides stop being read until
//    OnSinkDrained.
//  - A request that is not a WebSocket upgrade is relayed as plain HTTP/1.1 (the REST half):
//    head as received except Host and the target (as for an upgrade), body framed by
//    Content-Length or chunked (wire/http_body.h) and relayed as read; the response the same
//    way (HEAD, 1xx, 204 and 304 without a body; interim 1xx such as `100 Continue` relayed
//    and then the final response awaited). The connection is kept alive: the next request
//    goes to the same upstream connection (one upstream connection per client connection),
//    until either side closes or says `Connection: close`. Requests pipelined by the client
//    are held until the response before them is complete. Each exchange is recorded by an
//    ExchangeRecorder when its response is complete; 502 (unreachable, or the upstream ended
//    without an answer), 504 (no response head within the timeout) and 503 (shutdown) are the
//    proxy's own answers, recorded as such. Once a connection has carried HTTP requests, a
//    later upgrade on it gets a 400.
//
// Owns its ConnectionRecorder. Not thread-safe: one thread (the relay's service thread).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/relay_command.h"
#include "recorder/connection_recorder.h"
#include "recorder/exchange_recorder.h"
#include "wire/http_body.h"
#include "wire/http_head.h"
#include "wire/ws_parser.h"

namespace wsr::proxy {

// How long the side still open is read, after the other side's TCP ended right after its
// close frame, for its own close frame (see "Except the closing handshake" above).
inline constexpr int64_t kCloseLingerNs = 1'000'000'000;

struct RelayConfig {
  std::string upstream_base;         // "ws://host:port/prefix" (for logs)
  std::string upstream_origin;       // "ws://host:port": + the upstream target = URL recorded
  std::string upstream_path_prefix;  // "/prefix" or ""
  std::string upstream_host_header;  // Host value sent upstream
  int64_t upstream_timeout_ns = 10'000'000'000;
  int64_t close_linger_ns = kCloseLingerNs;
  wire::HttpLimits head_limits;
  size_t held_client_bytes = 1u << 20;  // client bytes held while the upstream answers
  size_t refusal_body_keep = 1u << 20;  // bytes of a refusal body kept in the cassette
  // Fills a 4-byte masking key for the proxy's own frames towards the upstream.
  std::function<void(uint8_t key[4])> mask_key;
};

class RelayConnection {
 public:
  RelayConnection(const RelayConfig& config, const recorder::RecordingContext& recording,
                  int ordinal, int64_t now_ns);

  // Each event returns the commands to carry out (valid until the next event).
  const std::vector<RelayCommand>& OnClientData(const uint8_t* data, size_t len, int64_t now_ns);
  const std::vector<RelayCommand>& OnUpstreamData(const uint8_t* data, size_t len, int64_t now_ns);
  // The upstream's host name was looked up (the transport tries its addresses now). Until then
  // (from kConnectUpstream) upstream_resolving() is true, and a timeout says the lookup had not
  // finished. No commands.
  void OnUpstreamResolved();
  const std::vector<RelayCommand>& OnUpstreamConnected(int64_t now_ns);
  const std::vector<RelayCommand>& OnUpstreamConnectFailed(const std::string& why, int64_t now_ns);
  // The upstream socket could not be opened for lack of file descriptors (EMFILE/ENFILE; `why`
  // says which): the proxy's own shortage, not the upstream's. A client still waiting for its
  // answer gets 503 with one line (recorded as the proxy's refusal); otherwise as
  // OnUpstreamConnectFailed.
  const std::vector<RelayCommand>& OnOutOfDescriptors(const std::string& why, int64_t now_ns);
  // A side's TCP connection ended (EOF, reset or error).
  const std::vector<RelayCommand>& OnClosed(Side side, int64_t now_ns);
  const std::vector<RelayCommand>& OnTimer(int64_t now_ns);
  const std::vector<RelayCommand>& OnShutdown(int64_t now_ns);
  const std::vector<RelayCommand>& OnSinkDrained(int64_t now_ns);
  // Something failed in the transport or in handling: end with 1011 (recorded, proxy).
  const std::vector<RelayCommand>& OnInternalError(const std::string& why, int64_t now_ns);

  int ordinal() const { return recorder_.ordinal(); }
  // Both sides' TCP connections are gone (or were never opened): the connection can be freed.
  bool finished() const;
  bool upstream_requested() const { return upstream_requested_; }
  // The upstream was asked for and its host name lookup has not finished (nor failed): there
  // is no upstream socket yet.
  bool upstream_resolving() const { return upstream_resolving_; }
  // True while the connection waits for OnSinkDrained: the sink refused one of its rows, or its
  // sockets are paused until the sink drains. OnSinkDrained does nothing for any other
  // connection, so a transport needs to deliver it only to these.
  bool waiting_for_sink() const { return paused_for_sink_ || recorder_.backpressure(); }
  const recorder::ConnectionRecorder& recorder() const { return recorder_; }

 private:
  enum class State {
    kRequest,
    kConnecting,
    kAwaitingResponse,
    kRefusalBody,
    kOpen,
    kHttpExchange,  // a plain HTTP request is being relayed and its response awaited/relayed
    kLingering,     // one side's TCP ended after its close frame; the other's answer is awaited
    kEnding
  };

  void Begin(int64_t now_ns);
  void Command(RelayCommand::Kind kind, Side side, int64_t deadline_ns);
  void Send(Side side, std::string_view view);
  void SendOwned(Side side, std::string bytes);
  void Close(Side side);
  void Log(RelayCommand::Kind kind, std::string text);
  void HandleRequest(const uint8_t* data, size_t len);
  void HandleResponse(const uint8_t* data, size_t len);
  void HandleRefusalBody(const uint8_t* data, size_t len);
  // Relays bytes read from `from` to the other side (copied when `copy`, else viewed) and
  // feeds them to the recorder's parser for that direction.
  void Pump(Side from, const uint8_t* data, size_t len, bool copy);
  void FinishRefusal();
  // The proxy answers the pending upgrade itself (400/502/503/504) and ends the connection.
  void AnswerClient(int status, const char* reason_phrase, const std::string& why, bool record);
  // Ends an open connection: close frames (where the stream allows) and TCP closes.
  void EndOpen(int code, const std::string& reason);
  void CheckBackpressure();
  // `side` is still open and the other side's TCP just ended: lingers on `side` when the
  // closing handshake calls for it (true), else does nothing (false).
  bool StartLingering(Side side);
  // Bytes read from the lingering side: recorded, not relayed.
  void Linger(Side from, const uint8_t* data, size_t len);
  void StopLingering();
  // The REST half: a plain HTTP request's head is complete (rest = bytes after it).
  void StartHttp(const uint8_t* rest, size_t n);
  void HandleHttpClientData(const uint8_t* data, size_t len);
  void HandleHttpResponse(const uint8_t* data, size_t len);
  void FinishHttpExchange();
  // Ends an HTTP exchange without a complete response; both sides are closed.
  void FailHttpExchange(const char* initiator, const std::string& why);
  void SendUpstream(std::string bytes);  // queued until the upstream is connected
  void PauseForSink();

  const RelayConfig& config_;
  recorder::ConnectionRecorder recorder_;
  State state_ = State::kRequest;
  int64_t now_ns_ = 0;
  std::string pending_request_;  // the rewritten request head, sent once the upstream connects
  std::vector<RelayCommand> out_;

  wire::HttpHeadParser request_parser_;
  wire::HttpHeadParser response_parser_;
  std::optional<wire::HttpBodyReader> refusal_body_;
  std::string refusal_forwarded_head_;
  std::string held_client_;  // client bytes that arrived before the upstream's 101
  wire::FrameParser from_client_;
  wire::FrameParser from_upstream_;
  bool recording_frames_ = false;
  bool upstream_requested_ = false;
  bool upstream_resolving_ = false;      // kConnectUpstream issued, OnUpstreamResolved not yet
  bool closed_[2] = {false, false};      // that side's TCP is gone
  bool close_sent_[2] = {false, false};  // kClose issued for that side
  bool cut_at_boundary_[2] = {false,
                              false};  // the stream towards that side was cut at a frame start
  bool paused_for_sink_ = false;
  bool client_paused_for_hold_ = false;
  Side lingering_ = Side::kUpstream;  // kLingering: the side still read
  bool closing_on_shutdown_ = false;  // shutdown came mid closing handshake: its end awaited

  // The REST half (set once the connection's first request is not an upgrade).
  bool http_ = false;
  int http_connection_ = 0;  // Exchange::http_connection
  size_t body_keep_ = 0;     // body bytes kept for the recording
  recorder::ExchangeRecorder exchange_;
  std::optional<wire::HttpBodyReader> request_body_;
  std::optional<wire::HttpBodyReader> response_body_;
  bool request_body_done_ = false;
  bool response_head_done_ = false;
  bool head_request_ = false;          // a HEAD request: its response has no body
  bool close_after_exchange_ = false;  // Connection: close (either side), HTTP/1.0, ...
  bool upstream_connected_ = false;
  std::string upstream_pending_;  // bytes for the upstream before it is connected
};

}  // namespace wsr::proxy
