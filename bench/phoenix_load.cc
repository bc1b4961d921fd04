#include "bench/phoenix_load.h"

#include <signal.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#include <nlohmann/json.hpp>

#include "bench/epoll_ws.h"

namespace wsr::bench {
namespace {

constexpr const char* kRoomTopic = "chat_room:5f0c9a3e-2d71-4b8e-a6c4-81e9f2d03b7a";
constexpr const char* kTasksTopic = "tasks:0b8e5a92-61d4-4c3e-8f7a-9e2c1d4b6a58";

int64_t MonoNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// ------------------------------------------------------------------ upstream

volatile sig_atomic_t g_upstream_stop = 0;
void OnUpstreamSignal(int) { g_upstream_stop = 1; }

struct UpConn {
  int index = 0;
  std::string join_ref[2], topic[2];
  int joined = 0;
  int pushes_sent = 0;
  int64_t next_push_ns = 0;
};

class Upstream : public WsHandler {
 public:
  explicit Upstream(const UpstreamConfig& c) : config_(c), ws_(this) {}

  int Run() {
    int port = ws_.Listen(config_.port);
    printf("listening on ws://127.0.0.1:%d\n", port);
    fflush(stdout);
    int64_t last_scan = 0;
    while (!g_upstream_stop) {
      ws_.RunOnce(5);
      int64_t now = MonoNs();
      if (now - last_scan >= 5'000'000) {
        last_scan = now;
        Push(now);
      }
    }
    printf("stats sent=%llu received=%llu connections=%llu\n",
           static_cast<unsigned long long>(sent_), static_cast<unsigned long long>(received_),
           static_cast<unsigned long long>(accepted_));
    fflush(stdout);
    return 0;
  }

  void OnOpen(WsSocket* s) override {
    auto* c = new UpConn;
    c->index = static_cast<int>(accepted_++);
    s->user = c;
    conns_.insert(s);
  }

  void OnText(WsSocket* s, std::string_view payload) override {
    received_++;
    auto* c = static_cast<UpConn*>(s->user);
    nlohmann::json f = nlohmann::json::parse(payload, nullptr, false);
    if (!f.is_array() || f.size() != 5 || !f[2].is_string() || !f[3].is_string()) return;
    const std::string topic = f[2].get<std::string>(), event = f[3].get<std::string>();
    if (event == "heartbeat" || event == "phx_join") {
      Send(s, "[" + f[0].dump() + "," + f[1].dump() + "," + f[2].dump() +
                  ",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]");
    }
    if (event == "phx_join" && c->joined < 2) {
      c->join_ref[c->joined] = f[0].dump();
      c->topic[c->joined] = topic;
      if (++c->joined == 2) c->next_push_ns = MonoNs() + config_.push_interval_ms * 1'000'000LL;
    }
  }

  void OnClosed(WsSocket* s, bool, const std::string&) override {
    conns_.erase(s);
    delete static_cast<UpConn*>(s->user);
    s->user = nullptr;
  }

 private:
  void Send(WsSocket* s, const std::string& frame) {
    sent_++;
    ws_.SendText(s, frame);
  }

  void Push(int64_t now) {
    for (WsSocket* s : conns_) {
      auto* c = static_cast<UpConn*>(s->user);
      if (c == nullptr || c->joined < 2 || c->pushes_sent >= config_.pushes) continue;
      if (now < c->next_push_ns) continue;
      int k = c->pushes_sent++;
      c->next_push_ns += config_.push_interval_ms * 1'000'000LL;
      int t = k % 2;
      bool room = c->topic[t].rfind("chat_room:", 0) == 0;
      char body[512];
      snprintf(body, sizeof body,
               "{\"id\":\"msg-%d-%d\",\"sender_id\":\"0b8e5a92-61d4-4c3e-8f7a-9e2c1d4b6a58\","
               "\"sender_type\":\"User\",\"message_type\":\"text\",\"content\":\"scale push %d "
               "of connection %d\",\"metadata\":{\"mentions\":[]},\"inserted_at\":\"2026-01-01T00:"
               "00:00Z\",\"seq\":%d,\"sent_ns\":%lld}",
               c->index, k, k, c->index, k, static_cast<long long>(MonoNs()));
      Send(s, "[" + c->join_ref[t] + ",null,\"" + c->topic[t] + "\",\"" +
                  (room ? "message_created" : "task_updated") + "\"," + body + "]");
    }
  }

  UpstreamConfig config_;
  EpollWs ws_;
  std::unordered_set<WsSocket*> conns_;
  uint64_t sent_ = 0, received_ = 0, accepted_ = 0;
};

// ------------------------------------------------------------------ fleet

struct Client {
  WsSocket* s = nullptr;
  bool open = false, done = false;
  int64_t opened_ns = 0, next_heartbeat_ns = 0;
  int next_ref = 3;
  uint64_t replies_expected = 0, replies = 0;
  int pushes = 0;
};

class Fleet : public WsHandler {
 public:
  explicit Fleet(const FleetPlan& p) : plan_(p), ws_(this) {}

