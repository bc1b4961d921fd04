#include "proxy/relay_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <fstream>

#include "common/error.h"
#include "common/log.h"
#include "common/stop_signal.h"
#include "proxy/handshake.h"

namespace wsr::proxy {
namespace {
constexpr const char* kProtocolName = "wsreplay-relay";
constexpr size_t kRxBufferSize = 64 * 1024;
constexpr size_t kMaxCloseReason = 123;  // a close frame's payload is at most 125 bytes

// Subprotocols lws may accept on the client-facing side (it refuses an upgrade offering only
// names missing from the vhost's protocol list; see README). The client's full list is still
// offered upstream and the upstream's choice is recorded.
const char* const kKnownSubprotocols[] = {"phoenix",
                                          "graphql-ws",
                                          "graphql-transport-ws",
                                          "wamp.2.json",
                                          "wamp.2.msgpack",
                                          "mqtt",
                                          "v10.stomp",
                                          "v11.stomp",
                                          "v12.stomp",
                                          "actioncable-v1-json",
                                          "ocpp1.6",
                                          "ocpp2.0.1",
                                          "soap",
                                          "xmpp",
                                          "chat",
                                          "json",
                                          "binary"};

// Request headers copied to the upstream handshake (lower-case, lws format adds the colon).
const char* const kForwardHeaders[] = {"user-agent", "authorization", "cookie", "x-api-key"};

std::string Truncate(std::string s, size_t n) {
  if (s.size() > n) s.resize(n);
  return s;
}

std::string HostHeader(const WsUrl& u) {
  std::string h = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
  bool default_port = (u.tls && u.port == 443) || (!u.tls && u.port == 80);
  return default_port ? h : h + ":" + std::to_string(u.port);
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Explains why binding failed (lws only says that it did).
std::string ProbeBindError(const ListenAddr& addr) {
  int fd = socket(addr.host.find(':') != std::string::npos ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return std::strerror(errno);
  std::string why = "the address cannot be used";
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (addr.host.find(':') != std::string::npos) {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(static_cast<uint16_t>(addr.port));
    if (inet_pton(AF_INET6, addr.host.c_str(), &sa.sin6_addr) != 1) {
      why = "not an IP address";
    } else if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      why = std::strerror(errno);
    }
  } else {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(addr.port));
    if (inet_pton(AF_INET, addr.host.c_str(), &sa.sin_addr) != 1) {
      why = "not an IP address";
    } else if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      why = std::strerror(errno);
    }
  }
  close(fd);
  return why;
}

void CheckReadable(const std::string& path, const char* what) {
  std::ifstream f(path);
  if (!f)
    throw Error(std::string("cannot read ") + what + " '" + path + "': " + std::strerror(errno));
}
}  // namespace

RelayServer::RelayServer(Options options, recorder::RecordingContext recording)
    : options_(std::move(options)), recording_(recording) {
  for (auto& h : options_.extra_headers) h = Lower(h);
  auto add = [&](const char* name) {
    lws_protocols p{};
    p.name = name;
    p.callback = &RelayServer::Callback;
    p.rx_buffer_size = kRxBufferSize;
    protocols_.push_back(p);
  };
  add(kProtocolName);  // index 0: upgrades without Sec-WebSocket-Protocol bind here
  for (const char* name : kKnownSubprotocols) add(name);
  protocols_.push_back(lws_protocols{});  // terminator
  tick_.self = this;
}

RelayServer::~RelayServer() {
  if (context_) {
    UnregisterForStopWakeup(context_);
    lws_context_destroy(context_);
  }
  for (Link* l : links_) delete l;
}

std::string RelayServer::url() const {
  std::string host = options_.listen.host.find(':') != std::string::npos
                         ? "[" + options_.listen.host + "]"
                         : options_.listen.host;
  bool tls = !options_.tls_cert.empty();
  return std::string(tls ? "wss://" : "ws://") + host + ":" + std::to_string(port_);
}

