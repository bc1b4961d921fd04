#include "proxy/relay_server.h"

#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <fstream>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "common/loop_stats.h"
#include "common/tcp_socket.h"

namespace wsr::proxy {
namespace {
constexpr size_t kReadBytes = 128 * 1024;     // one read
constexpr size_t kKeptOutBytes = 256 * 1024;  // an emptied send buffer larger than this is freed
constexpr int64_t kTickNs = 50'000'000;       // wake-ups while stopping
constexpr int64_t kDrainTurnNs = 1'000'000;   // the last turn before a stop

std::string HostHeader(const WsUrl& u) {
  bool default_port = (u.tls && u.port == 443) || (!u.tls && u.port == 80);
  return default_port ? UrlHost(u.host) : HostPort(u.host, u.port);
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

// Closes a socket whose last bytes were written: our side's FIN first, then what the peer sent
// meanwhile is read and dropped, so that the close does not reset the connection (a reset can
// destroy what the peer has not read yet).
void CloseGracefully(int fd) {
  shutdown(fd, SHUT_WR);
  char sink[4096];
  for (int i = 0; i < 4 && recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
  }
  close(fd);
}

}  // namespace

// One socket of a connection: its descriptor, what it still has to send, and why it is not read.
struct RelayServer::Leg {
  Leg(RelayServer* server, Link* link, Side side)
      : link(link), side(side), io(server->ev_.get(), &RelayServer::OnLegIo, this) {}
  ~Leg() {
    io.Stop();
    if (fd >= 0) close(fd);
  }
  Leg(const Leg&) = delete;
  Leg& operator=(const Leg&) = delete;
  Link* link;
  Side side;
  int fd = -1;
  EvLoop::Io io;
  std::string out;  // unsent bytes: out[out_off..]
  size_t out_off = 0;
  std::unique_ptr<wire::TlsClient> tls;  // client side: --tls-cert; upstream side: wss
  bool gone = false;                     // its socket closed (or never opened)
  bool doomed = false;                   // Kill()ed: closed at the end of the event
  bool close_requested = false;          // close once what was written to it is out
  bool connected = false;                // upstream: the TCP connect finished
  bool pause_sink = false;               // not read: the recorder is over its high mark
  bool pause_peer = false;               // not read: the other socket holds unsent bytes
  bool has_unsent() const { return out_off < out.size(); }
};

// One client connection: the state machine and its two sockets.
struct RelayServer::Link {
  Link(RelayServer* server, const RelayConfig& config, const recorder::RecordingContext& rec,
       int ordinal, int64_t now)
      : server(server),
        conn(config, rec, ordinal, now),
        timer(server->ev_.get(), &RelayServer::OnTimer, this),
        client(server, this, Side::kClient),
        upstream(server, this, Side::kUpstream) {}
  Leg& leg(Side s) { return s == Side::kClient ? client : upstream; }
  std::string Prefix() const { return "connection " + std::to_string(conn.ordinal()) + ": "; }

