#include "tests/support/ws_client.h"

#include <libwebsockets.h>
#include <sys/socket.h>

#include <cstring>

namespace wsr::testing {
namespace {
int LwsCallback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  return WsClient::Callback(wsi, static_cast<int>(reason), user, in, len);
}

const lws_protocols kProtocols[] = {
    {"wsreplay-test-client", LwsCallback, 0, 64 * 1024, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0}};
}  // namespace

std::optional<WsMessage> WsAssembler::Add(lws* wsi, const void* in, size_t len) {
  if (lws_is_first_fragment(wsi)) {
    cur_ = WsMessage{};
    cur_.binary = lws_frame_is_binary(wsi);
    frame_fill_ = 0;
  }
  cur_.data.append(static_cast<const char*>(in), len);
  frame_fill_ += len;
  if (lws_remaining_packet_payload(wsi) == 0) {
    cur_.frames.push_back(frame_fill_);
    frame_fill_ = 0;
  }
  if (!lws_is_final_fragment(wsi)) return std::nullopt;
  WsMessage done = std::move(cur_);
  cur_ = WsMessage{};
  return done;
}

std::unique_ptr<WsClient> WsClient::Connect(const std::string& url, Options options) {
  std::unique_ptr<WsClient> c(new WsClient());
  c->options_ = std::move(options);
  // Parse ws://host:port/path
  std::string rest = url.substr(url.find("://") + 3);
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  c->path_ = slash == std::string::npos ? "/" : rest.substr(slash);
  c->host_header_ = authority;
  size_t colon = authority.rfind(':');
  std::string host = authority.substr(0, colon);
  int port = colon == std::string::npos ? 80 : std::stoi(authority.substr(colon + 1));

  lws_set_log_level(LLL_ERR, nullptr);
  lws_context_creation_info info{};
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = kProtocols;
  info.user = c.get();
  c->ctx_ = lws_create_context(&info);
  if (!c->ctx_) {
    c->error_ = "lws_create_context failed";
    c->done_connecting_ = true;
    return c;
  }
  lws_client_connect_info i{};
  i.context = c->ctx_;
  i.address = host.c_str();
  i.port = port;
  i.path = c->path_.c_str();
  i.host = c->host_header_.c_str();
  i.origin = nullptr;
  i.protocol = c->options_.subprotocols.empty() ? nullptr : c->options_.subprotocols.c_str();
  i.local_protocol_name = kProtocols[0].name;
  i.pwsi = &c->wsi_;
  lws_client_connect_via_info(&i);
  WsClient* self = c.get();
  c->thread_ = std::thread([self] {
    while (true) {
      {
        std::lock_guard<std::mutex> lock(self->mu_);
        if (self->stop_) break;
      }
      lws_service(self->ctx_, 0);
    }
  });
  std::unique_lock<std::mutex> lock(c->mu_);
  if (!c->cv_.wait_for(lock, c->options_.timeout, [&] { return c->done_connecting_; })) {
    c->error_ = "handshake timed out";
  }
  return c;
}

WsClient::~WsClient() {
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    lws_cancel_service(ctx_);
    thread_.join();
  }
  if (ctx_) lws_context_destroy(ctx_);
}

bool WsClient::connected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connected_;
}
std::optional<int> WsClient::http_status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return http_status_;
}
std::string WsClient::error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}
std::string WsClient::subprotocol() const {
  std::lock_guard<std::mutex> lock(mu_);
  return subprotocol_;
}
std::string WsClient::close_reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return close_reason_;
}

void WsClient::Post(Command c) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    commands_.push_back(std::move(c));
  }
  lws_cancel_service(ctx_);
}

void WsClient::SendText(std::string data) { SendFragments(false, {std::move(data)}); }
void WsClient::SendBinary(std::string data) { SendFragments(true, {std::move(data)}); }

void WsClient::SendFragments(bool binary, std::vector<std::string> fragments) {
  Command c;
  for (size_t i = 0; i < fragments.size(); ++i) {
    Out o;
    o.data = std::move(fragments[i]);
    o.flags = lws_write_ws_flags(binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT, i == 0,
                                 i + 1 == fragments.size());
    c.frames.push_back(std::move(o));
  }
  Post(std::move(c));
}

std::optional<WsMessage> WsClient::Receive(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return !inbox_.empty(); })) return std::nullopt;
  WsMessage m = std::move(inbox_.front());
  inbox_.pop_front();
  return m;
}

void WsClient::Close(int code, std::string reason) {
  Command c;
  c.kind = Command::kClose;
  c.code = code;
  c.reason = std::move(reason);
  Post(std::move(c));
}

