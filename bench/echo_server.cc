#include "bench/echo_server.h"

#include <libwebsockets.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <deque>
#include <vector>

namespace wsr::bench {
namespace {

constexpr size_t kMaxQueued = 256;  // messages per connection before we stop reading

struct Message {
  std::vector<unsigned char> buf;  // LWS_PRE bytes, then the payload
  bool binary = false;
};

struct EchoConn {
  Message partial;
  std::deque<Message> queue;
  bool reading = true;
};

struct Pss {
  EchoConn* conn;
};

std::atomic<bool> g_stop{false};
lws_context* g_context = nullptr;

void OnSignal(int) {
  g_stop = true;
  if (g_context != nullptr) lws_cancel_service(g_context);
}

int Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* pss = static_cast<Pss*>(user);
  switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
      pss->conn = new EchoConn();
      pss->conn->partial.buf.resize(LWS_PRE);
      return 0;
    case LWS_CALLBACK_CLOSED:
      delete pss->conn;
      pss->conn = nullptr;
      return 0;
    case LWS_CALLBACK_RECEIVE: {
      EchoConn* c = pss->conn;
      if (c == nullptr) return -1;
      if (lws_is_first_fragment(wsi)) c->partial.binary = lws_frame_is_binary(wsi) != 0;
      auto* p = static_cast<unsigned char*>(in);
      c->partial.buf.insert(c->partial.buf.end(), p, p + len);
      if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
        c->queue.push_back(std::move(c->partial));
        c->partial = Message{};
        c->partial.buf.reserve(LWS_PRE + 64);
        c->partial.buf.resize(LWS_PRE);
        if (c->queue.size() >= kMaxQueued && c->reading) {
          c->reading = false;
          lws_rx_flow_control(wsi, 0);
        }
        lws_callback_on_writable(wsi);
      }
      return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE: {
      EchoConn* c = pss->conn;
      if (c == nullptr || c->queue.empty()) return 0;
      Message& m = c->queue.front();
      size_t n = m.buf.size() - LWS_PRE;
      int wrote =
          lws_write(wsi, m.buf.data() + LWS_PRE, n, m.binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
      if (wrote < static_cast<int>(n)) return -1;
      c->queue.pop_front();
      if (!c->reading && c->queue.size() < kMaxQueued / 2) {
        c->reading = true;
        lws_rx_flow_control(wsi, 1);
      }
      if (!c->queue.empty()) lws_callback_on_writable(wsi);
      return 0;
    }
    default:
      return 0;
  }
}

const lws_protocols kProtocols[] = {
    {"echo", Callback, sizeof(Pss), 65536, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

int RunEchoServer(int port) {
  lws_set_log_level(LLL_ERR, nullptr);
  lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  info.port = port;
  info.iface = "127.0.0.1";
  info.protocols = kProtocols;
  info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
  info.max_http_header_data = 4096;
  lws_context* ctx = lws_create_context(&info);
  if (ctx == nullptr) {
    fprintf(stderr, "echo: cannot create the lws context (port %d busy?)\n", port);
    return 1;
  }
  g_context = ctx;
  signal(SIGINT, OnSignal);
  signal(SIGTERM, OnSignal);
  signal(SIGPIPE, SIG_IGN);
  int real_port = lws_get_vhost_listen_port(lws_get_vhost_by_name(ctx, "default"));
  printf("listening on ws://127.0.0.1:%d\n", real_port);
  fflush(stdout);
  while (!g_stop && lws_service(ctx, 0) >= 0) {
  }
  g_context = nullptr;
  lws_context_destroy(ctx);
  return 0;
}

}  // namespace wsr::bench
