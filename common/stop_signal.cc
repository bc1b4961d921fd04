#include "common/stop_signal.h"

#include <libwebsockets.h>
#include <signal.h>

#include <atomic>
#include <thread>

namespace wsr {
namespace {
constexpr int kMaxContexts = 16;
std::atomic<bool> g_stop{false};
std::atomic<lws_context*> g_contexts[kMaxContexts];
// How many WakeAll() calls are running (a signal handler's included). A waker that loaded a
// context before UnregisterForStopWakeup() cleared its slot may still be writing to that
// context's wake pipe; Unregister waits for it, so the context can be destroyed afterwards.
std::atomic<int> g_waking{0};
static_assert(std::atomic<int>::is_always_lock_free, "used from a signal handler");
static_assert(std::atomic<lws_context*>::is_always_lock_free, "used from a signal handler");

void WakeAll() {
  g_waking.fetch_add(1);
  for (auto& slot : g_contexts) {
    lws_context* c = slot.load();
    if (c) lws_cancel_service(c);
  }
  g_waking.fetch_sub(1);
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
  // Never called from a signal handler, so a handler that interrupts this loop on the same
  // thread finishes before the loop looks again.
  while (g_waking.load() != 0) std::this_thread::yield();
}

}  // namespace wsr
