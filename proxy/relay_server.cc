#include "proxy/relay_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <time.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>

#include "common/clock.h"
#include "common/error.h"
#include "common/ev_loop.h"
#include "common/log.h"
#include "common/loop_stats.h"
#include "common/stop_signal.h"

namespace wsr::proxy {
namespace {
constexpr const char* kProtocolName = "wsreplay-relay";
constexpr size_t kReadBytes = 128 * 1024;    // one raw read
constexpr size_t kWriteBytes = 512 * 1024;   // lws splits writes above this
constexpr int64_t kTickNs = 50'000'000;      // wake-ups while stopping
constexpr int64_t kDrainTurnNs = 1'000'000;  // the last turn before a stop

std::string HostHeader(const WsUrl& u) {
  std::string h = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
  bool default_port = (u.tls && u.port == 443) || (!u.tls && u.port == 80);
  return default_port ? h : h + ":" + std::to_string(u.port);
}

// Explains why binding failed (lws only says that it did).
std::string ProbeBindError(const ListenAddr& addr) {
  const bool v6 = addr.host.find(':') != std::string::npos;
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return std::strerror(errno);
  std::string why = "the address cannot be used";
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc = 0;
  if (v6) {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(static_cast<uint16_t>(addr.port));
    rc = inet_pton(AF_INET6, addr.host.c_str(), &sa.sin6_addr) != 1
             ? -2
             : bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  } else {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(addr.port));
    rc = inet_pton(AF_INET, addr.host.c_str(), &sa.sin_addr) != 1
             ? -2
             : bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  }
  if (rc == -2) why = "not an IP address";
  if (rc == -1) why = std::strerror(errno);
  close(fd);
  return why;
}

void CheckReadable(const std::string& path, const char* what) {
  std::ifstream f(path);
  if (!f)
    throw Error(std::string("cannot read ") + what + " '" + path + "': " + std::strerror(errno));
}

void RandomMaskKey(uint8_t key[4]) {
  if (getrandom(key, 4, 0) != 4) {
    static uint32_t fallback = 0x9e3779b9u;
    fallback = fallback * 1664525u + 1013904223u;
    std::memcpy(key, &fallback, 4);
  }
}

}  // namespace

// One client connection: the state machine and the transport state of its two sockets.
struct RelayServer::Link {
  Link(RelayServer* server, const RelayConfig& config, const recorder::RecordingContext& rec,
       int ordinal, int64_t now)
      : server(server),
        conn(config, rec, ordinal, now),
        timer(server->ev_.get(), server->context_, &RelayServer::OnTimer, this) {}
  struct Leg {
    lws* wsi = nullptr;
    bool gone = false;             // its socket closed (or never opened)
    bool close_requested = false;  // close once what was written to it is out
    bool connected = false;        // upstream: the TCP connect finished
    bool pause_sink = false;       // not read: the recorder is over its high mark
    bool pause_peer = false;       // not read: the other socket holds unsent bytes
    bool rx_off = false;           // what lws was last told
  };
  Leg& leg(Side s) { return legs[s == Side::kClient ? 0 : 1]; }
  Side SideOf(lws* wsi) const { return wsi == legs[0].wsi ? Side::kClient : Side::kUpstream; }
  std::string Prefix() const { return "connection " + std::to_string(conn.ordinal()) + ": "; }

  RelayServer* server;
  RelayConnection conn;
  LoopTimer timer;  // the connection's one timer (--upstream-timeout)
  Leg legs[2];
  std::unique_ptr<wire::TlsClient> tls;  // wss upstream
  bool upstream_reported = false;        // OnUpstreamConnected was delivered
};

