#include "sim/server.h"

#include <libwebsockets.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <set>

#include "common/accept_guard.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/ev_loop.h"
#include "common/log.h"
#include "common/lws_http.h"
#include "common/stop_signal.h"
#include "sim/protocol.h"
#include "sim/rest_api.h"

namespace wsr::sim {
namespace {

using lwshttp::HeaderCopy;
using lwshttp::MethodOf;
using lwshttp::QueryOf;

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxMessage = 8 * 1024 * 1024;

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
  std::optional<LoopTimer> push_timer, idle_timer;  // set once the connection is established
};

// A REST request being read (LWS_CALLBACK_HTTP, then _HTTP_BODY pieces until
// _HTTP_BODY_COMPLETION) and then its response being written (_HTTP_WRITEABLE).
struct HttpExchange {
  RestRequest request;
  size_t expected_body = 0;
  bool body_too_big = false;
  // Set once the response head is out. lws 4.1 also reports LWS_CALLBACK_HTTP_BODY_COMPLETION
  // for a request with `Content-Length: 0`, which was answered at LWS_CALLBACK_HTTP: that
  // second call must not answer again.
  bool responded = false;
  std::string response_body;  // written once the headers are out
};

// Per-session user data lws allocates (zeroed); set when the upgrade is accepted, or for a
// REST request on a plain HTTP connection.
struct Pss {
  Conn* conn;
  const Identity* who;
  Serializer ser;
  HttpExchange* http;  // owned; deleted when answered or when the connection closes
};

}  // namespace

struct SimServer::Impl {
  SimOptions opt;
  std::unique_ptr<EvLoop> ev;  // the epoll loop ctx runs on; null: lws's poll() loop
  lws_context* ctx = nullptr;
  AcceptGuard accept_guard{"sim", 1, true};  // 503 at accept when descriptors run out
  lws_vhost* vhost = nullptr;
  int port = 0;
  std::set<Conn*> conns;
  std::atomic<bool> stop{false};
  bool stopping = false;
  std::optional<LoopTimer> wake;  // wakes the loop at the shutdown deadline
  std::unique_ptr<RestApi> rest;  // the REST API and the shared chat state (sim/rest_api.h)

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
    c.push_timer->Cancel();
    c.idle_timer->Cancel();
    c.joined.clear();
    if (code == 0) {
      c.kill = true;
    } else {
      c.close_after = {code, std::move(reason)};
    }
    lws_callback_on_writable(c.wsi);
  }

  // ---- scenario ----
  bool MayReceive(const Conn& c, const std::string& topic, const std::string& event,
                  const nlohmann::json& payload) const {
    const thenvoi::ChannelSpec* ch = thenvoi::FindChannel(topic);
    const thenvoi::EventSpec* ev = ch ? thenvoi::FindEvent(*ch, event) : nullptr;
    if (!ev) return true;  // off-spec pushes go to whoever joined the topic
    if (c.who->type == thenvoi::Identity::kUser) return ev->to_users;
    return thenvoi::AgentReceives(*ch, *ev, payload, c.who->id);
  }
  bool MayReceive(const Conn& c, const ScenarioPush& p) const {
    return MayReceive(c, p.topic, p.event, p.payload);
  }
  // A push caused by a REST call: to every connection that has the topic joined now and may
  // receive it (no holding for later joins, unlike scenario pushes).
  void Broadcast(const RestPush& p) {
    std::string text = p.payload.dump();
    nlohmann::json payload = nlohmann::json::parse(text);
    for (Conn* c : conns) {
      auto it = c->joined.find(p.topic);
      if (it == c->joined.end() || !MayReceive(*c, p.topic, p.event, payload)) continue;
      Send(*c, EncodePush(c->ser, it->second, p.topic, p.event, text));
    }
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
      rest->NoteScenarioPush(p.topic, p.event, p.payload);
      if (c.joined.count(p.topic)) {
        Deliver(c, c.next_push);
      } else if (!c.ever_joined.count(p.topic)) {
        c.held[p.topic].push_back(c.next_push);
      }
      ++c.next_push;
    }
    if (c.next_push < pushes.size()) {
      int64_t wait_ms = pushes[c.next_push].at_ms - elapsed_ms;
      c.push_timer->Arm(wait_ms * 1'000'000);
    }
  }
  static void OnPushTimer(void* conn) {
    Conn* c = static_cast<Conn*>(conn);
    c->server->RunDuePushes(*c);
  }
  void TouchIdle(Conn& c) {
    if (c.close_after || c.kill) return;
    c.idle_timer->Arm(int64_t{opt.idle_timeout_ms} * 1'000'000);
  }
  static void OnIdleTimer(void* conn) {
    Conn* c = static_cast<Conn*>(conn);
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
    auto verdict = thenvoi::DecideJoin(topic, c.who->type, c.who->id, [&](std::string_view room) {
      return rest->IsParticipant(room, c.who->id);
    });
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
    c->push_timer.emplace(ev.get(), ctx, &Impl::OnPushTimer, c);
    c->idle_timer.emplace(ev.get(), ctx, &Impl::OnIdleTimer, c);
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
    conns.erase(c);  // its timers are cancelled as it goes
    delete c;
  }

  int Filter(lws* wsi, Pss* pss);
  int HttpStart(lws* wsi, Pss* pss);
  int HttpRespond(lws* wsi, Pss* pss);
  int HttpWriteBody(lws* wsi, Pss* pss);
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

