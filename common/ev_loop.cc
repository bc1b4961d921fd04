#include "common/ev_loop.h"

#include <ev.h>

#include <cstdlib>
#include <cstring>

#include "common/error.h"
#include "common/log.h"

namespace wsr {

struct EvLoop::Impl {
  struct ev_loop* loop = nullptr;
  void* foreign[1] = {nullptr};
  std::unique_ptr<Timer> timer;  // ArmTimer's: an EvLoop::Timer calling `fn`
  std::function<void()> fn;

  static void OnTimer(void* arg) {
    auto* self = static_cast<Impl*>(arg);
    auto fn = self->fn;  // fn may re-arm (and replace self->fn) while it runs
    if (fn) fn();
  }
};

EvLoop::EvLoop() : impl_(std::make_unique<Impl>()) {
  impl_->loop = ev_loop_new(EVFLAG_AUTO);
  if (!impl_->loop) throw Error("cannot create an event loop (libev ev_loop_new failed)");
  impl_->foreign[0] = impl_->loop;
  impl_->timer = std::make_unique<Timer>(this, &Impl::OnTimer, impl_.get());
}

EvLoop::~EvLoop() {
  impl_->timer.reset();  // stops it, on the loop that is still there
  ev_loop_destroy(impl_->loop);
}

void EvLoop::Attach(lws_context_creation_info* info) {
  info->foreign_loops = impl_->foreign;
  info->options |= LWS_SERVER_OPTION_LIBEV;
}

void EvLoop::Detach(lws_context_creation_info* info) {
  info->foreign_loops = nullptr;
  info->options &= ~static_cast<uint64_t>(LWS_SERVER_OPTION_LIBEV);
}

void EvLoop::RunOnce() { ev_run(impl_->loop, EVRUN_ONCE); }

void EvLoop::ArmTimer(int64_t delay_ns, std::function<void()> fn) {
  impl_->timer->Cancel();
  impl_->fn = std::move(fn);
  impl_->timer->Arm(delay_ns);
}

void EvLoop::CancelTimer() { impl_->timer->Cancel(); }

struct EvLoop::Timer::Impl {
  struct ev_loop* loop;
  ev_timer timer;
  void (*fn)(void*);
  void* arg;

  static void OnTimer(struct ev_loop*, ev_timer* w, int) {
    auto* self = static_cast<Impl*>(w->data);
    self->fn(self->arg);
  }
};

EvLoop::Timer::Timer(EvLoop* loop, void (*fn)(void* arg), void* arg)
    : impl_(std::make_unique<Impl>()) {
  impl_->loop = loop->impl_->loop;
  impl_->fn = fn;
  impl_->arg = arg;
  ev_timer_init(&impl_->timer, &Impl::OnTimer, 0., 0.);
  impl_->timer.data = impl_.get();
}

EvLoop::Timer::~Timer() { ev_timer_stop(impl_->loop, &impl_->timer); }

void EvLoop::Timer::Arm(int64_t delay_ns) {
  ev_timer_stop(impl_->loop, &impl_->timer);
  ev_now_update(impl_->loop);  // the delay counts from now, not from the turn's start
  ev_timer_set(&impl_->timer, static_cast<double>(delay_ns < 0 ? 0 : delay_ns) / 1e9, 0.);
  ev_timer_start(impl_->loop, &impl_->timer);
}

void EvLoop::Timer::Cancel() { ev_timer_stop(impl_->loop, &impl_->timer); }

LoopTimer::LoopTimer(EvLoop* ev, lws_context* context, void (*fn)(void* arg), void* arg)
    : context_(context), fn_(fn), arg_(arg) {
  sul_.self = this;
  if (ev) ev_timer_ = std::make_unique<EvLoop::Timer>(ev, fn, arg);
}

LoopTimer::~LoopTimer() { Cancel(); }

void LoopTimer::Arm(int64_t delay_ns) {
  if (ev_timer_) {
    ev_timer_->Arm(delay_ns);
  } else {
    lws_sul_schedule(context_, 0, &sul_.sul, &LoopTimer::OnSul,
                     static_cast<lws_usec_t>(delay_ns < 0 ? 0 : delay_ns / 1000));
  }
}

void LoopTimer::Cancel() {
  if (ev_timer_) {
    ev_timer_->Cancel();
  } else {
    lws_sul_cancel(&sul_.sul);
  }
}

void LoopTimer::OnSul(lws_sorted_usec_list_t* sul) {
  auto* s = reinterpret_cast<Sul*>(sul);
  s->self->fn_(s->self->arg_);
}

lws_context* CreateContextOnEvLoop(lws_context_creation_info* info, std::unique_ptr<EvLoop>* ev,
                                   const char* who) {
  ev->reset();
  if (EvLoop::Wanted()) {
    *ev = std::make_unique<EvLoop>();
    (*ev)->Attach(info);
  }
  lws_context* context = lws_create_context(info);
  if (!context && *ev) {
    // Without lws's libev plugin the context cannot be created on our loop: try poll().
    (*ev)->Detach(info);
    ev->reset();
    context = lws_create_context(info);
    if (context) {
      log::Warn(std::string(who) +
                ": serving with poll() (libwebsockets' libev plugin did not load: apt-get "
                "install libwebsockets-evlib-ev); fine for a few hundred connections");
    }
  }
  return context;
}

bool EvLoop::Wanted() {
  const char* v = std::getenv("WSREPLAY_EVENT_LOOP");
  return !(v && std::strcmp(v, "poll") == 0);
}

}  // namespace wsr
