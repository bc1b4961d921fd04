#include "bench/load_client.h"

#include <libwebsockets.h>

#include <chrono>
#include <cstring>
#include <memory>

#include "common/url.h"

namespace wsr::bench {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

namespace {

struct Conn {
  int index = 0;
  lws* wsi = nullptr;
  bool established = false;
  bool finished = false;  // closed, failed, or got all its messages
  int credits = 0;
  uint64_t received = 0;
  uint64_t sent = 0;
  int64_t sent_at_ns = 0;
};

struct Runner;
// A wake-up timer; standard layout so lws_container_of() is well-defined.
struct Tick {
  lws_sorted_usec_list_t sul;
  lws_context* ctx;
};

struct Runner {
  const LoadPlan& plan;
  LoadResult result;
  std::vector<std::unique_ptr<Conn>> conns;
  std::vector<unsigned char> pristine;  // the payload
  std::vector<unsigned char> sendbuf;   // LWS_PRE + payload; lws masks it in place
  int64_t window_start_ns = 0;          // 0 until the first connection is up
  int64_t window_end_ns = 0;            // 0: open-ended
  int64_t last_message_ns = 0;
  bool stopping = false;
  Tick tick{};
  lws_context* ctx = nullptr;

  explicit Runner(const LoadPlan& p) : plan(p) {}

  bool InWindow(int64_t now) const {
    return window_start_ns != 0 && now >= window_start_ns &&
           (window_end_ns == 0 || now < window_end_ns);
  }

  void OnEstablished(Conn* c) {
    c->established = true;
    result.established++;
    if (window_start_ns == 0) {
      int64_t now = NowNs();
      result.established_ns = now;
      window_start_ns = now + static_cast<int64_t>(plan.warmup_seconds * 1e9);
      if (plan.seconds > 0)
        window_end_ns = window_start_ns + static_cast<int64_t>(plan.seconds * 1e9);
    }
    if (plan.message_size > 0) {
      c->credits = plan.in_flight;
      lws_callback_on_writable(c->wsi);
    }
  }

  int OnWriteable(Conn* c) {
    if (stopping || c->finished || c->credits <= 0 || plan.message_size == 0) return 0;
    if (plan.stop_after_messages != 0 && c->sent >= plan.stop_after_messages) return 0;
    memcpy(sendbuf.data() + LWS_PRE, pristine.data(), pristine.size());
    c->sent_at_ns = NowNs();
    int n = lws_write(c->wsi, sendbuf.data() + LWS_PRE, pristine.size(),
                      plan.binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
    if (n < static_cast<int>(pristine.size())) return -1;
    c->sent++;
    if (--c->credits > 0) lws_callback_on_writable(c->wsi);
    return 0;
  }

  void OnReceive(Conn* c, lws* wsi, size_t len) {
    int64_t now = NowNs();
    bool counted = InWindow(now);
    if (counted) result.bytes += len;
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) != 0) return;
    c->received++;
    if (counted) {
      result.messages++;
      last_message_ns = now;
      if (plan.record_rtt) result.rtt_us.push_back(static_cast<double>(now - c->sent_at_ns) / 1e3);
    }
    if (plan.record_arrivals && c->index == 0) result.arrivals_ns.push_back(now);
    if (plan.on_message) plan.on_message(result.bytes);
    if (plan.stop_after_messages != 0 && c->received >= plan.stop_after_messages) {
      c->finished = true;
      return;
    }
    if (plan.message_size > 0 && !stopping) {
      c->credits++;
      lws_callback_on_writable(wsi);
    }
  }

