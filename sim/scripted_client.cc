#include "sim/scripted_client.h"

#include <libwebsockets.h>

#include <chrono>
#include <cstring>
#include <deque>

#include "common/error.h"
#include "common/log.h"
#include "common/url.h"
#include "phoenix/frame.h"

namespace wsr::sim {
namespace {

using Clock = std::chrono::steady_clock;

struct State {
  const ScriptedClientOptions* opt = nullptr;
  ScriptedClientResult result;
  lws* wsi = nullptr;
  bool done = false;
  bool stop_requested = false;  // we end the session: send our close
  Clock::time_point start, opened;
  Clock::time_point next_heartbeat;
  size_t next_send = 0;
  int next_ref = 1;
  std::deque<std::string> out;  // LWS_PRE + text
  std::string rx;
  lws_sorted_usec_list_t tick{};
  lws_context* ctx = nullptr;

  int64_t SinceOpen() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - opened).count();
  }
  void Queue(const std::string& text) {
    out.push_back(std::string(LWS_PRE, '\0') + text);
    if (wsi) lws_callback_on_writable(wsi);
  }
  std::string NextRef() { return phoenix::Quote(std::to_string(next_ref++)); }
  void Stop() {
    if (stop_requested) return;
    stop_requested = true;
    if (wsi) lws_callback_on_writable(wsi);
  }
  void OnTick() {
    auto now = Clock::now();
    if (now - start > std::chrono::milliseconds(opt->duration_ms)) {
      if (wsi && result.connected)
        Stop();
      else
        done = true;
    }
    if (!result.connected && !done &&
        now - start > std::chrono::milliseconds(opt->connect_timeout_ms)) {
      result.error = "connect timeout";
      done = true;
    }
    if (result.connected && !stop_requested) {
      while (next_send < opt->sends.size() && opt->sends[next_send].first <= SinceOpen()) {
        Queue(opt->sends[next_send++].second);
      }
      if (opt->heartbeat_ms > 0 && now >= next_heartbeat) {
        next_heartbeat = now + std::chrono::milliseconds(opt->heartbeat_ms);
        Queue("[null," + NextRef() + ",\"phoenix\",\"heartbeat\",{}]");
      }
    }
    if (!done) lws_sul_schedule(ctx, 0, &tick, &State::Tick, 5 * LWS_US_PER_MS);
  }
  static void Tick(lws_sorted_usec_list_t* sul) {
    State* s = reinterpret_cast<State*>(reinterpret_cast<char*>(sul) - offsetof(State, tick));
    s->OnTick();
  }
};