void RelayServer::Start() {
  if (options_.tls_cert.empty() != options_.tls_key.empty()) {
    throw Error("--tls-cert and --tls-key go together: give both or neither");
  }
  if (!options_.tls_cert.empty()) {
    CheckReadable(options_.tls_cert, "the TLS certificate");
    CheckReadable(options_.tls_key, "the TLS key");
  }
  // The context is created without a listener and the listening vhost separately: when
  // lws_create_context() itself fails to bind, lws 4.1 leaks part of what it allocated, while a
  // failed lws_create_vhost() cleans up (LeakSanitizer sees the difference).
  lws_context_creation_info info{};
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
  info.user = this;
  context_ = lws_create_context(&info);
  if (!context_) throw Error("cannot create the libwebsockets context");

  lws_context_creation_info vi{};
  vi.vhost_name = "default";
  vi.port = options_.listen.port;
  vi.iface = options_.listen.host.c_str();
  vi.protocols = protocols_.data();
  vi.user = this;
  vi.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_DISABLE_IPV6;
  if (options_.listen.host.find(':') != std::string::npos) {
    vi.options &= ~static_cast<uint64_t>(LWS_SERVER_OPTION_DISABLE_IPV6);
  }
  vi.alpn = "http/1.1";
  vi.server_string = "wsreplay";
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
  RegisterForStopWakeup(context_);
}

void RelayServer::Run() {
  using Clock = std::chrono::steady_clock;
  Clock::time_point deadline{};
  while (true) {
    if (StopRequested() && !shutting_down_) {
      BeginShutdown();
      deadline = Clock::now() + std::chrono::milliseconds(options_.shutdown_grace_ms);
    }
    if (shutting_down_ && (links_.empty() || Clock::now() > deadline)) break;
    ++turn_;
    if (lws_service(context_, 0) < 0) break;
  }
  lws_sul_cancel(&tick_.sul);
  if (!links_.empty()) {
    log::Warn(std::to_string(links_.size()) + " connection(s) did not finish closing in time");
  }
  UnregisterForStopWakeup(context_);
  lws_context_destroy(context_);  // closes what is left (callbacks still run)
  context_ = nullptr;
  for (Link* l : links_) delete l;
  links_.clear();
}

void RelayServer::OnTick(lws_sorted_usec_list_t* sul) {
  auto* tick = reinterpret_cast<Tick*>(sul);
  if (tick->self->shutting_down_) {
    lws_sul_schedule(tick->self->context_, 0, &tick->sul, &RelayServer::OnTick, 50 * LWS_US_PER_MS);
  }
}

void RelayServer::BeginShutdown() {
  shutting_down_ = true;
  log::Info("stopping: closing " + std::to_string(links_.size()) + " connection(s) with 1001");
  std::vector<Link*> all(links_.begin(), links_.end());
  for (Link* l : all) CloseLink(l, 1001, "wsreplay record is shutting down");
  lws_sul_schedule(context_, 0, &tick_.sul, &RelayServer::OnTick, 50 * LWS_US_PER_MS);
}

int RelayServer::Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* self = static_cast<RelayServer*>(lws_context_user(lws_get_context(wsi)));
  if (!self) return lws_callback_http_dummy(wsi, reason, user, in, len);
  try {
    return self->Handle(wsi, reason, in, len);
  } catch (const std::exception& e) {
    log::Error(std::string("relay: ") + e.what() + " (closing the connection with 1011)");
  } catch (...) {
    log::Error("relay: unknown error (closing the connection with 1011)");
  }
  // Something failed inside our handling: end this connection on both legs, recorded.
  auto* link = static_cast<Link*>(lws_get_opaque_user_data(wsi));
  if (link) {
    try {
      self->CloseLink(link, 1011, "wsreplay record: internal relay error");
      return 0;
    } catch (...) {
    }
  }
  return -1;
}