std::string CustomHeader(lws* wsi, const char* name_colon) {
  int n = lws_hdr_custom_length(wsi, name_colon, static_cast<int>(std::strlen(name_colon)));
  if (n <= 0) return "";
  std::string s(static_cast<size_t>(n) + 1, '\0');
  int got = lws_hdr_custom_copy(wsi, s.data(), n + 1, name_colon,
                                static_cast<int>(std::strlen(name_colon)));
  s.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return s;
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

// A plain HTTP request: a REST route (answered now, or once its body is in), the socket path
// without an upgrade (400), or anything else (404).
int SimServer::Impl::HttpStart(lws* wsi, Pss* pss) {
  std::string path = HeaderCopy(wsi, WSI_TOKEN_GET_URI);
  std::string method = MethodOf(wsi);
  if (method != "GET") {
    static const std::map<std::string, lws_token_indexes> kTokens = {
        {"POST", WSI_TOKEN_POST_URI},       {"DELETE", WSI_TOKEN_DELETE_URI},
        {"PUT", WSI_TOKEN_PUT_URI},         {"PATCH", WSI_TOKEN_PATCH_URI},
        {"OPTIONS", WSI_TOKEN_OPTIONS_URI}, {"HEAD", WSI_TOKEN_HEAD_URI}};
    path = HeaderCopy(wsi, kTokens.at(method));
  }
  if (!IsRestPath(path)) {
    return RespondEmpty(wsi, path == kSocketPath ? HTTP_STATUS_BAD_REQUEST : HTTP_STATUS_NOT_FOUND);
  }
  delete pss->http;
  pss->http = new HttpExchange();
  RestRequest& r = pss->http->request;
  r.method = method;
  std::string query = QueryOf(wsi);
  r.target = path + (query.empty() ? "" : "?" + query);
  if (std::string key = CustomHeader(wsi, "x-api-key:"); !key.empty()) r.headers["x-api-key"] = key;
  if (std::string auth = HeaderCopy(wsi, WSI_TOKEN_HTTP_AUTHORIZATION); !auth.empty()) {
    r.headers["authorization"] = auth;
  }
  std::string length = HeaderCopy(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
  if (!length.empty()) {
    unsigned long long n = std::strtoull(length.c_str(), nullptr, 10);
    if (n > kMaxMessage) pss->http->body_too_big = true;
    if (n > 0) {
      pss->http->expected_body = static_cast<size_t>(n);
      return 0;  // answered at LWS_CALLBACK_HTTP_BODY_COMPLETION
    }
  }
  return HttpRespond(wsi, pss);
}

int SimServer::Impl::HttpRespond(lws* wsi, Pss* pss) {
  HttpExchange& ex = *pss->http;
  if (ex.responded) return 0;
  ex.responded = true;
  RestResult res;
  if (ex.body_too_big) {
    res.response.status = 413;
    res.response.headers = {{"content-type", "application/json; charset=utf-8"}};
    res.response.body =
        R"({"error":"payload_too_large","message":"request bodies are limited to 8 MiB"})";
  } else {
    int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    res = rest->Handle(ex.request, now_ms);
  }
  log::Debug("REST " + ex.request.method + " " + ex.request.target + " -> " +
             std::to_string(res.response.status) + " (" + std::to_string(res.pushes.size()) +
             " pushes)");
  for (const RestPush& p : res.pushes) Broadcast(p);

  std::vector<unsigned char> head(LWS_PRE + 2048);
  unsigned char* start = head.data() + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = head.data() + head.size() - 1;
  const RestResponse& out = res.response;
  if (lws_add_http_header_status(wsi, static_cast<unsigned>(out.status), &p, end)) return -1;
  for (const auto& [name, value] : out.headers) {
    std::string n = name + ":";
    if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(n.c_str()),
                                    reinterpret_cast<const unsigned char*>(value.data()),
                                    static_cast<int>(value.size()), &p, end)) {
      return -1;
    }
  }
  if (out.status != 204 && lws_add_http_header_content_length(wsi, out.body.size(), &p, end)) {
    return -1;
  }
  if (lws_finalize_write_http_header(wsi, start, &p, end)) return -1;
  if (out.body.empty()) {
    delete pss->http;
    pss->http = nullptr;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
  }
  ex.response_body = out.body;
  lws_callback_on_writable(wsi);
  return 0;
}

