#include "sim/server.h"

#include <libwebsockets.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <set>

#include "common/error.h"
#include "common/log.h"
#include "common/stop_signal.h"
#include "sim/protocol.h"

namespace wsr::sim {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxMessage = 8 * 1024 * 1024;

struct Conn;

// A timer owned by a connection; `sul` must stay the first member (the callback casts back).
struct ConnTimer {
  lws_sorted_usec_list_t sul;
  Conn* conn;
};

struct Conn {
  SimServer::Impl* server = nullptr;
  lws* wsi = nullptr;
  const Identity* who = nullptr;
  Serializer ser = Serializer::kV2;
  Clock::time_point opened;
  std::string rx;                                          // message being reassembled
  std::deque<std::string> out;                             // LWS_PRE + frame text
  std::optional<std::pair<int, std::string>> close_after;  // close once `out` drained
  bool kill = false;                          // drop the TCP connection, no close frame
  std::map<std::string, std::string> joined;  // topic -> join_ref (raw JSON)
  std::set<std::string> ever_joined;
  std::map<std::string, std::vector<size_t>> held;  // pushes due before the topic's join
  size_t next_push = 0;
  ConnTimer push_timer{}, idle_timer{};
};

// Per-session user data lws allocates; set when the upgrade is accepted.
struct Pss {
  Conn* conn;
  const Identity* who;
  Serializer ser;
};

}  // namespace

struct SimServer::Impl {
  SimOptions opt;
  lws_context* ctx = nullptr;
  lws_vhost* vhost = nullptr;
  int port = 0;
  std::set<Conn*> conns;
  std::atomic<bool> stop{false};
  bool stopping = false;
  lws_sorted_usec_list_t wake{};  // wakes the loop at the shutdown deadline

  // ---- output ----
  void Send(Conn& c, const std::string& frame) {
    if (c.close_after || c.kill) return;
    std::string buf(LWS_PRE, '\0');
    buf += frame;
    c.out.push_back(std::move(buf));
    lws_callback_on_writable(c.wsi);
  }
  void Close(Conn& c, int code, std::string reason) {
    if (c.close_after || c.kill) return;
    lws_sul_cancel(&c.push_timer.sul);
    lws_sul_cancel(&c.idle_timer.sul);
    c.joined.clear();
    if (code == 0) {
      c.kill = true;
    } else {
      c.close_after = {code, std::move(reason)};
    }
    lws_callback_on_writable(c.wsi);
  }