RelayServer::RelayServer(Options options, recorder::RecordingContext recording)
    : options_(std::move(options)), recording_(recording) {
  lws_protocols p{};
  p.name = kProtocolName;
  p.callback = &RelayServer::Callback;
  p.rx_buffer_size = kReadBytes;
  p.tx_packet_size = kWriteBytes;
  protocols_.push_back(p);
  protocols_.push_back(lws_protocols{});  // terminator

  const WsUrl& up = options_.upstream;
  config_.upstream_base = up.ToString();
  WsUrl origin = up;
  origin.path.clear();
  config_.upstream_origin = origin.ToString();
  config_.upstream_path_prefix = up.path;
  config_.upstream_host_header = HostHeader(up);
  config_.upstream_timeout_ns = options_.upstream_timeout_ns;
  config_.mask_key = &RandomMaskKey;
}

RelayServer::~RelayServer() {
  {
    std::lock_guard<std::mutex> lock(waker_->mu);
    waker_->context = nullptr;
  }
  // Timers go before the context their lws_sul timers live in.
  for (Link* l : links_) l->timer.Cancel();
  tick_.reset();
  if (context_) {
    UnregisterForStopWakeup(context_);
    lws_context_destroy(context_);
  }
  for (Link* l : links_) delete l;
  links_.clear();
  ev_.reset();  // after every Link (their timers) and the context
}

std::string RelayServer::url() const {
  std::string host = options_.listen.host.find(':') != std::string::npos
                         ? "[" + options_.listen.host + "]"
                         : options_.listen.host;
  bool tls = !options_.tls_cert.empty();
  return std::string(tls ? "wss://" : "ws://") + host + ":" + std::to_string(port_);
}

void RelayServer::SetRecording(cassette::CassetteWriter* writer, int64_t session_start_ns) {
  sink_ = std::make_unique<recorder::WriterRowSink>(writer);
  recording_.sink = sink_.get();
  recording_.session_start_ns = session_start_ns;
  // The writer thread may still run a copy of this callback after Run() returned: it reaches
  // the context only through the waker, which Run() empties before destroying the context.
  std::shared_ptr<Waker> waker = waker_;
  writer->SetDrainedCallback([waker] {
    std::lock_guard<std::mutex> lock(waker->mu);
    if (!waker->context) return;
    waker->drained->store(true);
    lws_cancel_service(waker->context);
  });
}

int64_t RelayServer::Now() const { return SteadyClock().NowNs(); }

