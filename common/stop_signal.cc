#include "common/stop_signal.h"

#include <libwebsockets.h>
#include <signal.h>

#include <atomic>

namespace wsr {
namespace {
constexpr int kMaxContexts = 16;
std::atomic<bool> g_stop{false};
std::atomic<lws_context*> g_contexts[kMaxContexts];

void WakeAll() {
  for (auto& slot : g_contexts) {
    lws_context* c = slot.load();
    if (c) lws_cancel_service(c);
  }
}

void OnSignal(int) {
  g_stop.store(true);
  WakeAll();
}
}  // namespace

void InstallStopSignals() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

bool StopRequested() { return g_stop.load(); }

void RequestStop() {
  g_stop.store(true);
  WakeAll();
}

void ResetStopRequest() { g_stop.store(false); }

void RegisterForStopWakeup(lws_context* ctx) {
  for (auto& slot : g_contexts) {
    lws_context* expected = nullptr;
    if (slot.compare_exchange_strong(expected, ctx)) return;
  }
}

void UnregisterForStopWakeup(lws_context* ctx) {
  for (auto& slot : g_contexts) {
    lws_context* expected = ctx;
    slot.compare_exchange_strong(expected, nullptr);
  }
}

}  // namespace wsr
