#include "common/stop_signal.h"

#include <libwebsockets.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <mutex>
#include <thread>

namespace wsr {
namespace {
constexpr int kMaxContexts = 16;
std::atomic<bool> g_stop{false};
std::atomic<lws_context*> g_contexts[kMaxContexts];
std::atomic<const StopWaker*> g_wakers[kMaxContexts];
// How many WakeAll() calls are running. A waker that loaded a context before
// UnregisterForStopWakeup() cleared its slot may still be writing to that context's wake pipe;
// Unregister waits for it, so the context can be destroyed afterwards.
std::atomic<int> g_waking{0};

void WakeAll() {
  g_waking.fetch_add(1);
  for (auto& slot : g_contexts) {
    lws_context* c = slot.load();
    if (c) lws_cancel_service(c);
  }
  for (auto& slot : g_wakers) {
    const StopWaker* w = slot.load();
    if (w) w->fn(w->arg);
  }
  g_waking.fetch_sub(1);
}

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// The only thread that receives SIGINT/SIGTERM: every other thread has them blocked, so the
// kernel leaves them pending until sigwait() takes them here, on an ordinary thread. No
// asynchronous handler runs anywhere (ThreadSanitizer defers those until the interrupted
// thread next enters an intercepted call: a signal that landed on the cassette writer parked
// in a condition wait was never handled, and `record` ignored SIGTERM).
void WaitForStopSignals(sigset_t set) {
  while (true) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    g_stop.store(true);
    WakeAll();
  }
}
}  // namespace

void InstallStopSignals() {
  static std::once_flag once;
  std::call_once(once, [] {
    signal(SIGPIPE, SIG_IGN);
    sigset_t set = StopSignals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::thread(WaitForStopSignals, set).detach();
  });
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
  while (g_waking.load() != 0) std::this_thread::yield();
}

void RegisterForStopWakeup(const StopWaker* waker) {
  for (auto& slot : g_wakers) {
    const StopWaker* expected = nullptr;
    if (slot.compare_exchange_strong(expected, waker)) return;
  }
}

void UnregisterForStopWakeup(const StopWaker* waker) {
  for (auto& slot : g_wakers) {
    const StopWaker* expected = waker;
    slot.compare_exchange_strong(expected, nullptr);
  }
  while (g_waking.load() != 0) std::this_thread::yield();
}

}  // namespace wsr