void RelayServer::Start() {
  if (options_.tls_cert.empty() != options_.tls_key.empty()) {
    throw Error("--tls-cert and --tls-key go together: give both or neither");
  }
  if (!options_.tls_cert.empty()) {
    CheckReadable(options_.tls_cert, "the TLS certificate");
    CheckReadable(options_.tls_key, "the TLS key");
  }
  if (options_.upstream.tls) {
    if (!options_.upstream_ca.empty()) CheckReadable(options_.upstream_ca, "the upstream CA file");
    wire::TlsClientContext::Options o;
    o.verify = !options_.insecure;
    o.ca_file = options_.upstream_ca;
    std::string error;
    tls_context_ = wire::TlsClientContext::Create(o, &error);
    if (!tls_context_) throw Error("cannot set up TLS towards the upstream: " + error);
  }
  // The context is created without a listener and the listening vhost separately: when
  // lws_create_context() itself fails to bind, lws 4.1 leaks part of what it allocated, while a
  // failed lws_create_vhost() cleans up (LeakSanitizer sees the difference).
  lws_context_creation_info info{};
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
  info.user = this;
  info.pt_serv_buf_size = kReadBytes + LWS_PRE;
  context_ = CreateContextOnEvLoop(&info, &ev_, "record");
  if (!context_) throw Error("cannot create the libwebsockets context");

  // One spare descriptor: enough for the next accept(). The upstream socket is checked for when
  // the request has arrived (ConnectUpstream), so that a refusal there is recorded. A TLS
  // listener's refusals are closed unanswered: plain text would not be understood.
  accept_guard_ = std::make_unique<AcceptGuard>("record", 1, options_.tls_cert.empty());

  lws_context_creation_info vi{};
  vi.vhost_name = "default";
  vi.port = options_.listen.port;
  vi.iface = options_.listen.host.c_str();
  vi.protocols = protocols_.data();
  vi.user = this;
  // Every accepted connection is a raw socket bound to our protocol: lws parses nothing.
  vi.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_DISABLE_IPV6 |
               LWS_SERVER_OPTION_ADOPT_APPLY_LISTEN_ACCEPT_CONFIG;
  if (options_.listen.host.find(':') != std::string::npos) {
    vi.options &= ~static_cast<uint64_t>(LWS_SERVER_OPTION_DISABLE_IPV6);
  }
  vi.listen_accept_role = "raw-skt";
  vi.listen_accept_protocol = kProtocolName;
  vi.alpn = "http/1.1";
  if (!options_.tls_cert.empty()) {
    vi.ssl_cert_filepath = options_.tls_cert.c_str();
    vi.ssl_private_key_filepath = options_.tls_key.c_str();
  }
  // lws logs its own view of a failed bind; the one-line error below says it better.
  if (log::GetLevel() != log::Level::kDebug) lws_set_log_level(0, nullptr);
  vhost_ = lws_create_vhost(context_, &vi);
  log::InstallLwsLogger();
  if (!vhost_) {
    lws_context_destroy(context_);
    context_ = nullptr;
    std::string where = options_.listen.host + ":" + std::to_string(options_.listen.port);
    std::string why = ProbeBindError(options_.listen);
    if (!options_.tls_cert.empty() && why == "the address cannot be used") {
      why = "the TLS certificate or key was refused (is it PEM and do they match?)";
    }
    throw Error("cannot listen on " + where + ": " + why +
                " (pick another --listen address or port, 0 = any free port)");
  }
  port_ = lws_get_vhost_listen_port(vhost_);
  tick_ = std::make_unique<LoopTimer>(ev_.get(), context_, &RelayServer::OnTick, this);
  RegisterForStopWakeup(context_);
  waker_->context = context_;
  waker_->drained = &drained_;
}

void RelayServer::Run() {
  using Clock = std::chrono::steady_clock;
  Clock::time_point deadline{};
  std::unique_ptr<LoopTurnStats> loop_stats;
  if (LoopTurnStats::Enabled()) loop_stats = std::make_unique<LoopTurnStats>();
  bool stop_seen = false;
  while (true) {
    const bool stop = stop_.load() || StopRequested();
    if (stop && !stop_seen) {
      // One more turn first (the tick ends it within 1 ms): what clients sent before the stop,
      // say a close frame and its TCP end, is read and relayed, so their closing handshake ends
      // as theirs (answered by the upstream) rather than cut by our 1001. Not 0: lws's poll()
      // loop runs a due timer before it polls, then would wait for its next one (up to 30 s).
      stop_seen = true;
      tick_->Arm(kDrainTurnNs);
    } else if (stop && !shutting_down_) {
      BeginShutdown();
      deadline = Clock::now() + std::chrono::milliseconds(options_.shutdown_grace_ms);
    }
    if (shutting_down_ && (links_.empty() || Clock::now() > deadline)) break;
    if (loop_stats) loop_stats->Begin();
    int serviced = 0;
    if (ev_) {
      ev_->RunOnce();
    } else {
      serviced = lws_service(context_, 0);
    }
    if (loop_stats) loop_stats->End();
    if (serviced < 0) break;
  }
  if (loop_stats) log::Info(loop_stats->Line());
  tick_->Cancel();
  if (!links_.empty()) {
    log::Warn(std::to_string(links_.size()) + " connection(s) did not finish closing in time");
  }
  for (Link* l : links_) l->timer.Cancel();
  UnregisterForStopWakeup(context_);
  {
    std::lock_guard<std::mutex> lock(waker_->mu);
    waker_->context = nullptr;
  }
  // Callbacks still run while the context is destroyed: they must find no Link.
  std::unordered_set<Link*> left;
  left.swap(links_);
  sink_waiters_.clear();
  for (Link* l : left) {
    for (auto& leg : l->legs) {
      if (leg.wsi) lws_set_opaque_user_data(leg.wsi, nullptr);
    }
  }
  lws_context_destroy(context_);
  context_ = nullptr;
  for (Link* l : left) delete l;
}