int RelayServer::Handle(lws* wsi, lws_callback_reasons reason, void* in, size_t len) {
  if (reason == LWS_CALLBACK_ESTABLISHED) return OnClientEstablished(wsi);
  auto* link = static_cast<Link*>(lws_get_opaque_user_data(wsi));
  if (!link) return lws_callback_http_dummy(wsi, reason, nullptr, in, len);
  if (wsi != link->client.wsi && !link->upstream.wsi && !link->upstream.gone)
    link->upstream.wsi = wsi;
  Leg& leg = link->LegOf(wsi);
  switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
      return OnAppendHeaders(link, wsi, in, len);
    case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH:
      OnUpstreamPreEstablish(link, wsi);
      return 0;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      OnUpstreamEstablished(link);
      return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      OnUpstreamFailed(link, wsi, in, len);
      return 0;
    case LWS_CALLBACK_RECEIVE:
    case LWS_CALLBACK_CLIENT_RECEIVE:
      return OnReceive(link, leg, static_cast<const uint8_t*>(in), len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
    case LWS_CALLBACK_CLIENT_WRITEABLE:
      return OnWritable(link, leg);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      OnPeerClose(link, leg, static_cast<const uint8_t*>(in), len);
      return 0;
    case LWS_CALLBACK_CLOSED:
    case LWS_CALLBACK_CLIENT_CLOSED:
    case LWS_CALLBACK_WSI_DESTROY:
      OnLegGone(link, leg);
      return 0;
    default:
      return 0;
  }
}

int RelayServer::OnClientEstablished(lws* wsi) {
  if (shutting_down_) return -1;
  auto* link = new Link(recording_, ++next_ordinal_);
  links_.insert(link);
  link->client.wsi = wsi;
  link->client.established = true;
  lws_set_opaque_user_data(wsi, link);

  std::vector<std::string> custom = {"x-api-key"};
  for (const auto& h : options_.extra_headers) custom.push_back(h);
  RequestTarget target = ReadRequestTarget(wsi);
  cassette::Headers headers = ReadHeaders(wsi, custom);

  const WsUrl& up = options_.upstream;
  link->upstream_path = up.path + target.path;
  if (!target.query.empty()) link->upstream_path += "?" + target.query;
  link->upstream_host_header = HostHeader(up);
  for (const auto& [name, value] : headers) {
    if (name == "sec-websocket-protocol") link->offered_subprotocols = value;
    bool forward = std::find(std::begin(kForwardHeaders), std::end(kForwardHeaders), name) !=
                       std::end(kForwardHeaders) ||
                   std::find(options_.extra_headers.begin(), options_.extra_headers.end(), name) !=
                       options_.extra_headers.end();
    if (forward) link->forward_headers.emplace_back(name, value);
  }
  std::string shown =
      link->recorder.Open(target.path, target.query, headers,
                          up.ToString() + link->upstream_path.substr(up.path.size()));
  log::Info(link->LogPrefix() + target.path + " -> " + shown);

  // Frames the client sends before the upstream accepted wait in the upstream leg's queue
  // (bounded by the high-water mark like any queue); reading continues so that a client
  // closing early is seen.
  ConnectUpstream(link);
  return 0;
}