void WsClient::SetReading(bool on) {
  Command c;
  c.kind = on ? Command::kResumeReading : Command::kPauseReading;
  Post(std::move(c));
}

void WsClient::Abort() {
  Command c;
  c.kind = Command::kAbort;
  Post(std::move(c));
}

std::optional<int> WsClient::WaitClosed(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return closed_; })) return std::nullopt;
  return close_code_.value_or(1006);
}

int WsClient::Callback(lws* wsi, int reason, void*, void* in, size_t len) {
  auto* self = static_cast<WsClient*>(lws_context_user(lws_get_context(wsi)));
  if (!self) return 0;
  return self->Handle(wsi, reason, in, len);
}

int WsClient::Handle(lws* wsi, int reason, void* in, size_t len) {
  switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
      auto** p = static_cast<unsigned char**>(in);
      unsigned char* end = *p + len;
      for (const auto& [name, value] : options_.headers) {
        std::string n = name + ":";
        if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(n.c_str()),
                                        reinterpret_cast<const unsigned char*>(value.data()),
                                        static_cast<int>(value.size()), p, end))
          return -1;
      }
      return 0;
    }
    case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH: {
      char buf[256] = {};
      if (lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_PROTOCOL) < 0) buf[0] = 0;
      std::lock_guard<std::mutex> lock(mu_);
      subprotocol_ = buf;
      return 0;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED: {
      std::lock_guard<std::mutex> lock(mu_);
      wsi_ = wsi;
      connected_ = true;
      done_connecting_ = true;
      cv_.notify_all();
      return 0;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
      int status = static_cast<int>(lws_http_client_http_response(wsi));
      std::lock_guard<std::mutex> lock(mu_);
      error_ = in ? std::string(static_cast<const char*>(in)) : "connection error";
      if (status > 0) http_status_ = status;
      done_connecting_ = true;
      closed_ = true;
      wsi_ = nullptr;
      cv_.notify_all();
      return 0;
    }
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
      std::deque<Command> cmds;
      {
        std::lock_guard<std::mutex> lock(mu_);
        cmds.swap(commands_);
        if (!wsi_ || closed_) return 0;
      }
      for (auto& c : cmds) {
        if (c.kind == Command::kSend) {
          for (auto& f : c.frames) outq_.push_back(std::move(f));
        } else if (c.kind == Command::kClose) {
          pending_close_ = std::make_pair(c.code, c.reason);
        } else if (c.kind == Command::kPauseReading || c.kind == Command::kResumeReading) {
          lws_rx_flow_control(wsi_, c.kind == Command::kResumeReading);
        } else {
          linger lg{1, 0};
          setsockopt(lws_get_socket_fd(wsi_), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
          lws_set_timeout(wsi_, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
          return 0;
        }
      }
      lws_callback_on_writable(wsi_);
      return 0;
    }
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
      if (!outq_.empty()) {
        Out& o = outq_.front();
        std::string buf(LWS_PRE + o.data.size(), '\0');
        std::memcpy(buf.data() + LWS_PRE, o.data.data(), o.data.size());
        int n = lws_write(wsi, reinterpret_cast<unsigned char*>(buf.data()) + LWS_PRE,
                          o.data.size(), static_cast<lws_write_protocol>(o.flags));
        if (n < static_cast<int>(o.data.size())) return -1;
        outq_.pop_front();
        if (!outq_.empty() || pending_close_) lws_callback_on_writable(wsi);
        return 0;
      }
      if (pending_close_) {
        we_closed_ = true;
        auto& [code, reason] = *pending_close_;
        lws_close_reason(wsi, static_cast<lws_close_status>(code),
                         reinterpret_cast<unsigned char*>(reason.data()), reason.size());
        std::lock_guard<std::mutex> lock(mu_);
        close_code_ = code;  // the peer echoes our close
        close_reason_ = reason;
        return -1;
      }
      return 0;
    }
    case LWS_CALLBACK_CLIENT_RECEIVE: {
      auto m = assembler_.Add(wsi, in, len);
      if (m) {
        std::lock_guard<std::mutex> lock(mu_);
        inbox_.push_back(std::move(*m));
        cv_.notify_all();
      }
      return 0;
    }
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
      auto* d = static_cast<const unsigned char*>(in);
      std::lock_guard<std::mutex> lock(mu_);
      close_code_ = len >= 2 ? (d[0] << 8) | d[1] : 1005;
      close_reason_ = len > 2 ? std::string(reinterpret_cast<const char*>(d) + 2, len - 2) : "";
      return 0;
    }
    case LWS_CALLBACK_CLIENT_CLOSED: {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
      wsi_ = nullptr;
      cv_.notify_all();
      return 0;
    }
    default:
      return 0;
  }
}

}  // namespace wsr::testing