  // ---- scenario ----
  bool MayReceive(const Conn& c, const ScenarioPush& p) const {
    const thenvoi::ChannelSpec* ch = thenvoi::FindChannel(p.topic);
    const thenvoi::EventSpec* ev = ch ? thenvoi::FindEvent(*ch, p.event) : nullptr;
    if (!ev) return true;  // off-spec pushes go to whoever joined the topic
    if (c.who->type == thenvoi::Identity::kUser) return ev->to_users;
    return thenvoi::AgentReceives(*ch, *ev, p.payload, c.who->id);
  }
  void Deliver(Conn& c, size_t index) {
    const ScenarioPush& p = opt.scenario.pushes()[index];
    auto it = c.joined.find(p.topic);
    if (it == c.joined.end() || !MayReceive(c, p)) return;
    Send(c, EncodePush(c.ser, it->second, p.topic, p.event, p.payload_text));
  }
  void RunDuePushes(Conn& c) {
    const auto& pushes = opt.scenario.pushes();
    int64_t elapsed_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - c.opened).count();
    while (c.next_push < pushes.size() && pushes[c.next_push].at_ms <= elapsed_ms) {
      const ScenarioPush& p = pushes[c.next_push];
      if (c.joined.count(p.topic)) {
        Deliver(c, c.next_push);
      } else if (!c.ever_joined.count(p.topic)) {
        c.held[p.topic].push_back(c.next_push);
      }
      ++c.next_push;
    }
    if (c.next_push < pushes.size()) {
      int64_t wait_ms = pushes[c.next_push].at_ms - elapsed_ms;
      lws_sul_schedule(ctx, 0, &c.push_timer.sul, &Impl::OnPushTimer,
                       static_cast<lws_usec_t>(wait_ms) * LWS_US_PER_MS);
    }
  }
  static void OnPushTimer(lws_sorted_usec_list_t* sul) {
    Conn* c = reinterpret_cast<ConnTimer*>(sul)->conn;
    c->server->RunDuePushes(*c);
  }
  void TouchIdle(Conn& c) {
    if (c.close_after || c.kill) return;
    lws_sul_schedule(ctx, 0, &c.idle_timer.sul, &Impl::OnIdleTimer,
                     static_cast<lws_usec_t>(opt.idle_timeout_ms) * LWS_US_PER_MS);
  }
  static void OnIdleTimer(lws_sorted_usec_list_t* sul) {
    Conn* c = reinterpret_cast<ConnTimer*>(sul)->conn;
    log::Info("closing an idle connection (" + c->who->name + ") with 1000");
    c->server->Close(*c, 1000, "");
  }

  // ---- client frames ----
  void HandleMessage(Conn& c, const std::string& text, bool binary) {
    std::optional<Inbound> in;
    if (!binary) in = Decode(c.ser, text);
    if (!in) {
      // Phoenix's serializer raises; the socket process crashes (spec 1.4).
      log::Info(std::string("undecodable frame for the ") +
                (c.ser == Serializer::kV1 ? "v1" : "v2") + " serializer: closing with 1011");
      Close(c, 1011, "");
      return;
    }
    const std::string& topic = in->topic;
    if (topic == "phoenix" && in->event == "heartbeat") {
      Send(c, EncodeReply(c.ser, in->join_ref, in->ref, topic, true, "{}"));
      return;
    }
    if (in->event == "phx_join") {
      HandleJoin(c, *in);
      return;
    }
    auto it = c.joined.find(topic);
    if (it == c.joined.end()) {
      Send(c, EncodeReply(c.ser, "null", in->ref, topic, false, R"({"reason":"unmatched topic"})"));
      return;
    }
    std::string jr = it->second;
    if (in->event == "phx_leave") {
      c.joined.erase(it);
      Send(c, EncodeReply(c.ser, jr, in->ref, topic, true, "{}"));
      Send(c, EncodeSystem(c.ser, jr, topic, "phx_close"));
      return;
    }
    // No channel defines handle_in: the channel process crashes (spec 6).
    c.joined.erase(it);
    Send(c, EncodeSystem(c.ser, jr, topic, "phx_error"));
  }

  void HandleJoin(Conn& c, const Inbound& in) {
    const std::string& topic = in.topic;
    auto verdict = thenvoi::DecideJoin(topic, c.who->type, c.who->id,
                                       [&](std::string_view room) { return c.who->InRoom(room); });
    if (verdict == thenvoi::JoinVerdict::kUnmatchedTopic) {
      Send(c, EncodeReply(c.ser, "null", in.ref, topic, false, R"({"reason":"unmatched topic"})"));
      return;
    }
    if (auto old = c.joined.find(topic); old != c.joined.end()) {
      Send(c, EncodeSystem(c.ser, old->second, topic, "phx_close"));
      c.joined.erase(old);
    }
    if (verdict == thenvoi::JoinVerdict::kUnauthorized) {
      Send(c,
           EncodeReply(c.ser, in.join_ref, in.ref, topic, false, R"({"reason":"unauthorized"})"));
      return;
    }
    Send(c, EncodeReply(c.ser, in.join_ref, in.ref, topic, true, "{}"));
    c.joined[topic] = in.join_ref;
    c.ever_joined.insert(topic);
    auto held = c.held.find(topic);
    if (held != c.held.end()) {
      std::vector<size_t> due = std::move(held->second);
      c.held.erase(held);
      for (size_t i : due) Deliver(c, i);
    }
  }

  // ---- lws events ----
  void Established(lws* wsi, Pss* pss) {
    auto* c = new Conn();
    c->server = this;
    c->wsi = wsi;
    c->who = pss->who;
    c->ser = pss->ser;
    c->opened = Clock::now();
    c->push_timer.conn = c;
    c->idle_timer.conn = c;
    pss->conn = c;
    if (c->who->type == thenvoi::Identity::kAgent) {
      for (Conn* other : conns) {
        if (other->who->type == thenvoi::Identity::kAgent && other->who->id == c->who->id) {
          log::Info("agent " + c->who->id + " connected again: closing its older connection (" +
                    (opt.kick_code ? std::to_string(opt.kick_code) : std::string("TCP drop")) +
                    ")");
          Close(*other, opt.kick_code, "");
        }
      }
    }
    conns.insert(c);
    log::Debug("connection opened for " + c->who->name + " (" + c->who->id + ")");
    TouchIdle(*c);
    RunDuePushes(*c);
  }

  int Writeable(Conn& c) {
    if (c.kill) {
      // Like a network loss: no close frame; the peer sees a TCP end (1006).
      shutdown(lws_get_socket_fd(c.wsi), SHUT_RDWR);
      return -1;
    }
    if (!c.out.empty()) {
      std::string& f = c.out.front();
      size_t len = f.size() - LWS_PRE;
      int n = lws_write(c.wsi, reinterpret_cast<unsigned char*>(f.data()) + LWS_PRE, len,
                        LWS_WRITE_TEXT);
      if (n < static_cast<int>(len)) return -1;
      c.out.pop_front();
      if (!c.out.empty() || c.close_after) lws_callback_on_writable(c.wsi);
      return 0;
    }
    if (c.close_after) {
      auto& [code, reason] = *c.close_after;
      lws_close_reason(c.wsi, static_cast<lws_close_status>(code),
                       reinterpret_cast<unsigned char*>(reason.data()), reason.size());
      return -1;
    }
    return 0;
  }

  void Closed(Conn* c) {
    lws_sul_cancel(&c->push_timer.sul);
    lws_sul_cancel(&c->idle_timer.sul);
    conns.erase(c);
    delete c;
  }

  int Filter(lws* wsi, Pss* pss);
  int Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
};