void RelayServer::Stop() {
  stop_.store(true);
  std::lock_guard<std::mutex> lock(waker_->mu);
  if (waker_->context) lws_cancel_service(waker_->context);
}

void RelayServer::OnTick(void* arg) {
  auto* self = static_cast<RelayServer*>(arg);
  if (self->ev_) self->PokeLws();
  if (self->shutting_down_) self->tick_->Arm(kTickNs);
}

void RelayServer::BeginShutdown() {
  shutting_down_ = true;
  log::Info("stopping: closing " + std::to_string(links_.size()) + " connection(s) with 1001");
  std::vector<Link*> all(links_.begin(), links_.end());
  ++depth_;
  for (Link* l : all) Apply(l, l->conn.OnShutdown(Now()));
  --depth_;
  for (Link* l : all) MaybeFree(l);
  // Wake up (and on the epoll loop, give lws a turn for the Kills above: lws's own timers)
  // every 50 ms until the grace period ends, whatever the sockets do.
  tick_->Arm(0);
}

void RelayServer::PokeLws() { lws_cancel_service(context_); }

void RelayServer::OnTimer(void* arg) {
  auto* link = static_cast<Link*>(arg);
  RelayServer* self = link->server;
  ++self->depth_;
  try {
    self->Apply(link, link->conn.OnTimer(self->Now()));
  } catch (const std::exception& e) {
    log::Error(link->Prefix() + "timer: " + e.what());
  }
  --self->depth_;
  self->MaybeFree(link);
  // On the epoll loop, what the timer did in lws (a Kill: an lws timeout) needs a turn of lws.
  if (self->ev_) self->PokeLws();
}

void RelayServer::OnDrained() {
  // Only the connections that wait for it: a walk over every connection here cost 3 ms of the
  // loop at 4,000 connections, each time the writer drained (bench/README.md, scale).
  std::vector<Link*> waiting(sink_waiters_.begin(), sink_waiters_.end());
  sink_waiters_.clear();
  for (Link* l : waiting) Apply(l, l->conn.OnSinkDrained(Now()));
}

int RelayServer::Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* self = static_cast<RelayServer*>(lws_context_user(lws_get_context(wsi)));
  if (!self) return lws_callback_http_dummy(wsi, reason, user, in, len);
  Link* link = static_cast<Link*>(lws_get_opaque_user_data(wsi));
  int rc = 0;
  ++self->depth_;
  try {
    rc = self->Handle(wsi, reason, in, len);
  } catch (const std::exception& e) {
    log::Error(std::string("relay: ") + e.what() + " (ending the connection with 1011)");
    rc = link ? 0 : -1;
    if (link) {
      try {
        self->Apply(link, link->conn.OnInternalError(e.what(), self->Now()));
      } catch (...) {
        rc = -1;
      }
    }
  } catch (...) {
    log::Error("relay: unknown error (ending the connection)");
    rc = -1;
  }
  --self->depth_;
  // The link the callback was about (or the one it created) may be finished now.
  Link* after = static_cast<Link*>(lws_get_opaque_user_data(wsi));
  if (after) self->MaybeFree(after);
  if (link && link != after) self->MaybeFree(link);
  return rc;
}

