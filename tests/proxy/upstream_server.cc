#include "tests/proxy/upstream_server.h"

#include <libwebsockets.h>
#include <sys/socket.h>

#include <cstring>
#include <deque>
#include <stdexcept>

namespace wsr::testing {

struct TestUpstream::Conn {
  size_t index = 0;  // into seen_
  WsAssembler assembler;
  struct Out {
    std::string data;
    int flags;
  };
  std::deque<Out> out;
  std::optional<std::pair<int, std::string>> close;
  bool drop = false;
};

namespace {
int LwsCallback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  return TestUpstream::Callback(wsi, static_cast<int>(reason), user, in, len);
}

const lws_protocols kProtocols[] = {{"test-upstream", LwsCallback, 0, 64 * 1024, 0, nullptr, 0},
                                    {"phoenix", LwsCallback, 0, 64 * 1024, 0, nullptr, 0},
                                    {"chat", LwsCallback, 0, 64 * 1024, 0, nullptr, 0},
                                    {nullptr, nullptr, 0, 0, 0, nullptr, 0}};

std::string Copy(lws* wsi, lws_token_indexes t) {
  int n = lws_hdr_total_length(wsi, t);
  if (n <= 0) return {};
  std::string s(static_cast<size_t>(n) + 1, '\0');
  n = lws_hdr_copy(wsi, s.data(), n + 1, t);
  s.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return s;
}
}  // namespace

TestUpstream::TestUpstream(const std::string& tls_cert, const std::string& tls_key) {
  tls_ = !tls_cert.empty();
  lws_set_log_level(LLL_ERR, nullptr);
  lws_context_creation_info info{};
  info.port = 0;
  info.iface = "127.0.0.1";
  info.protocols = kProtocols;
  info.user = this;
  info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
  if (tls_) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = tls_cert.c_str();
    info.ssl_private_key_filepath = tls_key.c_str();
    info.alpn = "http/1.1";
  }
  ctx_ = lws_create_context(&info);
  if (!ctx_) throw std::runtime_error("TestUpstream: lws_create_context failed");
  port_ = lws_get_vhost_listen_port(lws_get_vhost_by_name(ctx_, "default"));
  thread_ = std::thread([this] {
    while (true) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stop_) break;
      }
      lws_service(ctx_, 0);
    }
  });
}

TestUpstream::~TestUpstream() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  lws_cancel_service(ctx_);
  thread_.join();
  lws_context_destroy(ctx_);
}

std::vector<TestUpstream::Seen> TestUpstream::connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seen_;
}

bool TestUpstream::WaitFor(const std::function<bool(const std::vector<Seen>&)>& pred,
                           std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return pred(seen_); });
}

int TestUpstream::Callback(lws* wsi, int reason, void* user, void* in, size_t len) {
  auto* self = static_cast<TestUpstream*>(lws_context_user(lws_get_context(wsi)));
  if (!self) return 0;
  int r = self->Handle(wsi, reason, in, len);
  if (r == 100)
    return lws_callback_http_dummy(wsi, static_cast<lws_callback_reasons>(reason), user, in, len);
  return r;
}

