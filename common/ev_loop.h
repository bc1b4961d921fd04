// EvLoop: an epoll loop (libev) for an lws context (replay, sim) or for own sockets (record).
//
// Why: Debian's libwebsockets 4.1 serves with poll() by default, and every lws_service() turn
// then scans every socket, in the kernel and in lws: at 3,000 connections a turn costs
// milliseconds whatever the traffic (bench/README.md). With lws's libev event-lib plugin
// (package libwebsockets-evlib-ev, LWS_SERVER_OPTION_LIBEV) on a loop we own, a turn costs
// O(ready sockets). lws 4.1's plugin arms its lws_sul timer (which also drives lws's own
// timeouts, e.g. lws_set_timeout) only after socket activity: a timer scheduled outside a
// socket callback may never fire. So the owner's timers live on this loop (ArmTimer on a
// timerfd, EvLoop::Timer for one libev timer per object), and whoever calls into lws from such a
// timer callback pokes lws with lws_cancel_service() afterwards.
//
// Use with lws: Attach(&info) before lws_create_context(); RunOnce() instead of lws_service(); when
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
  // One-shot timer: `fn` runs inside RunOnce() after `delay_ns` (>= 0), to the microsecond
  // (a timerfd, where libev's timers wake up to a millisecond late). Re-arming replaces the
  // previous one; CancelTimer() makes sure it does not run.
  void ArmTimer(int64_t delay_ns, std::function<void()> fn);
  void CancelTimer();

  // One one-shot timer of its owner (e.g. one per connection) on an EvLoop: `fn(arg)` runs
  // inside RunOnce() once the delay has passed. Arming and cancelling do not allocate.
  // Destroy it before the loop; destroying it cancels it. Same thread as the loop.
  class Timer {
   public:
    Timer(EvLoop* loop, void (*fn)(void* arg), void* arg);
    ~Timer();
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;
    // Replaces any earlier arming; the delay (clamped at 0) counts from now.
    void Arm(int64_t delay_ns);
    void Cancel();

   private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };

  // One socket watcher of its owner on an EvLoop (e.g. one per socket): `fn(arg, events)` runs
  // inside RunOnce() while the descriptor is ready for what Watch() asked (level-triggered;
  // events: kReadable | kWritable). Does not own the descriptor. Destroy it (or Stop) before
  // the descriptor is closed and before the loop. Same thread as the loop.
  static constexpr int kReadable = 1;  // EV_READ
  static constexpr int kWritable = 2;  // EV_WRITE
  class Io {
   public:
    Io(EvLoop* loop, void (*fn)(void* arg, int events), void* arg);
    ~Io();
    Io(const Io&) = delete;
    Io& operator=(const Io&) = delete;
    // Watches `fd` for `events` (0: not at all); cheap when nothing changes.
    void Watch(int fd, int events);
    void Stop() { Watch(-1, 0); }

   private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };

  // Wakes the loop from any thread: Send() is thread-safe and async-signal-safe; `fn(arg)` then
  // runs inside RunOnce() on the loop's thread (several Sends may be merged into one call).
  // Construct and destroy on the loop's thread, before the loop is destroyed.
  class Async {
   public:
    Async(EvLoop* loop, void (*fn)(void* arg), void* arg);
    ~Async();
    Async(const Async&) = delete;
    Async& operator=(const Async&) = delete;
    void Send();

   private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };

  // False when WSREPLAY_EVENT_LOOP=poll asks for lws's own poll() loop (a way out, and the
  // comparison in the benchmark).
  static bool Wanted();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Creates the lws context `info` describes on a new EvLoop (stored in *ev) unless Wanted() says
// no; when lws cannot use the loop (its libev plugin is missing), on lws's poll() loop instead
// (*ev null) with one warning naming `who` ("record", "sim", ...). Returns null, *ev null, when
// the context cannot be created at all.
lws_context* CreateContextOnEvLoop(lws_context_creation_info* info, std::unique_ptr<EvLoop>* ev,
                                   const char* who);

// LoopTimer: one one-shot timer of an object (e.g. one per connection) on whichever loop its
// lws context runs on: an EvLoop::Timer when `ev` is set, else an lws_sul timer of `context`
// (lws's poll() loop, where lws_sul timers fire). `fn(arg)` runs on the loop's thread.
// Arming does not allocate. Not movable (lws keeps a pointer to it while armed); destroying it
// cancels it; destroy it before the loop, and cancel it before the lws context is destroyed.
class LoopTimer {
 public:
  LoopTimer(EvLoop* ev, lws_context* context, void (*fn)(void* arg), void* arg);
  ~LoopTimer();
  LoopTimer(const LoopTimer&) = delete;
  LoopTimer& operator=(const LoopTimer&) = delete;
  void Arm(int64_t delay_ns);  // replaces any earlier arming; clamped at 0
  void Cancel();

 private:
  static void OnSul(lws_sorted_usec_list_t* sul);
  struct Sul {
    lws_sorted_usec_list_t sul;  // first member: OnSul casts back
    LoopTimer* self;
  } sul_{};
  lws_context* context_;
  void (*fn_)(void*);
  void* arg_;
  std::unique_ptr<EvLoop::Timer> ev_timer_;
};

}  // namespace wsr