int SimServer::Impl::HttpWriteBody(lws* wsi, Pss* pss) {
  if (!pss || !pss->http) return 0;
  std::string& body = pss->http->response_body;
  std::vector<unsigned char> buf(LWS_PRE + body.size());
  std::memcpy(buf.data() + LWS_PRE, body.data(), body.size());
  int n = lws_write(wsi, buf.data() + LWS_PRE, body.size(), LWS_WRITE_HTTP_FINAL);
  delete pss->http;
  pss->http = nullptr;
  if (n < static_cast<int>(buf.size() - LWS_PRE)) return -1;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

int SimServer::Impl::Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                              size_t len) {
  auto* pss = static_cast<Pss*>(user);
  switch (reason) {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:  // accepted, nothing built yet
      return accept_guard.Admit(static_cast<int>(reinterpret_cast<intptr_t>(in)),
                                SteadyClock().NowNs())
                 ? 0
                 : 1;
    case LWS_CALLBACK_HTTP:
      return pss ? HttpStart(wsi, pss) : -1;
    case LWS_CALLBACK_HTTP_BODY:
      if (pss && pss->http && !pss->http->body_too_big) {
        std::string& body = pss->http->request.body;
        if (body.size() + len > kMaxMessage) {
          pss->http->body_too_big = true;
        } else {
          body.append(static_cast<const char*>(in), len);
        }
      }
      return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      // No exchange: a `Content-Length: 0` request already answered and completed.
      return pss && pss->http ? HttpRespond(wsi, pss) : 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
      return HttpWriteBody(wsi, pss);
    case LWS_CALLBACK_CLOSED_HTTP:
      if (pss) {
        delete pss->http;
        pss->http = nullptr;
      }
      return 0;
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
  impl_->rest = std::make_unique<RestApi>(impl_->opt.keys);
}

SimServer::~SimServer() {
  if (impl_->ctx) {
    impl_->wake.reset();
    UnregisterForStopWakeup(impl_->ctx);
    lws_context_destroy(impl_->ctx);  // closes what is left: Closed() frees those Conns
  }
  impl_->ev.reset();
}

void SimServer::Listen() {
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
  info.user = impl_.get();
  impl_->ctx = CreateContextOnEvLoop(&info, &impl_->ev, "sim");
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
  impl_->wake.emplace(
      impl_->ev.get(), impl_->ctx, [](void*) {}, nullptr);
  RegisterForStopWakeup(impl_->ctx);
}

int SimServer::port() const { return impl_->port; }

std::string SimServer::url() const {
  return "ws://" + HostPort(impl_->opt.listen.host, impl_->port);
}

void SimServer::Stop() {
  impl_->stop = true;
  if (impl_->ctx) lws_cancel_service(impl_->ctx);
}

void SimServer::Run() {
  Impl& s = *impl_;
  Clock::time_point deadline;
  while (true) {
    if (s.ev) {
      s.ev->RunOnce();
    } else if (lws_service(s.ctx, 0) < 0) {
      break;
    }
    if (!s.stopping && (s.stop || StopRequested())) {
      s.stopping = true;
      deadline = Clock::now() + std::chrono::seconds(2);
      for (Conn* c : s.conns) s.Close(*c, 1001, "server shutting down");
      s.wake->Arm(2'100'000'000);
    }
    if (s.stopping && (s.conns.empty() || Clock::now() > deadline)) break;
  }
}

}  // namespace wsr::sim