int TestUpstream::Handle(lws* wsi, int reason, void* in, size_t len) {
  auto* conn = static_cast<Conn*>(lws_get_opaque_user_data(wsi));
  switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
      std::string path = Copy(wsi, WSI_TOKEN_GET_URI);
      if (path.rfind("/refuse", 0) == 0) {
        lws_return_http_status(wsi, HTTP_STATUS_FORBIDDEN, nullptr);
        return 1;
      }
      return 0;
    }
    case LWS_CALLBACK_ESTABLISHED: {
      Seen s;
      s.path = Copy(wsi, WSI_TOKEN_GET_URI);
      char buf[1024];
      for (int i = 0;; ++i) {
        int n = lws_hdr_copy_fragment(wsi, buf, sizeof buf, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0) break;
        if (!s.query.empty()) s.query += '&';
        s.query.append(buf, static_cast<size_t>(n));
      }
      const std::pair<const char*, lws_token_indexes> known[] = {
          {"user-agent", WSI_TOKEN_HTTP_USER_AGENT},
          {"authorization", WSI_TOKEN_HTTP_AUTHORIZATION},
          {"cookie", WSI_TOKEN_HTTP_COOKIE},
          {"origin", WSI_TOKEN_ORIGIN},
          {"host", WSI_TOKEN_HOST},
          {"sec-websocket-protocol", WSI_TOKEN_PROTOCOL}};
      for (const auto& [name, tok] : known) {
        if (lws_hdr_total_length(wsi, tok) > 0) s.headers[name] = Copy(wsi, tok);
      }
      int n = lws_hdr_custom_length(wsi, "x-api-key:", 10);
      if (n >= 0) {
        std::string v(static_cast<size_t>(n) + 1, '\0');
        n = lws_hdr_custom_copy(wsi, v.data(), n + 1, "x-api-key:", 10);
        v.resize(n < 0 ? 0 : static_cast<size_t>(n));
        s.headers["x-api-key"] = v;
      }
      const lws_protocols* p = lws_get_protocol(wsi);
      if (p && p != &kProtocols[0]) s.subprotocol = p->name;
      auto* c = new Conn();
      lws_set_opaque_user_data(wsi, c);
      std::lock_guard<std::mutex> lock(mu_);
      c->index = seen_.size();
      seen_.push_back(std::move(s));
      cv_.notify_all();
      return 0;
    }
    case LWS_CALLBACK_RECEIVE: {
      if (!conn) return 0;
      auto m = conn->assembler.Add(wsi, in, len);
      if (!m) return 0;
      if (!m->binary && m->data.rfind("cmd:close:", 0) == 0) {
        std::string rest = m->data.substr(10);
        size_t colon = rest.find(':');
        conn->close = std::make_pair(std::stoi(rest.substr(0, colon)),
                                     colon == std::string::npos ? "" : rest.substr(colon + 1));
      } else if (!m->binary && m->data == "cmd:drop") {
        linger lg{1, 0};
        setsockopt(lws_get_socket_fd(wsi), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
      } else {
        size_t off = 0;
        for (size_t i = 0; i < m->frames.size(); ++i) {
          conn->out.push_back({m->data.substr(off, m->frames[i]),
                               lws_write_ws_flags(m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT,
                                                  i == 0, i + 1 == m->frames.size())});
          off += m->frames[i];
        }
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        seen_[conn->index].messages.push_back(std::move(*m));
        cv_.notify_all();
      }
      lws_callback_on_writable(wsi);
      return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE: {
      if (!conn) return 0;
      if (!conn->out.empty()) {
        auto& o = conn->out.front();
        std::string buf(LWS_PRE + o.data.size(), '\0');
        std::memcpy(buf.data() + LWS_PRE, o.data.data(), o.data.size());
        int n = lws_write(wsi, reinterpret_cast<unsigned char*>(buf.data()) + LWS_PRE,
                          o.data.size(), static_cast<lws_write_protocol>(o.flags));
        if (n < static_cast<int>(o.data.size())) return -1;
        conn->out.pop_front();
        if (!conn->out.empty() || conn->close) lws_callback_on_writable(wsi);
        return 0;
      }
      if (conn->close) {
        auto& [code, reason] = *conn->close;
        lws_close_reason(wsi, static_cast<lws_close_status>(code),
                         reinterpret_cast<unsigned char*>(reason.data()), reason.size());
        return -1;
      }
      return 0;
    }
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
      if (!conn) return 0;
      auto* d = static_cast<const unsigned char*>(in);
      std::lock_guard<std::mutex> lock(mu_);
      seen_[conn->index].close_code = len >= 2 ? (d[0] << 8) | d[1] : 1005;
      seen_[conn->index].close_reason =
          len > 2 ? std::string(reinterpret_cast<const char*>(d) + 2, len - 2) : "";
      return 0;
    }
    case LWS_CALLBACK_CLOSED: {
      if (!conn) return 0;
      {
        std::lock_guard<std::mutex> lock(mu_);
        seen_[conn->index].closed = true;
        cv_.notify_all();
      }
      lws_set_opaque_user_data(wsi, nullptr);
      delete conn;
      return 0;
    }
    default:
      return 100;
  }
}

}  // namespace wsr::testing