namespace {

// An HTTP response with no body (Phoenix refuses upgrades with an empty 403).
int RespondEmpty(lws* wsi, unsigned status) {
  unsigned char buf[LWS_PRE + 512];
  unsigned char* start = buf + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = buf + sizeof buf;
  if (lws_add_http_common_headers(wsi, status, "text/plain", 0, &p, end) ||
      lws_finalize_write_http_header(wsi, start, &p, end)) {
    return -1;
  }
  return -1;  // close the connection after the response
}

// Why binding `addr` fails, for the error message ("address already in use", ...).
std::string BindProblem(const ListenAddr& addr) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port = std::to_string(addr.port);
  if (getaddrinfo(addr.host.c_str(), port.c_str(), &hints, &res) != 0 || !res) {
    return "cannot resolve the address";
  }
  std::string why = "port in use or address not available";
  int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  if (fd >= 0) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0) why = std::strerror(errno);
    close(fd);
  }
  freeaddrinfo(res);
  return why;
}

std::string UrlArg(lws* wsi, const char* name_eq) {
  char buf[1024];
  const char* v = lws_get_urlarg_by_name(wsi, name_eq, buf, sizeof buf);
  return v ? std::string(v) : std::string();
}

bool HasUrlArg(lws* wsi, const char* name_eq) {
  char buf[1024];
  return lws_get_urlarg_by_name(wsi, name_eq, buf, sizeof buf) != nullptr;
}

std::string Path(lws* wsi) {
  char buf[1024];
  int n = lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_GET_URI);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

int SimCallback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* impl = static_cast<SimServer::Impl*>(lws_context_user(lws_get_context(wsi)));
  if (!impl) return 0;
  try {
    return impl->Callback(wsi, reason, user, in, len);
  } catch (const std::exception& e) {
    log::Error(std::string("simulator: ") + e.what());
    return -1;
  }
}