  RelayServer* server;
  RelayConnection conn;
  EvLoop::Timer timer;  // the connection's one timer (--upstream-timeout)
  Leg client, upstream;
  bool upstream_reported = false;       // OnUpstreamConnected was delivered
  AsyncResolver::RequestId lookup = 0;  // the upstream's name lookup under way (0: none)
  std::vector<TcpAddress> addresses;
  size_t next_address = 0;  // upstream addresses not tried yet: addresses[next_address..]
  std::string connect_error;
};

RelayServer::RelayServer(Options options, recorder::RecordingContext recording)
    : options_(std::move(options)), recording_(recording) {
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
    waker_->async = nullptr;
  }
  if (stop_waker_registered_) UnregisterForStopWakeup(&stop_waker_);
  for (Link* l : links_) DeleteLink(l);
  links_.clear();
  resolver_.reset();
  listener_.reset();
  tick_.reset();
  wake_.reset();
  ev_.reset();  // after everything that watches on it
}

std::string RelayServer::url() const {
  bool tls = !options_.tls_cert.empty();
  return std::string(tls ? "wss://" : "ws://") + HostPort(options_.listen.host, port_);
}

void RelayServer::SetRecording(cassette::CassetteWriter* writer, int64_t session_start_ns) {
  sink_ = std::make_unique<recorder::WriterRowSink>(writer);
  recording_.sink = sink_.get();
  recording_.session_start_ns = session_start_ns;
  // The writer thread may still run a copy of this callback after Run() returned: it reaches
  // the loop only through the waker, which Run() empties before the loop goes.
  std::shared_ptr<Waker> waker = waker_;
  writer->SetDrainedCallback([waker] {
    std::lock_guard<std::mutex> lock(waker->mu);
    if (!waker->async) return;
    waker->drained->store(true);
    waker->async->Send();
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
    std::string error;
    client_tls_context_ =
        wire::TlsClientContext::CreateServer(options_.tls_cert, options_.tls_key, &error);
    if (!client_tls_context_) throw Error("cannot serve TLS: " + error);
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
  ev_ = std::make_unique<EvLoop>();
  // One spare descriptor: enough for the next accept(). The upstream socket is checked for when
  // the request has arrived (ConnectUpstream), so that a refusal there is recorded. A TLS
  // listener's refusals are closed unanswered: plain text would not be understood.
  accept_guard_ = std::make_unique<AcceptGuard>("record", 1, options_.tls_cert.empty());
  listener_ =
      std::make_unique<TcpListener>(ev_.get(), options_.listen, &RelayServer::OnAccept, this);
  port_ = listener_->port();
  listener_->Start();
  read_buf_.resize(kReadBytes);
  AsyncResolver::Options resolver_options;
  resolver_options.lookup = options_.lookup;
  resolver_ = std::make_unique<AsyncResolver>(ev_.get(), std::move(resolver_options));
  tick_ = std::make_unique<EvLoop::Timer>(ev_.get(), &RelayServer::OnTick, this);
  wake_ = std::make_unique<EvLoop::Async>(ev_.get(), &RelayServer::OnWake, this);
  stop_waker_ = StopWaker{&RelayServer::WakeFromAnyThread, wake_.get()};
  RegisterForStopWakeup(&stop_waker_);
  stop_waker_registered_ = true;
  std::lock_guard<std::mutex> lock(waker_->mu);
  waker_->async = wake_.get();
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
      // as theirs (answered by the upstream) rather than cut by our 1001.
      stop_seen = true;
      tick_->Arm(kDrainTurnNs);
    } else if (stop && !shutting_down_) {
      BeginShutdown();
      deadline = Clock::now() + std::chrono::milliseconds(options_.shutdown_grace_ms);
    }
    if (shutting_down_ && (links_.empty() || Clock::now() > deadline)) break;
    if (loop_stats) loop_stats->Begin();
    ev_->RunOnce();
    if (loop_stats) loop_stats->End();
  }
  if (loop_stats) log::Info(loop_stats->Line());
  tick_->Cancel();
  if (!links_.empty()) {
    log::Warn(std::to_string(links_.size()) + " connection(s) did not finish closing in time");
  }
  if (stop_waker_registered_) {
    UnregisterForStopWakeup(&stop_waker_);
    stop_waker_registered_ = false;
  }
  {
    std::lock_guard<std::mutex> lock(waker_->mu);
    waker_->async = nullptr;
  }
  for (Link* l : links_) DeleteLink(l);
  links_.clear();
  sink_waiters_.clear();
  doomed_.clear();
  resolver_.reset();  // a lookup still running is not waited for
  listener_.reset();  // later clients are refused by the kernel, not left waiting
}

void RelayServer::Stop() {
  stop_.store(true);
  std::lock_guard<std::mutex> lock(waker_->mu);
  if (waker_->async) waker_->async->Send();
}

void RelayServer::WakeFromAnyThread(void* async) { static_cast<EvLoop::Async*>(async)->Send(); }

void RelayServer::OnWake(void* arg) {
  auto* self = static_cast<RelayServer*>(arg);
  if (self->drained_.exchange(false)) self->OnDrained();
  // A stop needs nothing more: Run() checks for it after this turn.
}

void RelayServer::OnTick(void* arg) {
  auto* self = static_cast<RelayServer*>(arg);
  if (self->shutting_down_) self->tick_->Arm(kTickNs);
}

void RelayServer::BeginShutdown() {
  shutting_down_ = true;
  log::Info("stopping: closing " + std::to_string(links_.size()) + " connection(s) with 1001");
  std::vector<Link*> all(links_.begin(), links_.end());
  for (Link* l : all) {
    if (links_.count(l)) Guarded(l, [&] { Apply(l, l->conn.OnShutdown(Now())); });
  }
  // Wake up every 50 ms until the grace period ends, whatever the sockets do.
  tick_->Arm(0);
}

template <typename Fn>
void RelayServer::Guarded(Link* link, Fn&& fn) {
  ++depth_;
  try {
    fn();
  } catch (const std::exception& e) {
    log::Error(std::string("relay: ") + e.what() +
               (link ? " (ending the connection with 1011)" : ""));
    if (link) {
      try {
        Apply(link, link->conn.OnInternalError(e.what(), Now()));
      } catch (...) {
        Kill(link, Side::kClient);
        Kill(link, Side::kUpstream);
      }
    }
  } catch (...) {
    log::Error("relay: unknown error (ending the connection)");
    if (link) {
      Kill(link, Side::kClient);
      Kill(link, Side::kUpstream);
    }
  }
  --depth_;
  if (depth_ > 0) return;
  Settle();
  if (link) MaybeFree(link);
}

void RelayServer::Settle() {
  while (!doomed_.empty()) {
    auto [link, side] = doomed_.back();
    doomed_.pop_back();
    Guarded(link, [this, link = link, side = side] { CloseLeg(link, side); });
  }
}

void RelayServer::OnAccept(void* arg, int fd) {
  auto* self = static_cast<RelayServer*>(arg);
  if (!self->accept_guard_->Admit(fd, self->Now()) || self->shutting_down_) {
    close(fd);
    return;
  }
  bool adopted = false;
  self->Guarded(nullptr, [&] {
    auto link = std::make_unique<Link>(self, self->config_, self->recording_, ++self->next_ordinal_,
                                       self->Now());
    Leg& leg = link->client;
    leg.fd = fd;  // owned by the link from here
    adopted = true;
    leg.connected = true;
    if (self->client_tls_context_) {
      leg.tls = std::make_unique<wire::TlsClient>(self->client_tls_context_, "client");
    }
    self->UpdateIo(link.get(), Side::kClient);
    self->links_.insert(link.get());
    link.release();
  });
  if (!adopted) close(fd);
}

void RelayServer::OnLegIo(void* arg, int events) {
  auto* leg = static_cast<Leg*>(arg);
  Link* link = leg->link;
  RelayServer* self = link->server;
  self->Guarded(link, [&] { self->HandleIo(link, leg->side, events); });
}

void RelayServer::OnTimer(void* arg) {
  auto* link = static_cast<Link*>(arg);
  RelayServer* self = link->server;
  self->Guarded(link, [&] { self->Apply(link, link->conn.OnTimer(self->Now())); });
}

void RelayServer::OnDrained() {
  // Only the connections that wait for it: a walk over every connection here cost 3 ms of the
  // loop at 4,000 connections, each time the writer drained (bench/README.md, scale).
  std::vector<Link*> waiting(sink_waiters_.begin(), sink_waiters_.end());
  sink_waiters_.clear();
  for (Link* l : waiting) {
    if (links_.count(l)) Guarded(l, [&] { Apply(l, l->conn.OnSinkDrained(Now())); });
  }
}

void RelayServer::HandleIo(Link* link, Side side, int events) {
  Leg& leg = link->leg(side);
  if (leg.fd < 0 || leg.doomed) return;
  if (side == Side::kUpstream && !leg.connected) {
    if (events & EvLoop::kWritable) FinishConnect(link);
    return;
  }
  if (events & EvLoop::kWritable) Flush(link, side);
  if ((events & EvLoop::kReadable) && leg.fd >= 0 && !leg.doomed && !leg.pause_sink &&
      !leg.pause_peer) {
    Read(link, side);
  }
}

void RelayServer::Read(Link* link, Side side) {
  Leg& leg = link->leg(side);
  const ssize_t n = recv(leg.fd, read_buf_.data(), read_buf_.size(), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (n <= 0) {  // the peer ended the connection (or it failed)
    Kill(link, side);
    return;
  }
  Deliver(link, side, read_buf_.data(), static_cast<size_t>(n));
}

void RelayServer::Deliver(Link* link, Side side, const uint8_t* data, size_t len) {
  if (link->leg(side).tls) {
    OnTlsRx(link, side, data, len);
  } else if (side == Side::kClient) {
    Apply(link, link->conn.OnClientData(data, len, Now()));
  } else {
    Apply(link, link->conn.OnUpstreamData(data, len, Now()));
  }
}

void RelayServer::OnTlsRx(Link* link, Side side, const uint8_t* data, size_t len) {
  Leg& leg = link->leg(side);
  tls_plain_.clear();
  auto status = leg.tls->Feed(data, len, &tls_plain_);
  FlushTls(link, side);
  if (side == Side::kUpstream && !link->upstream_reported && leg.tls->handshake_done()) {
    link->upstream_reported = true;
    log::Debug(link->Prefix() + "upstream TLS: " + leg.tls->peer_summary());
    Apply(link, link->conn.OnUpstreamConnected(Now()));
  }
  if (!tls_plain_.empty()) {
    // Nothing below reads a socket, so the scratch buffer stays as it is while it is relayed.
    const auto* p = reinterpret_cast<const uint8_t*>(tls_plain_.data());
    const size_t n = tls_plain_.size();
    Apply(link, side == Side::kClient ? link->conn.OnClientData(p, n, Now())
                                      : link->conn.OnUpstreamData(p, n, Now()));
  }
  if (status == wire::TlsClient::Status::kFailed) {
    std::string why = "TLS: " + leg.tls->error();
    if (side == Side::kClient) {
      log::Debug(link->Prefix() + "client " + why);
    } else if (!link->upstream_reported) {
      link->upstream_reported = true;  // reported as a failure, once
      Apply(link, link->conn.OnUpstreamConnectFailed(why, Now()));
    } else {
      log::Warn(link->Prefix() + "upstream " + why);
      Apply(link, link->conn.OnClosed(Side::kUpstream, Now()));
    }
    Kill(link, side);
  } else if (status == wire::TlsClient::Status::kClosed) {
    if (side == Side::kUpstream) Apply(link, link->conn.OnClosed(Side::kUpstream, Now()));
    Kill(link, side);
  }
}

void RelayServer::ConnectUpstream(Link* link) {
  const WsUrl& up = options_.upstream;
  Leg& leg = link->upstream;
  // Two descriptors: the upstream socket, and one for the next client accepted.
  if (int err = 0; !HaveSpareDescriptors(2, &err)) {
    leg.gone = true;
    Apply(link, link->conn.OnOutOfDescriptors(std::strerror(err), Now()));
    return;
  }
  if (up.tls) leg.tls = std::make_unique<wire::TlsClient>(tls_context_, up.host);
  // Answered at once for an IP literal or a name looked up in the last 30 s; otherwise the
  // connection waits (kConnecting, under its upstream timer) and the loop goes on.
  AsyncResolver::Result now;
  const int ordinal = link->conn.ordinal();
  const AsyncResolver::RequestId id = resolver_->Resolve(
      up.host, up.port, &now,
      [this, ordinal](const AsyncResolver::Result& r) { OnResolved(ordinal, r); });
  if (id == 0) {
    UseAddresses(link, now);
    return;
  }
  link->lookup = id;
  resolving_[ordinal] = link;
}

void RelayServer::OnResolved(int ordinal, const AsyncResolver::Result& result) {
  auto it = resolving_.find(ordinal);
  if (it == resolving_.end()) return;  // the connection went meanwhile
  Link* link = it->second;
  resolving_.erase(it);
  link->lookup = 0;
  Guarded(link, [&] { UseAddresses(link, result); });
}

void RelayServer::UseAddresses(Link* link, const AsyncResolver::Result& result) {
  link->conn.OnUpstreamResolved();
  link->addresses = result.addresses;
  link->next_address = 0;
  if (link->addresses.empty()) {
    link->upstream.gone = true;
    Apply(link, link->conn.OnUpstreamConnectFailed(
                    "cannot resolve " + options_.upstream.host + ": " + result.error, Now()));
    return;
  }
  TryNextAddress(link);
}

void RelayServer::DropLookup(Link* link) {
  if (link->lookup == 0) return;
  resolver_->Cancel(link->lookup);
  resolving_.erase(link->conn.ordinal());
  link->lookup = 0;
}

void RelayServer::TryNextAddress(Link* link) {
  Leg& leg = link->upstream;
  while (link->next_address < link->addresses.size()) {
    int err = 0;
    const int fd = ConnectTcp(link->addresses[link->next_address++], &err);
    if (fd >= 0) {
      leg.fd = fd;
      UpdateIo(link, Side::kUpstream);  // writable: the connect finished
      return;
    }
    if (err == EMFILE || err == ENFILE) {
      leg.gone = true;
      Apply(link, link->conn.OnOutOfDescriptors(std::strerror(err), Now()));
      return;
    }
    link->connect_error = std::strerror(err);
  }
  leg.gone = true;
  link->addresses.clear();
  Apply(link, link->conn.OnUpstreamConnectFailed(link->connect_error, Now()));
}

void RelayServer::FinishConnect(Link* link) {
  Leg& leg = link->upstream;
  if (int err = TcpConnectResult(leg.fd); err != 0) {
    // This address refused (or failed): the next one, if the name had several.
    leg.io.Stop();
    close(leg.fd);
    leg.fd = -1;
    link->connect_error = std::strerror(err);
    TryNextAddress(link);
    return;
  }
  leg.connected = true;
  link->addresses.clear();
  if (leg.tls) {
    leg.tls->Start();
    FlushTls(link, Side::kUpstream);
  } else {
    link->upstream_reported = true;
    Apply(link, link->conn.OnUpstreamConnected(Now()));
  }
  UpdateIo(link, Side::kUpstream);
}

void RelayServer::Flush(Link* link, Side side) {
  Leg& leg = link->leg(side);
  while (leg.has_unsent()) {
    const ssize_t n = send(leg.fd, leg.out.data() + leg.out_off, leg.out.size() - leg.out_off,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      Kill(link, side);
      return;
    }
    leg.out_off += static_cast<size_t>(n);
  }
  leg.out.clear();
  leg.out_off = 0;
  if (leg.out.capacity() > kKeptOutBytes) std::string().swap(leg.out);
  UpdateIo(link, side);
  SetPeerPaused(link, OtherSide(side), false);  // this socket drained: read its feeder
  if (leg.close_requested) Kill(link, side);
}

void RelayServer::FlushTls(Link* link, Side side) {
  Leg& leg = link->leg(side);
  if (!leg.tls || !leg.tls->has_ciphertext()) return;
  tls_cipher_.clear();
  leg.tls->TakeCiphertext(&tls_cipher_);
  if (leg.fd < 0 || leg.doomed || tls_cipher_.empty()) return;
  RawWrite(link, side, tls_cipher_);
}

void RelayServer::Write(Link* link, Side side, std::string_view bytes) {
  Leg& leg = link->leg(side);
  if (leg.fd < 0 || leg.doomed) return;
  if (leg.tls) {
    if (leg.tls->Write(bytes) == wire::TlsClient::Status::kFailed) {
      Kill(link, side);
      return;
    }
    FlushTls(link, side);
    return;
  }
  RawWrite(link, side, bytes);
}

void RelayServer::RawWrite(Link* link, Side side, std::string_view bytes) {
  Leg& leg = link->leg(side);
  if (leg.has_unsent()) {  // behind what is waiting (the feeder is paused already)
    leg.out.append(bytes);
    return;
  }
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        send(leg.fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    Kill(link, side);
    return;
  }
  if (done == bytes.size()) return;
  // What the kernel did not take is written when the socket drains; meanwhile the side
  // feeding this one is not read.
  leg.out.assign(bytes.substr(done));
  leg.out_off = 0;
  UpdateIo(link, side);
  SetPeerPaused(link, OtherSide(side), true);
}

void RelayServer::SetPeerPaused(Link* link, Side reader, bool paused) {
  Leg& leg = link->leg(reader);
  if (leg.pause_peer == paused) return;
  leg.pause_peer = paused;
  UpdateIo(link, reader);
}

void RelayServer::UpdateIo(Link* link, Side side) {
  Leg& leg = link->leg(side);
  if (leg.fd < 0) return;
  int events = 0;
  if (!leg.connected) {
    events = EvLoop::kWritable;  // the connect finishing
  } else {
    if (!leg.pause_sink && !leg.pause_peer) events |= EvLoop::kReadable;
    if (leg.has_unsent()) events |= EvLoop::kWritable;
  }
  leg.io.Watch(leg.fd, events);
}

void RelayServer::Kill(Link* link, Side side) {
  Leg& leg = link->leg(side);
  if ((leg.fd < 0 && !(side == Side::kUpstream && link->lookup)) || leg.doomed) return;
  leg.doomed = true;
  leg.io.Stop();
  doomed_.emplace_back(link, side);
}

void RelayServer::CloseLeg(Link* link, Side side) {
  Leg& leg = link->leg(side);
  const bool resolving = side == Side::kUpstream && link->lookup;
  if (leg.fd < 0 && !resolving) return;
  if (resolving) DropLookup(link);  // closed while its name was looked up: no socket yet
  leg.io.Stop();
  if (leg.fd >= 0 && leg.connected) {
    CloseGracefully(leg.fd);
  } else if (leg.fd >= 0) {
    close(leg.fd);
  }
  leg.fd = -1;
  leg.gone = true;
  leg.doomed = false;
  leg.out.clear();
  std::string().swap(leg.out);
  leg.out_off = 0;
  // What this socket still held is dropped: the other side may be read again (the state
  // machine may still read it, e.g. for its answer to a close frame).
  SetPeerPaused(link, OtherSide(side), false);
  if (side == Side::kUpstream && !link->upstream_reported) {
    link->upstream_reported = true;
    Apply(link, link->conn.OnUpstreamConnectFailed(
                    resolving ? std::string("closed while its host name was looked up")
                    : leg.tls && !leg.tls->error().empty()
                        ? "TLS: " + leg.tls->error()
                        : std::string("the connection closed before it was established"),
                    Now()));
  } else {
    Apply(link, link->conn.OnClosed(side, Now()));
  }
}

void RelayServer::Apply(Link* link, const std::vector<RelayCommand>& commands) {
  bool connect = false;
  // The upstream connect can deliver an event to link->conn at once (a failure), which would
  // replace `commands`: it runs after the loop.
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
        UpdateIo(link, c.side);
        break;
      case RelayCommand::Kind::kClose: {
        Leg& leg = link->leg(c.side);
        const bool resolving = c.side == Side::kUpstream && link->lookup;
        if ((leg.fd < 0 && !resolving) || leg.doomed) break;
        if (!leg.connected) {
          Kill(link, c.side);  // still connecting (or resolving): nothing to flush
          break;
        }
        if (leg.tls && leg.tls->handshake_done()) {
          leg.tls->Shutdown();
          FlushTls(link, c.side);
        }
        leg.close_requested = true;
        if (!leg.has_unsent()) Kill(link, c.side);  // else once it is written (Flush)
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

void RelayServer::MaybeFree(Link* link) {
  if (depth_ > 0 || !links_.count(link) || !link->conn.finished()) return;
  if (link->client.fd >= 0 || link->upstream.fd >= 0) return;  // a socket is still open
  links_.erase(link);
  sink_waiters_.erase(link);
  DeleteLink(link);
}

void RelayServer::DeleteLink(Link* link) {
  DropLookup(link);
  link->timer.Cancel();
  delete link;  // its Legs close their sockets
}

}  // namespace wsr::proxy