int RelayServer::Handle(lws* wsi, lws_callback_reasons reason, void* in, size_t len) {
  if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
    if (drained_.exchange(false)) OnDrained();
    return 0;
  }
  if (reason == LWS_CALLBACK_FILTER_NETWORK_CONNECTION) {  // accepted, nothing built yet
    const int fd = static_cast<int>(reinterpret_cast<intptr_t>(in));
    return accept_guard_ && !accept_guard_->Admit(fd, Now()) ? 1 : 0;
  }
  if (reason == LWS_CALLBACK_RAW_ADOPT) {
    if (shutting_down_) return -1;
    auto* link = new Link(this, config_, recording_, ++next_ordinal_, Now());
    links_.insert(link);
    link->legs[0].wsi = wsi;
    lws_set_opaque_user_data(wsi, link);
    return 0;
  }
  auto* link = static_cast<Link*>(lws_get_opaque_user_data(wsi));
  if (!link) return 0;
  const Side side = link->SideOf(wsi);
  Link::Leg& leg = link->leg(side);
  switch (reason) {
    case LWS_CALLBACK_RAW_RX:
      if (side == Side::kClient) {
        Apply(link, link->conn.OnClientData(static_cast<const uint8_t*>(in), len, Now()));
      } else {
        OnUpstreamRx(link, static_cast<const uint8_t*>(in), len);
      }
      return 0;
    case LWS_CALLBACK_RAW_CONNECTED:
      link->legs[1].wsi = wsi;
      leg.connected = true;
      if (link->tls) {
        link->tls->Start();
        FlushTls(link);
      } else {
        link->upstream_reported = true;
        Apply(link, link->conn.OnUpstreamConnected(Now()));
      }
      UpdateRx(link, Side::kUpstream);
      return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
      std::string why = in && len ? std::string(static_cast<const char*>(in),
                                                strnlen(static_cast<const char*>(in), len))
                                  : std::string(in ? static_cast<const char*>(in) : "");
      if (why.empty()) why = "connection failed";
      link->legs[1].gone = true;
      link->legs[1].wsi = nullptr;
      lws_set_opaque_user_data(wsi, nullptr);
      Apply(link, link->conn.OnUpstreamConnectFailed(why, Now()));
      return 0;
    }
    case LWS_CALLBACK_RAW_WRITEABLE:
      if (lws_partial_buffered(wsi)) return 0;
      SetPeerPaused(link, OtherSide(side), false);  // this socket drained: read its feeder
      return leg.close_requested ? -1 : 0;
    case LWS_CALLBACK_RAW_CLOSE:
    case LWS_CALLBACK_WSI_DESTROY: {
      if (leg.gone) return 0;
      leg.gone = true;
      leg.wsi = nullptr;
      lws_set_opaque_user_data(wsi, nullptr);
      // What this socket still held is dropped: the other side may be read again (the state
      // machine may still read it, e.g. for its answer to a close frame).
      SetPeerPaused(link, OtherSide(side), false);
      if (side == Side::kUpstream && !link->upstream_reported) {
        // Destroyed from inside lws_client_connect_via_info: socket() failed; errno says why.
        int connect_errno = connecting_ == link ? errno : 0;
        if (connect_errno == EMFILE || connect_errno == ENFILE) {
          Apply(link, link->conn.OnOutOfDescriptors(std::strerror(connect_errno), Now()));
        } else {
          Apply(link, link->conn.OnUpstreamConnectFailed(
                          link->tls && !link->tls->error().empty()
                              ? "TLS: " + link->tls->error()
                              : std::string("the connection closed before it was established"),
                          Now()));
        }
      } else {
        Apply(link, link->conn.OnClosed(side, Now()));
      }
      // Callback() frees the Link once this returns (it kept the pointer from before Handle).
      return 0;
    }
    default:
      return 0;
  }
}

