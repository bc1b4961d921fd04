// SIGINT/SIGTERM handling for the long-running commands (record, sim, replay).
//
// InstallStopSignals() installs handlers that set a process-wide flag and wake every
// registered libwebsockets context with lws_cancel_service() (which only writes to a pipe,
// so it is safe in a signal handler). Service loops check StopRequested() after each
// lws_service() call. Thread-safe; contexts must be unregistered before they are destroyed:
// UnregisterForStopWakeup() returns only once no waker can still touch the context.
#pragma once

struct lws_context;

namespace wsr {

void InstallStopSignals();
bool StopRequested();
void RequestStop();  // as if a signal arrived (tests, in-process servers)
void ResetStopRequest();
void RegisterForStopWakeup(lws_context* ctx);
void UnregisterForStopWakeup(lws_context* ctx);

}  // namespace wsr