void RelayServer::ConnectUpstream(Link* link) {
  const WsUrl& up = options_.upstream;
  lws_client_connect_info i{};
  i.context = context_;
  i.vhost = vhost_;
  i.address = up.host.c_str();
  i.port = up.port;
  i.path = link->upstream_path.c_str();
  i.host = link->upstream_host_header.c_str();
  i.origin = nullptr;  // never add an Origin
  i.protocol = link->offered_subprotocols.empty() ? nullptr : link->offered_subprotocols.c_str();
  i.local_protocol_name = kProtocolName;
  i.opaque_user_data = link;
  if (up.tls) {
    i.ssl_connection = LCCSCF_USE_SSL;
    if (options_.insecure) {
      i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                          LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
    }
    i.alpn = "http/1.1";
  }
  lws* started = lws_client_connect_via_info(&i);
  if (started) {
    if (!link->upstream.gone) link->upstream.wsi = started;
    return;
  }
  if (!link->upstream.gone) {
    // Failed before any callback could report it.
    link->upstream.gone = true;
    link->upstream.wsi = nullptr;
    link->recorder.UpstreamFailed(std::nullopt, "could not start the upstream connection");
    std::string reason = "upstream unreachable";
    link->closing = true;
    link->recorder.Close(1014, reason, "proxy");
    RequestClose(link->client, 1014, reason);
  }
}

int RelayServer::OnAppendHeaders(Link* link, lws* wsi, void* in, size_t len) {
  auto** p = static_cast<unsigned char**>(in);
  unsigned char* end = *p + len;
  for (const auto& [name, value] : link->forward_headers) {
    std::string n = name + ":";
    if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(n.c_str()),
                                    reinterpret_cast<const unsigned char*>(value.data()),
                                    static_cast<int>(value.size()), p, end)) {
      log::Warn(link->LogPrefix() + "header " + name + " too long to forward");
      return -1;
    }
  }
  return 0;
}

void RelayServer::OnUpstreamPreEstablish(Link* link, lws* wsi) {
  link->response_headers = ReadHeaders(wsi, {});
  for (const auto& [name, value] : link->response_headers) {
    if (name == "sec-websocket-protocol") link->upstream_subprotocol = value;
  }
}

void RelayServer::OnUpstreamEstablished(Link* link) {
  Leg& up = link->upstream;
  up.established = true;
  link->recorder.UpstreamAccepted(101, link->response_headers, link->upstream_subprotocol);
  if (!link->offered_subprotocols.empty() && link->client.alive()) {
    const lws_protocols* p = lws_get_protocol(link->client.wsi);
    std::string chosen = p && p->name && std::strcmp(p->name, kProtocolName) ? p->name : "";
    if (chosen != link->upstream_subprotocol) {
      log::Warn(link->LogPrefix() + "the upstream chose subprotocol '" +
                link->upstream_subprotocol + "' but the client was given '" + chosen +
                "' (see proxy/README.md)");
    }
  }
  if (link->closing || shutting_down_) {
    // The client left (or we are stopping) while the upstream was connecting.
    RequestClose(up, shutting_down_ ? 1001 : 1000,
                 shutting_down_ ? "wsreplay record is shutting down" : "client went away");
    return;
  }
  if (!up.out.idle()) lws_callback_on_writable(up.wsi);  // what the client sent meanwhile
}

void RelayServer::OnUpstreamFailed(Link* link, lws* wsi, void* in, size_t len) {
  std::string error =
      in && len
          ? std::string(static_cast<const char*>(in), strnlen(static_cast<const char*>(in), len))
          : std::string(in ? static_cast<const char*>(in) : "connection failed");
  int status = static_cast<int>(lws_http_client_http_response(wsi));
  if (status <= 0 && lws_hdr_total_length(wsi, WSI_TOKEN_HTTP) > 0) {
    char buf[16] = {};
    lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_HTTP);
    status = std::atoi(buf);
  }
  std::optional<int> http_status;
  if (status > 0) http_status = status;
  link->recorder.UpstreamFailed(http_status, error);
  std::string reason = http_status ? "upstream refused handshake: HTTP " + std::to_string(status)
                                   : "upstream unreachable: " + error;
  reason = Truncate(reason, kMaxCloseReason);
  log::Warn(link->LogPrefix() + reason);
  if (!link->closing) {
    link->closing = true;
    link->recorder.Close(1014, reason, "proxy");
    if (link->client.alive()) RequestClose(link->client, 1014, reason);
  }
  OnLegGone(link, link->upstream);
}

}  // namespace wsr::proxy