void RelayServer::OnUpstreamRx(Link* link, const uint8_t* data, size_t len) {
  if (!link->tls) {
    Apply(link, link->conn.OnUpstreamData(data, len, Now()));
    return;
  }
  tls_plain_.clear();
  auto status = link->tls->Feed(data, len, &tls_plain_);
  FlushTls(link);
  if (!link->upstream_reported && link->tls->handshake_done()) {
    link->upstream_reported = true;
    log::Debug(link->Prefix() + "upstream TLS: " + link->tls->peer_summary());
    Apply(link, link->conn.OnUpstreamConnected(Now()));
  }
  if (!tls_plain_.empty()) {
    // Copy: a nested callback could reuse the scratch buffer.
    std::string plain;
    plain.swap(tls_plain_);
    Apply(link, link->conn.OnUpstreamData(reinterpret_cast<const uint8_t*>(plain.data()),
                                          plain.size(), Now()));
    if (tls_plain_.empty()) tls_plain_.swap(plain);
  }
  if (status == wire::TlsClient::Status::kFailed) {
    std::string why = "TLS: " + link->tls->error();
    if (!link->upstream_reported) {
      link->upstream_reported = true;  // reported as a failure, once
      Apply(link, link->conn.OnUpstreamConnectFailed(why, Now()));
    } else {
      log::Warn(link->Prefix() + "upstream " + why);
      Apply(link, link->conn.OnClosed(Side::kUpstream, Now()));
    }
    Kill(link->legs[1].wsi);
  } else if (status == wire::TlsClient::Status::kClosed) {
    Apply(link, link->conn.OnClosed(Side::kUpstream, Now()));
    Kill(link->legs[1].wsi);
  }
}

void RelayServer::FlushTls(Link* link) {
  if (!link->tls || !link->tls->has_ciphertext()) return;
  tls_cipher_.clear();
  link->tls->TakeCiphertext(&tls_cipher_);
  Link::Leg& up = link->legs[1];
  if (!up.wsi || up.gone || tls_cipher_.empty()) return;
  if (lws_write(up.wsi, reinterpret_cast<unsigned char*>(tls_cipher_.data()), tls_cipher_.size(),
                LWS_WRITE_RAW) < 0) {
    Kill(up.wsi);
    return;
  }
  if (lws_partial_buffered(up.wsi)) SetPeerPaused(link, Side::kClient, true);
}

void RelayServer::Write(Link* link, Side side, std::string_view bytes) {
  Link::Leg& leg = link->leg(side);
  if (!leg.wsi || leg.gone) return;
  if (side == Side::kUpstream && link->tls) {
    if (link->tls->Write(bytes) == wire::TlsClient::Status::kFailed) {
      Kill(leg.wsi);
      return;
    }
    FlushTls(link);
    return;
  }
  // lws_write does not touch the bytes (raw sockets): the const_cast is only its signature.
  auto* p = reinterpret_cast<unsigned char*>(const_cast<char*>(bytes.data()));
  if (lws_write(leg.wsi, p, bytes.size(), LWS_WRITE_RAW) < 0) {
    Kill(leg.wsi);
    return;
  }
  // What the kernel did not take is held by lws and written when the socket drains (then
  // RAW_WRITEABLE comes); meanwhile the side feeding this one is not read.
  if (lws_partial_buffered(leg.wsi)) SetPeerPaused(link, OtherSide(side), true);
}

void RelayServer::SetPeerPaused(Link* link, Side reader, bool paused) {
  Link::Leg& leg = link->leg(reader);
  if (leg.pause_peer == paused) return;
  leg.pause_peer = paused;
  UpdateRx(link, reader);
}

void RelayServer::UpdateRx(Link* link, Side side) {
  Link::Leg& leg = link->leg(side);
  if (!leg.wsi || leg.gone) return;
  if (side == Side::kUpstream && !leg.connected) return;
  const bool off = leg.pause_sink || leg.pause_peer;
  if (off == leg.rx_off) return;
  leg.rx_off = off;
  lws_rx_flow_control(leg.wsi, off ? 0 : 1);
}

void RelayServer::Kill(lws* wsi) {
  if (wsi) lws_set_timeout(wsi, static_cast<pending_timeout>(1), LWS_TO_KILL_ASYNC);
}