const lws_protocols kProtocols[] = {
    {"phoenix", SimCallback, sizeof(Pss), 65536, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

int SimServer::Impl::Filter(lws* wsi, Pss* pss) {
  pss->conn = nullptr;
  pss->who = nullptr;
  if (Path(wsi) != kSocketPath) return RespondEmpty(wsi, HTTP_STATUS_NOT_FOUND);
  std::optional<Serializer> ser;
  if (!HasUrlArg(wsi, "vsn=")) {
    ser = Serializer::kV1;  // Phoenix's default vsn is 1.0.0
  } else {
    ser = SerializerFor(UrlArg(wsi, "vsn="));
  }
  if (!ser) {
    log::Info("refusing upgrade: unsupported vsn (403)");
    return RespondEmpty(wsi, HTTP_STATUS_FORBIDDEN);
  }
  const Identity* who =
      opt.keys.Resolve(UrlArg(wsi, "api_key="), UrlArg(wsi, "token="), UrlArg(wsi, "agent_id="));
  if (!who) {
    log::Info("refusing upgrade: unknown or missing credentials (403)");
    return RespondEmpty(wsi, HTTP_STATUS_FORBIDDEN);
  }
  pss->who = who;
  pss->ser = *ser;
  return 0;
}

int SimServer::Impl::Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                              size_t len) {
  auto* pss = static_cast<Pss*>(user);
  switch (reason) {
    case LWS_CALLBACK_HTTP:
      // A plain HTTP request: 400 on the socket path (not an upgrade), else 404.
      return RespondEmpty(
          wsi, Path(wsi) == kSocketPath ? HTTP_STATUS_BAD_REQUEST : HTTP_STATUS_NOT_FOUND);
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
      return Filter(wsi, pss);
    case LWS_CALLBACK_ESTABLISHED:
      if (!pss || !pss->who) return -1;
      Established(wsi, pss);
      return 0;
    case LWS_CALLBACK_RECEIVE: {
      Conn* c = pss ? pss->conn : nullptr;
      if (!c || c->close_after || c->kill) return 0;
      TouchIdle(*c);
      if (c->rx.size() + len > kMaxMessage) {
        Close(*c, 1009, "message too big");
        return 0;
      }
      c->rx.append(static_cast<const char*>(in), len);
      if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
        std::string msg = std::move(c->rx);
        c->rx.clear();
        HandleMessage(*c, msg, lws_frame_is_binary(wsi));
      }
      return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE:
      if (!pss || !pss->conn) return 0;
      return Writeable(*pss->conn);
    case LWS_CALLBACK_CLOSED:
      if (pss && pss->conn) {
        Closed(pss->conn);
        pss->conn = nullptr;
      }
      return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
      return 0;
    default:
      return 0;
  }
}

SimServer::SimServer(SimOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->opt = std::move(options);
}

SimServer::~SimServer() {
  if (impl_->ctx) {
    lws_sul_cancel(&impl_->wake);
    UnregisterForStopWakeup(impl_->ctx);
    lws_context_destroy(impl_->ctx);
  }
}

void SimServer::Listen() {
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
  info.user = impl_.get();
  impl_->ctx = lws_create_context(&info);
  if (!impl_->ctx) throw Error("cannot create the libwebsockets context");

  lws_context_creation_info vi;
  std::memset(&vi, 0, sizeof vi);
  vi.port = impl_->opt.listen.port;
  vi.iface = impl_->opt.listen.host.c_str();
  vi.protocols = kProtocols;
  vi.vhost_name = "sim";
  // lws binds an IPv6 socket to every interface when IPv6 is on, whatever `iface` says: bind
  // exactly the address we print (IPv6 only when the host is an IPv6 address).
  vi.options = LWS_SERVER_OPTION_DISABLE_IPV6;
  if (impl_->opt.listen.host.find(':') != std::string::npos) {
    vi.options &= ~static_cast<uint64_t>(LWS_SERVER_OPTION_DISABLE_IPV6);
  }
  // A failed bind is reported once, by us, not also by lws's own error lines.
  lws_set_log_level(0, nullptr);
  impl_->vhost = lws_create_vhost(impl_->ctx, &vi);
  log::InstallLwsLogger();
  if (!impl_->vhost) {
    std::string where = impl_->opt.listen.host + ":" + std::to_string(impl_->opt.listen.port);
    lws_context_destroy(impl_->ctx);
    impl_->ctx = nullptr;
    throw Error("cannot listen on " + where + " (" + BindProblem(impl_->opt.listen) +
                "); choose another with --listen");
  }
  impl_->port = lws_get_vhost_listen_port(impl_->vhost);
  RegisterForStopWakeup(impl_->ctx);
}

int SimServer::port() const { return impl_->port; }

std::string SimServer::url() const {
  return "ws://" + impl_->opt.listen.host + ":" + std::to_string(impl_->port);
}

void SimServer::Stop() {
  impl_->stop = true;
  if (impl_->ctx) lws_cancel_service(impl_->ctx);
}

void SimServer::Run() {
  Impl& s = *impl_;
  Clock::time_point deadline;
  while (true) {
    if (lws_service(s.ctx, 0) < 0) break;
    if (!s.stopping && (s.stop || StopRequested())) {
      s.stopping = true;
      deadline = Clock::now() + std::chrono::seconds(2);
      for (Conn* c : s.conns) s.Close(*c, 1001, "server shutting down");
      lws_sul_schedule(
          s.ctx, 0, &s.wake, [](lws_sorted_usec_list_t*) {}, 2100 * LWS_US_PER_MS);
    }
    if (s.stopping && (s.conns.empty() || Clock::now() > deadline)) break;
  }
}

}  // namespace wsr::sim
