#include "proxy/relay_connection.h"

#include <strings.h>

#include <utility>

#include "common/accept_guard.h"

namespace wsr::proxy {
namespace {
using cassette::Direction;
constexpr size_t kMaxCloseReason = 123;  // a close frame's payload is at most 125 bytes

int Index(Side s) { return s == Side::kClient ? 0 : 1; }

std::string Truncate(std::string s, size_t n) {
  if (s.size() > n) s.resize(n);
  return s;
}

// The origin-form target of a request target: absolute-form ("ws://host/p?q") loses its
// scheme and authority. Empty when the target is neither.
std::string OriginForm(const std::string& target) {
  if (!target.empty() && target[0] == '/') return target;
  size_t scheme = target.find("://");
  if (scheme == std::string::npos) return "";
  size_t slash = target.find_first_of("/?", scheme + 3);
  if (slash == std::string::npos) return "/";
  return target[slash] == '/' ? target.substr(slash) : "/" + target.substr(slash);
}
}  // namespace

RelayConnection::RelayConnection(const RelayConfig& config,
                                 const recorder::RecordingContext& recording, int ordinal,
                                 int64_t now_ns)
    : config_(config),
      recorder_(recording, ordinal, now_ns),
      request_parser_(wire::HttpHeadParser::Kind::kRequest, config.head_limits),
      response_parser_(wire::HttpHeadParser::Kind::kResponse, config.head_limits),
      from_client_({.role = wire::Role::kClient,
                    .allow_rsv1 = false,
                    .max_message_size = recording.max_message_size}),
      from_upstream_({.role = wire::Role::kServer,
                      .allow_rsv1 = false,
                      .max_message_size = recording.max_message_size}),
      body_keep_(recording.max_message_size),
      exchange_(recording) {}

bool RelayConnection::finished() const {
  return closed_[0] && (closed_[1] || !upstream_requested_);
}

void RelayConnection::Begin(int64_t now_ns) {
  out_.clear();
  now_ns_ = now_ns;
  recorder_.set_now(now_ns);
}

void RelayConnection::Send(Side side, std::string_view view) {
  if (view.empty() || closed_[Index(side)] || close_sent_[Index(side)]) return;
  RelayCommand c;
  c.kind = RelayCommand::Kind::kSend;
  c.side = side;
  c.view = view;
  out_.push_back(std::move(c));
}

void RelayConnection::SendOwned(Side side, std::string bytes) {
  if (bytes.empty() || closed_[Index(side)] || close_sent_[Index(side)]) return;
  RelayCommand c;
  c.kind = RelayCommand::Kind::kSend;
  c.side = side;
  c.owned = std::move(bytes);
  out_.push_back(std::move(c));
}

void RelayConnection::Close(Side side) {
  const int i = Index(side);
  if (side == Side::kUpstream && !upstream_requested_) return;
  if (closed_[i] || close_sent_[i]) return;
  close_sent_[i] = true;
  RelayCommand c;
  c.kind = RelayCommand::Kind::kClose;
  c.side = side;
  out_.push_back(std::move(c));
}

void RelayConnection::Log(RelayCommand::Kind kind, std::string text) {
  RelayCommand c;
  c.kind = kind;
  c.text = std::move(text);
  out_.push_back(std::move(c));
}

void RelayConnection::Command(RelayCommand::Kind kind, Side side, int64_t deadline_ns) {
  RelayCommand c;
  c.kind = kind;
  c.side = side;
  c.deadline_ns = deadline_ns;
  out_.push_back(std::move(c));
}

const std::vector<RelayCommand>& RelayConnection::OnClientData(const uint8_t* data, size_t len,
                                                               int64_t now_ns) {
  Begin(now_ns);
  if (closed_[0] || close_sent_[0]) return out_;
  switch (state_) {
    case State::kRequest:
      HandleRequest(data, len);
      break;
    case State::kConnecting:
    case State::kAwaitingResponse:
      held_client_.append(reinterpret_cast<const char*>(data), len);
      if (held_client_.size() > config_.held_client_bytes && !client_paused_for_hold_) {
        client_paused_for_hold_ = true;
        Command(RelayCommand::Kind::kPauseReading, Side::kClient, 0);
      }
      break;
    case State::kOpen:
      Pump(Side::kClient, data, len, false);
      break;
    case State::kHttpExchange:
      HandleHttpClientData(data, len);
      break;
    case State::kLingering:
      Linger(Side::kClient, data, len);
      break;
    case State::kRefusalBody:
    case State::kEnding:
      break;  // nothing more is relayed
  }
  return out_;
}

const std::vector<RelayCommand>& RelayConnection::OnUpstreamData(const uint8_t* data, size_t len,
                                                                 int64_t now_ns) {
  Begin(now_ns);
  if (closed_[1] || close_sent_[1]) return out_;
  switch (state_) {
    case State::kAwaitingResponse:
      HandleResponse(data, len);
      break;
    case State::kRefusalBody:
      HandleRefusalBody(data, len);
      break;
    case State::kOpen:
      Pump(Side::kUpstream, data, len, false);
      break;
    case State::kHttpExchange:
      HandleHttpResponse(data, len);
      break;
    case State::kLingering:
      Linger(Side::kUpstream, data, len);
      break;
    default:
      break;  // e.g. bytes between two HTTP exchanges: no request asked for them
  }
  return out_;
}

void RelayConnection::HandleRequest(const uint8_t* data, size_t len) {
  size_t used = 0;
  auto status =
      request_parser_.Feed(std::string_view(reinterpret_cast<const char*>(data), len), &used);
  if (status == wire::HttpHeadParser::Status::kNeedMore) return;
  if (status == wire::HttpHeadParser::Status::kError) {
    AnswerClient(400, "Bad Request", "bad request: " + request_parser_.error(), false);
    return;
  }
  const wire::HttpHead& head = request_parser_.head();
  if (!head.HasToken("Upgrade", "websocket")) {
    StartHttp(data + used, len - used);
    return;
  }
  if (http_) {
    AnswerClient(400, "Bad Request",
                 "a WebSocket upgrade on a connection that carried HTTP requests is not relayed; "
                 "open a new connection for it",
                 false);
    return;
  }
  std::string target = OriginForm(head.target);
  if (target.empty()) {
    AnswerClient(400, "Bad Request", "bad request target '" + Truncate(head.target, 200) + "'",
                 false);
    return;
  }
  std::string upstream_target = config_.upstream_path_prefix + target;
  size_t q = target.find('?');
  std::string path = target.substr(0, q);
  std::string query = q == std::string::npos ? "" : target.substr(q + 1);
  pending_request_ = wire::RewriteRequestHead(head, upstream_target, config_.upstream_host_header);
  recorder_.Open(head, path, query, config_.upstream_origin + upstream_target);
  Log(RelayCommand::Kind::kLogInfo, path + " -> " + recorder_.row().upstream_url);
  if (used < len) held_client_.append(reinterpret_cast<const char*>(data) + used, len - used);
  state_ = State::kConnecting;
  upstream_requested_ = true;
  upstream_resolving_ = true;
  Command(RelayCommand::Kind::kConnectUpstream, Side::kUpstream, 0);
  Command(RelayCommand::Kind::kSetTimer, Side::kUpstream, now_ns_ + config_.upstream_timeout_ns);
}

void RelayConnection::OnUpstreamResolved() { upstream_resolving_ = false; }

const std::vector<RelayCommand>& RelayConnection::OnUpstreamConnected(int64_t now_ns) {
  Begin(now_ns);
  upstream_resolving_ = false;
  if (http_) {
    upstream_connected_ = true;
    std::string pending = std::move(upstream_pending_);
    upstream_pending_.clear();
    SendOwned(Side::kUpstream, std::move(pending));
    return out_;
  }
  if (state_ != State::kConnecting) return out_;
  state_ = State::kAwaitingResponse;
  SendOwned(Side::kUpstream, std::move(pending_request_));
  pending_request_.clear();
  return out_;
}

const std::vector<RelayCommand>& RelayConnection::OnOutOfDescriptors(const std::string& why,
                                                                     int64_t now_ns) {
  const bool awaiting_answer = state_ == State::kConnecting || state_ == State::kAwaitingResponse ||
                               (state_ == State::kHttpExchange && !response_head_done_);
  if (!awaiting_answer) return OnUpstreamConnectFailed(why, now_ns);
  Begin(now_ns);
  closed_[1] = true;
  AnswerClient(503, "Service Unavailable", OutOfDescriptorsLine("record", why), true);
  if (finished() && !http_) recorder_.Finish();
  return out_;
}

const std::vector<RelayCommand>& RelayConnection::OnUpstreamConnectFailed(const std::string& why,
                                                                          int64_t now_ns) {
  Begin(now_ns);
  closed_[1] = true;
  upstream_resolving_ = false;
  if (state_ == State::kHttpExchange && !response_head_done_) {
    AnswerClient(502, "Bad Gateway", "upstream " + config_.upstream_base + " unreachable: " + why,
                 true);
  } else if (state_ == State::kHttpExchange) {
    FailHttpExchange("upstream", "upstream connection failed: " + why);
  } else if (state_ == State::kRequest && http_) {
    state_ = State::kEnding;
    Close(Side::kClient);
  } else if (state_ == State::kConnecting || state_ == State::kAwaitingResponse) {
    AnswerClient(502, "Bad Gateway", "upstream " + config_.upstream_base + " unreachable: " + why,
                 true);
  } else if (state_ == State::kOpen) {
    recorder_.TcpEnded("upstream");
    Close(Side::kClient);
    state_ = State::kEnding;
  } else if (state_ == State::kLingering) {
    StopLingering();
  }
  if (finished() && !http_) recorder_.Finish();
  return out_;
}

void RelayConnection::HandleResponse(const uint8_t* data, size_t len) {
  size_t used = 0;
  auto status =
      response_parser_.Feed(std::string_view(reinterpret_cast<const char*>(data), len), &used);
  if (status == wire::HttpHeadParser::Status::kNeedMore) return;
  if (status == wire::HttpHeadParser::Status::kError) {
    Close(Side::kUpstream);
    AnswerClient(502, "Bad Gateway",
                 "upstream sent an invalid HTTP response: " + response_parser_.error(), true);
    return;
  }
  Command(RelayCommand::Kind::kCancelTimer, Side::kUpstream, 0);
  const wire::HttpHead& head = response_parser_.head();
  Send(Side::kClient, head.raw);
  if (head.status != 101) {
    uint64_t length = 0;
    std::string error;
    auto framing = wire::HttpBodyReader::FramingOf(head, &length, &error);
    if (!error.empty()) framing = wire::HttpBodyReader::Framing::kUntilClose;
    refusal_body_.emplace(framing, length, config_.refusal_body_keep);
    state_ = State::kRefusalBody;
    HandleRefusalBody(data + used, len - used);
    return;
  }
  std::string extensions;
  for (const auto& h : head.headers) {
    if (strcasecmp(h.name.c_str(), "Sec-WebSocket-Extensions") == 0) {
      if (!extensions.empty()) extensions += ", ";
      extensions += h.value;
    }
  }
  std::optional<wire::DeflateParams> deflate;
  if (!extensions.empty()) {
    std::string error;
    deflate = wire::ParseDeflateResponse(extensions, &error);
    if (!error.empty()) {
      Log(RelayCommand::Kind::kLogWarn, "cannot read the negotiated extensions (" + error +
                                            "): compressed messages are recorded as sent");
    }
  }
  from_client_.set_allow_rsv1(deflate.has_value());
  from_upstream_.set_allow_rsv1(deflate.has_value());
  recorder_.Accepted(head, deflate);
  state_ = State::kOpen;
  if (!held_client_.empty()) {
    std::string held = std::move(held_client_);
    held_client_.clear();
    Pump(Side::kClient, reinterpret_cast<const uint8_t*>(held.data()), held.size(), true);
  }
  if (client_paused_for_hold_) {
    client_paused_for_hold_ = false;
    Command(RelayCommand::Kind::kResumeReading, Side::kClient, 0);
  }
  if (used < len && state_ == State::kOpen) Pump(Side::kUpstream, data + used, len - used, false);
}

void RelayConnection::HandleRefusalBody(const uint8_t* data, size_t len) {
  size_t used = 0;
  auto status =
      refusal_body_->Feed(std::string_view(reinterpret_cast<const char*>(data), len), &used);
  if (used) Send(Side::kClient, std::string_view(reinterpret_cast<const char*>(data), used));
  if (status != wire::HttpBodyReader::Status::kNeedMore) FinishRefusal();
}

void RelayConnection::FinishRefusal() {
  if (state_ != State::kRefusalBody) return;
  const wire::HttpHead& head = response_parser_.head();
  cassette::Headers headers;
  for (const auto& h : head.headers) headers.emplace_back(h.name, h.value);
  std::string error = refusal_body_->error();
  if (refusal_body_->truncated()) {
    error = "refusal body longer than " + std::to_string(config_.refusal_body_keep) +
            " bytes: only the start is kept";
  }
  recorder_.Answered(head.raw, head.status, headers, refusal_body_->content(), error, "upstream");
  Log(RelayCommand::Kind::kLogWarn,
      "upstream refused the upgrade: HTTP " + std::to_string(head.status));
  state_ = State::kEnding;
  Close(Side::kClient);
  Close(Side::kUpstream);
}

void RelayConnection::Pump(Side from, const uint8_t* data, size_t len, bool copy) {
  const Direction d =
      from == Side::kClient ? Direction::kClientToServer : Direction::kServerToClient;
  wire::FrameParser& parser = from == Side::kClient ? from_client_ : from_upstream_;
  const uint64_t before = parser.bytes_fed();
  const bool was_too_big = recorder_.too_big_at(d).has_value();
  parser.Feed(data, len, recorder_.sink(d));
  size_t forward = len;
  bool too_big = false;
  if (!was_too_big && recorder_.too_big_at(d)) {
    too_big = true;
    uint64_t at = *recorder_.too_big_at(d);
    forward = at >= before ? static_cast<size_t>(std::min<uint64_t>(at - before, len)) : 0;
    cut_at_boundary_[Index(OtherSide(from))] = true;
  }
  std::string_view bytes(reinterpret_cast<const char*>(data), forward);
  if (copy) {
    SendOwned(OtherSide(from), std::string(bytes));
  } else {
    Send(OtherSide(from), bytes);
  }
  if (too_big) {
    EndOpen(1009, "message too big: over " + std::to_string(recorder_.max_message_size()) +
                      " bytes (--max-message-size)");
    return;
  }
  if (closing_on_shutdown_ && recorder_.close_seen(Direction::kClientToServer) &&
      recorder_.close_seen(Direction::kServerToClient)) {
    Command(RelayCommand::Kind::kCancelTimer, Side::kUpstream, 0);
    EndOpen(1001, "wsreplay record is shutting down");
    return;
  }
  CheckBackpressure();
}

void RelayConnection::CheckBackpressure() {
  if (!recorder_.backpressure() || paused_for_sink_) return;
  if (state_ != State::kOpen && state_ != State::kLingering) return;
  paused_for_sink_ = true;
  Command(RelayCommand::Kind::kPauseReading, Side::kClient, 0);
  Command(RelayCommand::Kind::kPauseReading, Side::kUpstream, 0);
}

const std::vector<RelayCommand>& RelayConnection::OnSinkDrained(int64_t now_ns) {
  Begin(now_ns);
  recorder_.clear_backpressure();
  if (!paused_for_sink_) return out_;
  paused_for_sink_ = false;
  Command(RelayCommand::Kind::kResumeReading, Side::kClient, 0);
  Command(RelayCommand::Kind::kResumeReading, Side::kUpstream, 0);
  return out_;
}

void RelayConnection::AnswerClient(int status, const char* reason_phrase, const std::string& why,
                                   bool record) {
  std::string body = "wsreplay: " + why + "\n";
  std::string response = wire::MakeSimpleResponse(status, reason_phrase, body);
  if (record) {
    size_t end = response.find("\r\n\r\n");
    std::string head = response.substr(0, end == std::string::npos ? response.size() : end + 4);
    cassette::Headers headers = {{"Content-Type", "text/plain; charset=utf-8"},
                                 {"Content-Length", std::to_string(body.size())},
                                 {"Connection", "close"}};
    if (http_) {
      if (!exchange_.ProxyAnswered(status, headers, body, why, now_ns_)) PauseForSink();
    } else {
      recorder_.Answered(head, status, headers, body, why, "proxy");
    }
  }
  Log(RelayCommand::Kind::kLogWarn, "HTTP " + std::to_string(status) + " to the client: " + why);
  Command(RelayCommand::Kind::kCancelTimer, Side::kUpstream, 0);
  SendOwned(Side::kClient, std::move(response));
  Close(Side::kClient);
  Close(Side::kUpstream);
  state_ = State::kEnding;
}

void RelayConnection::EndOpen(int code, const std::string& reason) {
  if (state_ != State::kOpen) return;
  state_ = State::kEnding;
  const std::string why = Truncate(reason, kMaxCloseReason);
  recorder_.ProxyEnded(code, why);
  Log(RelayCommand::Kind::kLogWarn, "closing with " + std::to_string(code) + ": " + why);
  for (Side side : {Side::kClient, Side::kUpstream}) {
    const int i = Index(side);
    if (closed_[i]) continue;
    // The stream towards `side` is what was read from the other side.
    const wire::FrameParser& feeding = side == Side::kUpstream ? from_client_ : from_upstream_;
    const Direction towards =
        side == Side::kUpstream ? Direction::kClientToServer : Direction::kServerToClient;
    const bool at_boundary =
        cut_at_boundary_[i] || (!feeding.mid_frame() && !feeding.in_frame_header());
    if (at_boundary && !recorder_.close_seen(towards)) {
      std::string payload = wire::EncodeClosePayload(static_cast<uint16_t>(code), why);
      if (side == Side::kUpstream) {
        uint8_t key[4] = {0x5a, 0xa5, 0x3c, 0xc3};
        if (config_.mask_key) config_.mask_key(key);
        SendOwned(side, wire::EncodeFrame(8, payload, true, key));
      } else {
        SendOwned(side, wire::EncodeFrame(8, payload, true, nullptr));
      }
    }
    Close(side);
  }
}

const std::vector<RelayCommand>& RelayConnection::OnClosed(Side side, int64_t now_ns) {
  Begin(now_ns);
  const int i = Index(side);
  if (closed_[i]) return out_;
  closed_[i] = true;
  switch (state_) {
    case State::kRequest:
      state_ = State::kEnding;
      Close(OtherSide(side));  // an HTTP keep-alive pair ends together
      break;
    case State::kHttpExchange:
      if (side == Side::kClient) {
        Command(RelayCommand::Kind::kCancelTimer, Side::kUpstream, 0);
        FailHttpExchange("client", "the client went away before the response was complete");
      } else if (!response_head_done_) {
        AnswerClient(502, "Bad Gateway", "upstream closed the connection before answering", true);
      } else if (response_body_ &&
                 response_body_->OnClose() == wire::HttpBodyReader::Status::kDone) {
        close_after_exchange_ = true;
        FinishHttpExchange();
      } else {
        FailHttpExchange("upstream",
                         "upstream closed the connection before the end of the response");
      }
      break;
    case State::kConnecting:
    case State::kAwaitingResponse:
      if (side == Side::kClient) {
        recorder_.SetError("the client left before the upstream answered the upgrade");
        recorder_.TcpEnded("client");
        Command(RelayCommand::Kind::kCancelTimer, Side::kUpstream, 0);
        Close(Side::kUpstream);
        state_ = State::kEnding;
      } else {
        AnswerClient(502, "Bad Gateway",
                     "upstream closed the connection before answering the upgrade", true);
      }
      break;
    case State::kRefusalBody:
      if (side == Side::kUpstream) refusal_body_->OnClose();
      FinishRefusal();
      break;
    case State::kOpen:
      recorder_.TcpEnded(SideName(side));
      state_ = State::kEnding;
      if (!StartLingering(OtherSide(side))) Close(OtherSide(side));
      break;
    case State::kLingering:
      if (side == lingering_) {
        StopLingering();
      } else {
        Close(OtherSide(side));  // cannot happen: the other side was gone already
      }
      break;
    case State::kEnding:
      Close(OtherSide(side));
      break;
  }
  if (finished() && !http_) recorder_.Finish();
  return out_;
}

bool RelayConnection::StartLingering(Side side) {
  const int i = Index(side);
  if (closed_[i] || close_sent_[i] || (side == Side::kUpstream && !upstream_requested_)) {
    return false;
  }
  const Direction from_side =
      side == Side::kClient ? Direction::kClientToServer : Direction::kServerToClient;
  const Direction from_gone =
      side == Side::kClient ? Direction::kServerToClient : Direction::kClientToServer;
  // Only an unanswered close frame is waited for: after a bare TCP end (1006) the side still
  // open would not stop by itself, and an answered one leaves nothing to wait for.
  if (!recorder_.close_seen(from_gone) || recorder_.close_seen(from_side)) return false;
  state_ = State::kLingering;
  lingering_ = side;
  Command(RelayCommand::Kind::kSetTimer, side, now_ns_ + config_.close_linger_ns);
  return true;
}

void RelayConnection::Linger(Side from, const uint8_t* data, size_t len) {
  if (from != lingering_) return;
  const Direction d =
      from == Side::kClient ? Direction::kClientToServer : Direction::kServerToClient;
  wire::FrameParser& parser = from == Side::kClient ? from_client_ : from_upstream_;
  parser.Feed(data, len, recorder_.sink(d));
  if (recorder_.close_seen(d) || recorder_.too_big_at(d)) {
    StopLingering();
    return;
  }
  CheckBackpressure();
}

void RelayConnection::StopLingering() {
  if (state_ != State::kLingering) return;
  state_ = State::kEnding;
  Command(RelayCommand::Kind::kCancelTimer, lingering_, 0);
  Close(lingering_);
}

const std::vector<RelayCommand>& RelayConnection::OnTimer(int64_t now_ns) {
  Begin(now_ns);
  const std::string within =
      " within " + std::to_string(config_.upstream_timeout_ns / 1'000'000) + " ms" +
      (upstream_resolving_ ? " (its host name lookup had not finished)" : "");
  if (state_ == State::kHttpExchange && !response_head_done_) {
    AnswerClient(504, "Gateway Timeout",
                 "upstream " + config_.upstream_base + " did not answer the request" + within,
                 true);
  } else if (state_ == State::kConnecting || state_ == State::kAwaitingResponse) {
    AnswerClient(504, "Gateway Timeout",
                 "upstream " + config_.upstream_base + " did not answer the upgrade" + within,
                 true);
  } else if (state_ == State::kOpen && closing_on_shutdown_) {
    EndOpen(1001, "wsreplay record is shutting down");
  } else if (state_ == State::kLingering) {
    Log(RelayCommand::Kind::kLogInfo,
        std::string(SideName(lingering_)) + " did not answer the " +
            SideName(OtherSide(lingering_)) + "'s close frame within " +
            std::to_string(config_.close_linger_ns / 1'000'000) + " ms: closing it");
    StopLingering();
  }
  return out_;
}

const std::vector<RelayCommand>& RelayConnection::OnShutdown(int64_t now_ns) {
  Begin(now_ns);
  switch (state_) {
    case State::kRequest:
      state_ = State::kEnding;
      Close(Side::kClient);
      Close(Side::kUpstream);
      break;
    case State::kHttpExchange:
      if (!response_head_done_) {
        AnswerClient(503, "Service Unavailable", "wsreplay record is shutting down", true);
      } else {
        FailHttpExchange("proxy", "wsreplay record shut down before the end of the response");
      }
      break;
    case State::kConnecting:
    case State::kAwaitingResponse:
      AnswerClient(503, "Service Unavailable", "wsreplay record is shutting down", true);
      break;
    case State::kRefusalBody:
      FinishRefusal();
      break;
    case State::kOpen:
      if (recorder_.close_seen(Direction::kClientToServer) !=
          recorder_.close_seen(Direction::kServerToClient)) {
        // A closing handshake is under way: its answer is awaited (and relayed), bounded by
        // the linger timer; then both sides are closed.
        closing_on_shutdown_ = true;
        Command(RelayCommand::Kind::kSetTimer, Side::kUpstream, now_ns_ + config_.close_linger_ns);
        break;
      }
      EndOpen(1001, "wsreplay record is shutting down");
      break;
    case State::kLingering:
      // Already in its closing handshake: no 1001 frame, and the answer is still awaited
      // (bounded by the linger timer, well within the shutdown's grace period).
      break;
    case State::kEnding:
      Close(Side::kClient);
      Close(Side::kUpstream);
      break;
  }
  return out_;
}

const std::vector<RelayCommand>& RelayConnection::OnInternalError(const std::string& why,
                                                                  int64_t now_ns) {
  Begin(now_ns);
  switch (state_) {
    case State::kOpen:
      EndOpen(1011, "wsreplay record: internal relay error");
      break;
    case State::kConnecting:
    case State::kAwaitingResponse:
      AnswerClient(502, "Bad Gateway", "internal relay error: " + why, true);
      break;
    case State::kHttpExchange:
      if (!response_head_done_) {
        AnswerClient(502, "Bad Gateway", "internal relay error: " + why, true);
      } else {
        FailHttpExchange("proxy", "internal relay error: " + why);
      }
      break;
    default:
      recorder_.ProxyEnded(1011, Truncate("internal relay error: " + why, kMaxCloseReason));
      state_ = State::kEnding;
      Close(Side::kClient);
      Close(Side::kUpstream);
      break;
  }
  return out_;
}

// ---------------- the REST half: plain HTTP/1.1 ----------------

void RelayConnection::SendUpstream(std::string bytes) {
  if (upstream_connected_) {
    SendOwned(Side::kUpstream, std::move(bytes));
  } else {
    upstream_pending_ += bytes;
  }
}

void RelayConnection::PauseForSink() {
  if (paused_for_sink_) return;
  paused_for_sink_ = true;
  Command(RelayCommand::Kind::kPauseReading, Side::kClient, 0);
  if (upstream_requested_) Command(RelayCommand::Kind::kPauseReading, Side::kUpstream, 0);
}

void RelayConnection::StartHttp(const uint8_t* rest, size_t n) {
  const wire::HttpHead& head = request_parser_.head();
  std::string target = OriginForm(head.target);
  if (target.empty()) {
    AnswerClient(400, "Bad Request", "bad request target '" + Truncate(head.target, 200) + "'",
                 false);
    return;
  }
  uint64_t length = 0;
  std::string error;
  auto framing = wire::HttpBodyReader::FramingOf(head, &length, &error);
  if (!error.empty()) {
    AnswerClient(400, "Bad Request", "bad request: " + error, false);
    return;
  }
  if (!http_) {
    http_ = true;
    http_connection_ = ++exchange_.context().http_connections_seen;
  }
  std::string upstream_target = config_.upstream_path_prefix + target;
  size_t q = target.find('?');
  std::string path = target.substr(0, q);
  std::string query = q == std::string::npos ? "" : target.substr(q + 1);
  exchange_.Begin(http_connection_, head, path, query, now_ns_);
  head_request_ = head.method == "HEAD";
  close_after_exchange_ =
      head.HasToken("Connection", "close") ||
      (head.version == "HTTP/1.0" && !head.HasToken("Connection", "keep-alive"));
  request_body_.emplace(framing, length, body_keep_);
  request_body_done_ = false;
  response_body_.reset();
  response_head_done_ = false;
  response_parser_.Reset();
  state_ = State::kHttpExchange;
  SendUpstream(wire::RewriteRequestHead(head, upstream_target, config_.upstream_host_header));
  if (!upstream_requested_) {
    upstream_requested_ = true;
    upstream_resolving_ = true;
    Log(RelayCommand::Kind::kLogInfo,
        "HTTP " + head.method + " " + path + " -> " + config_.upstream_base);
    Command(RelayCommand::Kind::kConnectUpstream, Side::kUpstream, 0);
  }
  Command(RelayCommand::Kind::kSetTimer, Side::kUpstream, now_ns_ + config_.upstream_timeout_ns);
  if (framing == wire::HttpBodyReader::Framing::kNone) {
    request_body_done_ = true;
    exchange_.RequestBody("", false);
  }
  if (n) HandleHttpClientData(rest, n);
}

void RelayConnection::HandleHttpClientData(const uint8_t* data, size_t len) {
  std::string_view bytes(reinterpret_cast<const char*>(data), len);
  if (!request_body_done_) {
    size_t used = 0;
    auto status = request_body_->Feed(bytes, &used);
    if (used) SendUpstream(std::string(bytes.substr(0, used)));
    bytes.remove_prefix(used);
    if (status == wire::HttpBodyReader::Status::kError) {
      Log(RelayCommand::Kind::kLogWarn, "bad request body: " + request_body_->error());
      FailHttpExchange("client", "bad request body: " + request_body_->error());
      return;
    }
    if (status == wire::HttpBodyReader::Status::kDone) {
      request_body_done_ = true;
      exchange_.RequestBody(request_body_->content(), request_body_->truncated());
    }
  }
  if (bytes.empty()) return;
  // The next request, pipelined: held until this exchange's response is complete.
  held_client_.append(bytes);
  if (held_client_.size() > config_.held_client_bytes && !client_paused_for_hold_) {
    client_paused_for_hold_ = true;
    Command(RelayCommand::Kind::kPauseReading, Side::kClient, 0);
  }
}

void RelayConnection::HandleHttpResponse(const uint8_t* data, size_t len) {
  std::string_view bytes(reinterpret_cast<const char*>(data), len);
  while (!bytes.empty() && state_ == State::kHttpExchange) {
    size_t used = 0;
    if (!response_head_done_) {
      auto status = response_parser_.Feed(bytes, &used);
      bytes.remove_prefix(used);
      if (status == wire::HttpHeadParser::Status::kNeedMore) return;
      if (status == wire::HttpHeadParser::Status::kError) {
        AnswerClient(502, "Bad Gateway",
                     "upstream sent an invalid HTTP response: " + response_parser_.error(), true);
        return;
      }
      const wire::HttpHead& head = response_parser_.head();
      if (head.status >= 100 && head.status < 200 && head.status != 101) {
        SendOwned(Side::kClient, head.raw);
        response_parser_.Reset();  // interim (100 Continue, 103): the final response follows
        continue;
      }
      Command(RelayCommand::Kind::kCancelTimer, Side::kUpstream, 0);
      SendOwned(Side::kClient, head.raw);  // the body's bytes follow it in the same write
      response_head_done_ = true;
      exchange_.ResponseHead(head);
      uint64_t length = 0;
      std::string error;
      auto framing = wire::HttpBodyReader::FramingOf(head, &length, &error);
      if (!error.empty()) framing = wire::HttpBodyReader::Framing::kUntilClose;
      if (head_request_ || head.status == 101) framing = wire::HttpBodyReader::Framing::kNone;
      if (framing == wire::HttpBodyReader::Framing::kUntilClose || head.status == 101 ||
          head.HasToken("Connection", "close") ||
          (head.version == "HTTP/1.0" && !head.HasToken("Connection", "keep-alive"))) {
        close_after_exchange_ = true;
      }
      response_body_.emplace(framing, length, body_keep_);
      if (framing == wire::HttpBodyReader::Framing::kNone) {
        FinishHttpExchange();
        return;
      }
      continue;
    }
    auto status = response_body_->Feed(bytes, &used);
    // A view: the upstream's read buffer outlives the commands (as for frames in Pump).
    if (used) Send(Side::kClient, bytes.substr(0, used));
    bytes.remove_prefix(used);
    if (status == wire::HttpBodyReader::Status::kError) {
      FailHttpExchange("upstream", "bad response body: " + response_body_->error());
      return;
    }
    if (status == wire::HttpBodyReader::Status::kDone) {
      FinishHttpExchange();
      return;
    }
  }
}

void RelayConnection::FinishHttpExchange() {
  const bool recorded = exchange_.Responded(response_parser_.head(), response_body_->content(),
                                            response_body_->truncated(), now_ns_);
  response_body_.reset();
  // A response that came before the request body was complete (e.g. a 401 to an
  // `Expect: 100-continue` request): the rest of the request cannot be told from the next.
  if (!request_body_done_) close_after_exchange_ = true;
  request_body_.reset();
  if (!recorded) PauseForSink();
  if (close_after_exchange_) {
    state_ = State::kEnding;
    Close(Side::kClient);
    Close(Side::kUpstream);
    return;
  }
  state_ = State::kRequest;
  request_parser_.Reset();
  if (client_paused_for_hold_) {
    client_paused_for_hold_ = false;
    Command(RelayCommand::Kind::kResumeReading, Side::kClient, 0);
  }
  if (!held_client_.empty()) {
    std::string held = std::move(held_client_);
    held_client_.clear();
    HandleRequest(reinterpret_cast<const uint8_t*>(held.data()), held.size());
  }
}

void RelayConnection::FailHttpExchange(const char* initiator, const std::string& why) {
  if (!exchange_.Failed(initiator, why, now_ns_)) PauseForSink();
  Command(RelayCommand::Kind::kCancelTimer, Side::kUpstream, 0);
  state_ = State::kEnding;
  Close(Side::kClient);
  Close(Side::kUpstream);
}

}  // namespace wsr::proxy
