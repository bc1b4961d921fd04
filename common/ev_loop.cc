#include "common/ev_loop.h"

#include <ev.h>

#include <cstdlib>
#include <cstring>

#include "common/error.h"

namespace wsr {

struct EvLoop::Impl {
  struct ev_loop* loop = nullptr;
  void* foreign[1] = {nullptr};
  ev_timer timer;
  std::function<void()> fn;

  static void OnTimer(struct ev_loop*, ev_timer* w, int) {
    auto* self = static_cast<Impl*>(w->data);
    auto fn = self->fn;  // fn may re-arm (and replace self->fn) while it runs
    if (fn) fn();
  }
};

EvLoop::EvLoop() : impl_(std::make_unique<Impl>()) {
  impl_->loop = ev_loop_new(EVFLAG_AUTO);
  if (!impl_->loop) throw Error("cannot create an event loop (libev ev_loop_new failed)");
  impl_->foreign[0] = impl_->loop;
  ev_timer_init(&impl_->timer, &Impl::OnTimer, 0., 0.);
  impl_->timer.data = impl_.get();
}

EvLoop::~EvLoop() {
  ev_timer_stop(impl_->loop, &impl_->timer);
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
  ev_timer_stop(impl_->loop, &impl_->timer);
  impl_->fn = std::move(fn);
  ev_now_update(impl_->loop);  // the delay counts from now, not from the turn's start
  ev_timer_set(&impl_->timer, static_cast<double>(delay_ns < 0 ? 0 : delay_ns) / 1e9, 0.);
  ev_timer_start(impl_->loop, &impl_->timer);
}

void EvLoop::CancelTimer() { ev_timer_stop(impl_->loop, &impl_->timer); }

bool EvLoop::Wanted() {
  const char* v = std::getenv("WSREPLAY_EVENT_LOOP");
  return !(v && std::strcmp(v, "poll") == 0);
}

}  // namespace wsr
