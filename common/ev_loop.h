// EvLoop: an epoll-backed event loop (libev) for one libwebsockets context, and one timer on it.
//
// Why: Debian's libwebsockets 4.1 serves with poll() by default, and every lws_service() turn
// then scans every socket, in the kernel and in lws: at 3,000 connections a turn costs
// milliseconds whatever the traffic (bench/README.md). With lws's libev event-lib plugin
// (package libwebsockets-evlib-ev, LWS_SERVER_OPTION_LIBEV) on a loop we own, a turn costs
// O(ready sockets). lws_sul timers do not fire on such a loop in 4.1 when it is run one
// iteration at a time, so the owner's timer is a libev timer here.
//
// Use: Attach(&info) before lws_create_context(); RunOnce() instead of lws_service(); when
// the context cannot be created with it (plugin missing), Detach(&info) and create it again
// with poll(). Owned by the thread that runs the context; not thread-safe (lws_cancel_service()
// from another thread wakes RunOnce() as usual). Destroy the lws context before the EvLoop.
#pragma once

#include <libwebsockets.h>

#include <cstdint>
#include <functional>
#include <memory>

namespace wsr {

class EvLoop {
 public:
  EvLoop();  // throws wsr::Error when libev cannot create a loop
  ~EvLoop();
  EvLoop(const EvLoop&) = delete;
  EvLoop& operator=(const EvLoop&) = delete;

  // Makes the context use this loop (foreign loop, LWS_SERVER_OPTION_LIBEV).
  void Attach(lws_context_creation_info* info);
  // Undoes Attach (the context is then created with lws's poll() loop).
  void Detach(lws_context_creation_info* info);
  // Waits for at least one event (socket, lws_cancel_service(), timer) and handles it.
  void RunOnce();
  // One-shot timer: `fn` runs inside RunOnce() after `delay_ns` (>= 0). Re-arming replaces
  // the previous one.
  void ArmTimer(int64_t delay_ns, std::function<void()> fn);
  void CancelTimer();

  // False when WSREPLAY_EVENT_LOOP=poll asks for lws's own poll() loop (a way out, and the
  // comparison in the benchmark).
  static bool Wanted();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wsr