  FleetResult Run() {
    clients_.resize(static_cast<size_t>(plan_.connections));
    const int64_t start = MonoNs();
    const int64_t hard_deadline = start + static_cast<int64_t>(plan_.timeout_s * 1e9);
    int64_t last_scan = 0, next_progress = start + static_cast<int64_t>(plan_.progress_s * 1e9);
    const int64_t lifetime = static_cast<int64_t>(plan_.lifetime_s * 1e9);
    const int64_t grace = static_cast<int64_t>(plan_.grace_s * 1e9);
    const int64_t heartbeat = static_cast<int64_t>(plan_.heartbeat_s * 1e9);
    while (finished_ < plan_.connections) {
      while (next_ < plan_.connections && pending_ < plan_.max_pending) StartNext();
      ws_.RunOnce(5);
      int64_t now = MonoNs();
      if (now >= hard_deadline) {
        r_.timed_out = true;
        break;
      }
      if (now - last_scan >= 10'000'000) {
        last_scan = now;
        const bool ramp_done = next_ == plan_.connections && pending_ == 0;
        for (Client& c : clients_) {
          if (!c.open || c.done) continue;
          if (now >= c.next_heartbeat_ns) {
            std::string ref = std::to_string(c.next_ref++);
            Send(c, "[null,\"" + ref + "\",\"phoenix\",\"heartbeat\",{}]");
            r_.heartbeats_sent++;
            c.replies_expected++;
            c.next_heartbeat_ns += heartbeat;
          }
          bool complete = c.replies >= c.replies_expected && c.pushes >= plan_.pushes_expected;
          // Every connection stays until the last one opened: all of them are open at once.
          if (now >= c.opened_ns + lifetime && ramp_done &&
              (complete || now >= c.opened_ns + lifetime + grace)) {
            if (!complete) r_.incomplete++;
            c.done = true;
            ws_.Close(c.s, 1000);
          }
        }
      }
      if (plan_.on_progress && now >= next_progress) {
        next_progress += static_cast<int64_t>(plan_.progress_s * 1e9);
        FleetProgress p;
        p.elapsed_s = static_cast<double>(now - start) / 1e9;
        p.established = r_.established;
        p.open = open_;
        p.failed = r_.failed;
        p.pushes = r_.pushes;
        plan_.on_progress(p);
      }
    }
    r_.total_s = static_cast<double>(MonoNs() - start) / 1e9;
    if (last_open_ns_ > 0) r_.ramp_s = static_cast<double>(last_open_ns_ - start) / 1e9;
    return std::move(r_);
  }

  void OnOpen(WsSocket* s) override {
    Client& c = *static_cast<Client*>(s->user);
    pending_--;
    open_++;
    r_.peak_open = std::max(r_.peak_open, open_);
    r_.established++;
    c.open = true;
    c.opened_ns = last_open_ns_ = MonoNs();
    c.next_heartbeat_ns = c.opened_ns + static_cast<int64_t>(plan_.heartbeat_s * 1e9);
    Send(c, std::string("[\"1\",\"1\",\"") + kRoomTopic + "\",\"phx_join\",{}]");
    Send(c, std::string("[\"2\",\"2\",\"") + kTasksTopic + "\",\"phx_join\",{}]");
    r_.joins_sent += 2;
    c.replies_expected += 2;
  }

  void OnText(WsSocket* s, std::string_view f) override {
    Client& c = *static_cast<Client*>(s->user);
    r_.text_received++;
    std::string_view head = f.substr(0, 96);
    if (head.find("\"phx_reply\"") != std::string_view::npos) {
      c.replies++;
      bool ok = f.find("\"status\":\"ok\"") != std::string_view::npos;
      if (head.find("\"phoenix\"") != std::string_view::npos) {
        r_.heartbeat_replies++;
      } else {
        (ok ? r_.join_ok : r_.join_error)++;
      }
    } else if (head.find(",null,") != std::string_view::npos) {
      c.pushes++;
      r_.pushes++;
      if (plan_.push_latency) {
        size_t at = f.find("\"sent_ns\":");
        if (at != std::string_view::npos) {
          long long sent = std::atoll(std::string(f.substr(at + 10, 24)).c_str());
          r_.push_latency_ms.push_back(static_cast<double>(MonoNs() - sent) / 1e6);
        }
      }
    } else {
      r_.unexpected++;
    }
  }

  void OnClosed(WsSocket* s, bool clean, const std::string& why) override {
    Client& c = *static_cast<Client*>(s->user);
    finished_++;
    if (!c.open) {
      pending_--;
      r_.failed++;
      if (r_.first_error.empty()) r_.first_error = why;
      return;
    }
    open_--;
    c.open = false;
    if (clean && c.done) {
      r_.closed_clean++;
    } else {
      r_.closed_unclean++;
      if (r_.first_close_error.empty())
        r_.first_close_error = why.empty() ? "closed before the client closed" : why;
    }
    c.s = nullptr;
  }

 private:
  void StartNext() {
    Client& c = clients_[static_cast<size_t>(next_++)];
    std::string why;
    c.s = ws_.Connect(plan_.port, plan_.target, &why);
    if (c.s == nullptr) {
      finished_++;
      r_.failed++;
      if (r_.first_error.empty()) r_.first_error = why;
      return;
    }
    c.s->user = &c;
    pending_++;
  }

  void Send(Client& c, const std::string& frame) {
    r_.text_sent++;
    ws_.SendText(c.s, frame);
  }

  const FleetPlan& plan_;
  EpollWs ws_;
  std::vector<Client> clients_;
  FleetResult r_;
  int next_ = 0, pending_ = 0, open_ = 0, finished_ = 0;
  int64_t last_open_ns_ = 0;
};

}  // namespace

int RunPhoenixUpstream(const UpstreamConfig& config) {
  signal(SIGINT, OnUpstreamSignal);
  signal(SIGTERM, OnUpstreamSignal);
  signal(SIGPIPE, SIG_IGN);
  try {
    return Upstream(config).Run();
  } catch (const std::exception& e) {
    fprintf(stderr, "phoenix upstream: %s\n", e.what());
    return 1;
  }
}

FleetResult RunPhoenixFleet(const FleetPlan& plan) { return Fleet(plan).Run(); }

}  // namespace wsr::bench