int Callback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* in, size_t len) {
  auto* s = static_cast<State*>(lws_context_user(lws_get_context(wsi)));
  if (!s) return 0;
  try {
    switch (reason) {
      case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        s->result.http_status = static_cast<int>(lws_http_client_http_response(wsi));
        s->result.error = in ? std::string(static_cast<const char*>(in),
                                           len ? len : std::strlen(static_cast<const char*>(in)))
                             : "connection failed";
        s->wsi = nullptr;
        s->done = true;
        return 0;
      case LWS_CALLBACK_CLIENT_ESTABLISHED:
        s->result.connected = true;
        s->opened = Clock::now();
        s->next_heartbeat = s->opened + std::chrono::milliseconds(s->opt->heartbeat_ms);
        for (const auto& topic : s->opt->topics) {
          std::string ref = s->NextRef();
          s->Queue("[" + ref + "," + ref + "," + phoenix::Quote(topic) + ",\"phx_join\",{}]");
        }
        if (s->opt->on_open) s->opt->on_open();
        return 0;
      case LWS_CALLBACK_CLIENT_RECEIVE: {
        s->rx.append(static_cast<const char*>(in), len);
        if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) != 0) return 0;
        ScriptedFrame f;
        f.at_ms = s->SinceOpen();
        f.binary = lws_frame_is_binary(wsi);
        f.text = std::move(s->rx);
        s->rx.clear();
        if (auto parsed = phoenix::Parse(f.text); parsed && parsed->event.rfind("phx_", 0) != 0) {
          ++s->result.events;
        }
        s->result.frames.push_back(std::move(f));
        if (s->opt->on_frame) s->opt->on_frame(s->result.frames.back());
        if ((s->opt->max_events >= 0 && s->result.events >= s->opt->max_events) ||
            (s->opt->is_last && s->opt->is_last(s->result.frames.back()))) {
          s->Stop();
        }
        return 0;
      }
      case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (!s->out.empty() && !s->stop_requested) {
          std::string& f = s->out.front();
          size_t n = f.size() - LWS_PRE;
          if (lws_write(wsi, reinterpret_cast<unsigned char*>(f.data()) + LWS_PRE, n,
                        LWS_WRITE_TEXT) < static_cast<int>(n)) {
            return -1;
          }
          s->out.pop_front();
          if (!s->out.empty()) lws_callback_on_writable(wsi);
          return 0;
        }
        if (s->stop_requested) {
          lws_close_reason(wsi, static_cast<lws_close_status>(s->opt->close_code),
                           reinterpret_cast<unsigned char*>(const_cast<char*>("done")), 4);
          return -1;
        }
        return 0;
      case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
        s->result.closed_by_server = true;
        auto* p = static_cast<const unsigned char*>(in);
        s->result.close_code = len >= 2 ? (p[0] << 8 | p[1]) : 1005;
        if (len > 2) s->result.close_reason.assign(reinterpret_cast<const char*>(p) + 2, len - 2);
        return 0;
      }
      case LWS_CALLBACK_CLIENT_CLOSED:
        if (!s->result.closed_by_server && !s->stop_requested) {
          s->result.closed_by_server = true;
          s->result.close_code = 1006;
        }
        s->wsi = nullptr;
        s->done = true;
        return 0;
      default:
        return 0;
    }
  } catch (const std::exception& e) {
    log::Error(std::string("scripted client: ") + e.what());
    return -1;
  }
}

const lws_protocols kProtocols[] = {
    {"scripted-client", Callback, 0, 65536, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

ScriptedClientResult ScriptedClient::Run() {
  WsUrl url = ParseWsUrl(opt_.url);
  std::string path = url.path.empty() ? "/" : url.path;
  std::string query;
  for (const auto& [k, v] : opt_.params) {
    query += (query.empty() ? "?" : "&") + PercentEncode(k) + "=" + PercentEncode(v);
  }
  std::string full_path = path + query;

  State s;
  s.opt = &opt_;
  s.start = Clock::now();
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = kProtocols;
  info.user = &s;
  if (url.tls) info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  s.ctx = lws_create_context(&info);
  if (!s.ctx) throw Error("cannot create a libwebsockets client context");

  lws_client_connect_info ci;
  std::memset(&ci, 0, sizeof ci);
  ci.context = s.ctx;
  ci.address = url.host.c_str();
  ci.port = url.port;
  ci.path = full_path.c_str();
  ci.host = url.host.c_str();
  ci.origin = nullptr;
  ci.protocol = nullptr;
  ci.ssl_connection = url.tls ? LCCSCF_USE_SSL : 0;
  ci.alpn = "http/1.1";
  ci.pwsi = &s.wsi;
  lws_client_connect_via_info(&ci);
  if (!s.wsi && !s.done) {
    s.result.error = "connect failed";
    s.done = true;
  }
  lws_sul_schedule(s.ctx, 0, &s.tick, &State::Tick, 5 * LWS_US_PER_MS);
  // Stop also when the close handshake stalls: give up 3 s past the duration.
  auto hard_deadline =
      s.start + std::chrono::milliseconds(opt_.duration_ms) + std::chrono::seconds(3);
  while (!s.done && Clock::now() < hard_deadline) {
    if (lws_service(s.ctx, 0) < 0) break;
  }
  lws_sul_cancel(&s.tick);
  lws_context_destroy(s.ctx);
  return std::move(s.result);
}

}  // namespace wsr::sim