void RelayServer::Apply(Link* link, const std::vector<RelayCommand>& commands) {
  bool connect = false;
  // lws can call back into us (and into link->conn) from inside the calls below only through
  // the upstream connect, which therefore runs after the loop.
  for (size_t i = 0; i < commands.size(); ++i) {
    const RelayCommand& c = commands[i];
    switch (c.kind) {
      case RelayCommand::Kind::kConnectUpstream:
        connect = true;
        break;
      case RelayCommand::Kind::kSend: {
        // Sends in a row to one side (an HTTP head and its body) go out in one write: one
        // system call and one TCP segment, not one per piece.
        size_t end = i + 1;
        while (end < commands.size() && commands[end].kind == RelayCommand::Kind::kSend &&
               commands[end].side == c.side) {
          ++end;
        }
        if (end == i + 1) {
          Write(link, c.side, c.bytes());
          break;
        }
        joined_.clear();
        for (size_t k = i; k < end; ++k) joined_.append(commands[k].bytes());
        Write(link, c.side, joined_);
        i = end - 1;
        break;
      }
      case RelayCommand::Kind::kPauseReading:
      case RelayCommand::Kind::kResumeReading:
        link->leg(c.side).pause_sink = c.kind == RelayCommand::Kind::kPauseReading;
        UpdateRx(link, c.side);
        break;
      case RelayCommand::Kind::kClose: {
        Link::Leg& leg = link->leg(c.side);
        if (!leg.wsi || leg.gone) break;
        if (c.side == Side::kUpstream && !leg.connected) {
          Kill(leg.wsi);  // still connecting: nothing to flush
          break;
        }
        if (c.side == Side::kUpstream && link->tls && link->tls->handshake_done()) {
          link->tls->Shutdown();
          FlushTls(link);
        }
        leg.close_requested = true;
        lws_callback_on_writable(leg.wsi);
        break;
      }
      case RelayCommand::Kind::kSetTimer:
        link->timer.Arm(c.deadline_ns - Now());
        break;
      case RelayCommand::Kind::kCancelTimer:
        link->timer.Cancel();
        break;
      case RelayCommand::Kind::kLogInfo:
        log::Info(link->Prefix() + c.text);
        break;
      case RelayCommand::Kind::kLogWarn:
        log::Warn(link->Prefix() + c.text);
        break;
    }
  }
  if (connect) ConnectUpstream(link);
  if (link->conn.waiting_for_sink()) sink_waiters_.insert(link);
}

void RelayServer::ConnectUpstream(Link* link) {
  const WsUrl& up = options_.upstream;
  // Two descriptors: the upstream socket, and one for the next client lws accepts.
  if (int err = 0; !HaveSpareDescriptors(2, &err)) {
    link->legs[1].gone = true;
    link->legs[1].wsi = nullptr;
    Apply(link, link->conn.OnOutOfDescriptors(std::strerror(err), Now()));
    return;
  }
  if (up.tls) link->tls = std::make_unique<wire::TlsClient>(tls_context_, up.host);
  lws_client_connect_info i{};
  i.context = context_;
  i.vhost = vhost_;
  i.address = up.host.c_str();
  i.port = up.port;
  i.path = "";
  i.host = up.host.c_str();
  i.origin = up.host.c_str();
  i.method = "RAW";
  i.protocol = kProtocolName;
  i.local_protocol_name = kProtocolName;
  i.opaque_user_data = link;
  errno = 0;
  connecting_ = link;
  lws* wsi = lws_client_connect_via_info(&i);
  connecting_ = nullptr;
  Link::Leg& leg = link->legs[1];
  if (wsi && !leg.gone) {
    leg.wsi = wsi;
    return;
  }
  if (!leg.gone) {  // failed before any callback could say so
    leg.gone = true;
    leg.wsi = nullptr;
    const int err = errno;
    Apply(link, err == EMFILE || err == ENFILE
                    ? link->conn.OnOutOfDescriptors(std::strerror(err), Now())
                    : link->conn.OnUpstreamConnectFailed("could not start the connection", Now()));
  }
}

void RelayServer::MaybeFree(Link* link) {
  if (depth_ > 0 || !links_.count(link) || !link->conn.finished()) return;
  if (link->legs[0].wsi || link->legs[1].wsi) return;  // a socket still points at it
  link->timer.Cancel();
  links_.erase(link);
  sink_waiters_.erase(link);
  delete link;
}

}  // namespace wsr::proxy