  static int Callback(lws* wsi, lws_callback_reasons reason, void*, void* in, size_t len) {
    auto* self = static_cast<Runner*>(lws_context_user(lws_get_context(wsi)));
    auto* c = static_cast<Conn*>(lws_get_opaque_user_data(wsi));
    if (self == nullptr || c == nullptr) return 0;
    switch (reason) {
      case LWS_CALLBACK_CLIENT_ESTABLISHED:
        self->OnEstablished(c);
        return 0;
      case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (self->result.error.empty()) {
          self->result.error = in != nullptr
                                   ? std::string(static_cast<const char*>(in),
                                                 strnlen(static_cast<const char*>(in), 256))
                                   : "connection error";
          if (self->result.error.empty()) self->result.error = "connection error";
        }
        c->finished = true;
        c->wsi = nullptr;
        return 0;
      case LWS_CALLBACK_CLIENT_WRITEABLE:
        return self->OnWriteable(c);
      case LWS_CALLBACK_CLIENT_RECEIVE:
        self->OnReceive(c, wsi, len);
        return 0;
      case LWS_CALLBACK_CLIENT_CLOSED:
        c->finished = true;
        c->wsi = nullptr;
        return 0;
      default:
        return 0;
    }
  }

  static void OnTick(lws_sorted_usec_list_t* sul) {
    // Only there to wake lws_service() regularly so deadlines are checked.
    auto* t = lws_container_of(sul, Tick, sul);
    lws_sul_schedule(t->ctx, 0, &t->sul, OnTick, 20 * LWS_US_PER_MS);
  }

  bool AllFinished() const {
    for (auto& c : conns)
      if (!c->finished) return false;
    return true;
  }

  void Run() {
    WsUrl url;
    try {
      url = ParseWsUrl(plan.url);
    } catch (const std::exception& e) {
      result.error = e.what();
      return;
    }
    std::string path = url.path.empty() ? "/" : url.path;
    std::string host_header = url.host + ":" + std::to_string(url.port);
    pristine.assign(plan.message_size, plan.binary ? 0xa5 : 'x');
    sendbuf.assign(LWS_PRE + plan.message_size, 0);

    static const lws_protocols protocols[] = {
        {"bench-client", Callback, 0, 65536, 0, nullptr, 0},
        {nullptr, nullptr, 0, 0, 0, nullptr, 0},
    };
    lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.user = this;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    ctx = lws_create_context(&info);
    if (ctx == nullptr) {
      result.error = "cannot create the client lws context";
      return;
    }
    tick.ctx = ctx;
    lws_sul_schedule(ctx, 0, &tick.sul, OnTick, 20 * LWS_US_PER_MS);

    for (int i = 0; i < plan.connections; i++) {
      auto c = std::make_unique<Conn>();
      c->index = i;
      lws_client_connect_info ci;
      memset(&ci, 0, sizeof ci);
      ci.context = ctx;
      ci.address = url.host.c_str();
      ci.port = url.port;
      ci.path = path.c_str();
      ci.host = host_header.c_str();
      ci.local_protocol_name = "bench-client";
      ci.opaque_user_data = c.get();
      ci.pwsi = &c->wsi;
      Conn* raw = c.get();
      conns.push_back(std::move(c));
      if (lws_client_connect_via_info(&ci) == nullptr) {
        raw->finished = true;
        if (result.error.empty()) result.error = "connect failed";
      }
    }

    int64_t hard_deadline = NowNs() + static_cast<int64_t>(plan.timeout_seconds * 1e9);
    while (true) {
      int64_t now = NowNs();
      if (window_end_ns != 0 && now >= window_end_ns) break;
      if (AllFinished()) break;
      if (now >= hard_deadline) {
        result.timed_out = true;
        break;
      }
      if (lws_service(ctx, 0) < 0) break;
    }
    stopping = true;
    int64_t end = window_end_ns != 0 ? window_end_ns : last_message_ns;
    if (window_start_ns != 0 && end > window_start_ns) {
      result.window_seconds = static_cast<double>(end - window_start_ns) / 1e9;
    }
    lws_sul_cancel(&tick.sul);
    lws_context_destroy(ctx);
    ctx = nullptr;
  }
};

}  // namespace

LoadResult RunLoad(const LoadPlan& plan) {
  Runner runner(plan);
  runner.Run();
  return std::move(runner.result);
}

}  // namespace wsr::bench
