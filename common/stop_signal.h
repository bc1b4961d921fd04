// SIGINT/SIGTERM handling for the long-running commands (record, sim, replay, demo).
//
// InstallStopSignals() blocks SIGINT and SIGTERM in the calling thread, and so in every thread
// it creates afterwards, and starts one detached thread that takes them with sigwait(): it
// sets a process-wide flag and wakes every registered libwebsockets context with
// lws_cancel_service() and calls every registered StopWaker (a loop of our own, e.g. record's:
// an EvLoop::Async::Send). Call it first, before the command creates any thread (a thread created
// earlier could still take the signal and die of it). Service loops check StopRequested() after
// each lws_service() call. A child exec'd after it would inherit the blocked mask (none is:
// `auto` execs `record` before, `exec` never installs them).
//
// Thread-safe; contexts must be unregistered before they are destroyed:
// UnregisterForStopWakeup() returns only once no waker can still touch the context.
#pragma once

struct lws_context;

namespace wsr {

void InstallStopSignals();  // once per process; later calls do nothing
bool StopRequested();
void RequestStop();  // as if a signal arrived (tests, in-process servers)
void ResetStopRequest();
void RegisterForStopWakeup(lws_context* ctx);
void UnregisterForStopWakeup(lws_context* ctx);

// A wake-up for a loop that is not an lws context: `fn(arg)` is called from the signal thread
// (or RequestStop's caller), so it must be thread-safe. The caller owns it and keeps it alive
// until UnregisterForStopWakeup(waker) returned.
struct StopWaker {
  void (*fn)(void* arg);
  void* arg;
};
void RegisterForStopWakeup(const StopWaker* waker);
void UnregisterForStopWakeup(const StopWaker* waker);

}  // namespace wsr
