#include "common/ev_loop.h"

#include <ev.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "common/error.h"
#include "common/log.h"

namespace wsr {

namespace {

int64_t MonotonicNowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

struct EvLoop::Impl {
  struct ev_loop* loop = nullptr;
  void* foreign[1] = {nullptr};
  std::function<void()> fn;  // ArmTimer's callback
  // ArmTimer's timer: a timerfd (absolute CLOCK_MONOTONIC expiry, nanosecond resolution) read
  // through an Io watcher; libev's own timers wake through epoll_wait()'s millisecond timeout.
  // Cancelling is lazy (`armed` false): a stale expiry wakes the loop once and fires nothing.
  int tfd = -1;                // -1: not created yet; -2: timerfd_create failed
  std::unique_ptr<Io> tfd_io;  // watches tfd for its expiries
  bool armed = false;
  int64_t set_at = -1;  // the absolute expiry the timerfd holds now, -1 when none
  // A libev timer calling `fn`: for delays <= 0 (the next turn, no system call to arm it) and
  // for every delay when no timerfd could be created.
  std::unique_ptr<Timer> soon;

  static void Fire(Impl* self) {
    auto fn = self->fn;  // fn may re-arm (and replace self->fn) while it runs
    if (fn) fn();
  }
  static void OnSoon(void* arg) { Fire(static_cast<Impl*>(arg)); }
  static void OnTimerFd(void* arg, int /*events*/) {
    auto* self = static_cast<Impl*>(arg);
    uint64_t expirations = 0;
    // Nothing to read: the timer was re-armed after the kernel signalled the old expiry.
    if (read(self->tfd, &expirations, sizeof expirations) != sizeof expirations) return;
    self->set_at = -1;
    if (!self->armed) return;  // cancelled, or replaced by an arming that fired already
    self->armed = false;
    Fire(self);
  }
};

EvLoop::EvLoop() : impl_(std::make_unique<Impl>()) {
  impl_->loop = ev_loop_new(EVFLAG_AUTO);
  if (!impl_->loop) throw Error("cannot create an event loop (libev ev_loop_new failed)");
  impl_->foreign[0] = impl_->loop;
  impl_->soon = std::make_unique<Timer>(this, &Impl::OnSoon, impl_.get());
}

EvLoop::~EvLoop() {
  impl_->soon.reset();  // stops them, on the loop that is still there
  impl_->tfd_io.reset();
  if (impl_->tfd >= 0) close(impl_->tfd);
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
  Impl& m = *impl_;
  m.soon->Cancel();
  m.armed = false;
  if (m.tfd == -1 && delay_ns > 0) {
    // Created on first use: a loop that never arms a delayed timer holds no extra descriptor.
    m.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (m.tfd >= 0) {
      m.tfd_io = std::make_unique<Io>(this, &Impl::OnTimerFd, &m);
      m.tfd_io->Watch(m.tfd, kReadable);
    } else {
      m.tfd = -2;  // none to be had (descriptors exhausted?): libev timers from now on
    }
  }
  if (m.tfd >= 0 && delay_ns > 0) {
    m.fn = std::move(fn);
    m.armed = true;
    const int64_t at = MonotonicNowNs() + delay_ns;
    if (at == m.set_at) return;  // the timerfd holds this expiry already
    itimerspec spec{};
    spec.it_value.tv_sec = static_cast<time_t>(at / 1'000'000'000);
    spec.it_value.tv_nsec = static_cast<long>(at % 1'000'000'000);
    timerfd_settime(m.tfd, TFD_TIMER_ABSTIME, &spec, nullptr);
    m.set_at = at;
    return;
  }
  m.fn = std::move(fn);
  m.soon->Arm(delay_ns);
}

void EvLoop::CancelTimer() {
  impl_->armed = false;
  impl_->soon->Cancel();
}

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

struct EvLoop::Io::Impl {
  struct ev_loop* loop;
  ev_io io;
  void (*fn)(void*, int);
  void* arg;
  int fd = -1;
  int events = 0;

  static void OnIo(struct ev_loop*, ev_io* w, int revents) {
    auto* self = static_cast<Impl*>(w->data);
    self->fn(self->arg, revents & (EV_READ | EV_WRITE));
  }
};

EvLoop::Io::Io(EvLoop* loop, void (*fn)(void* arg, int events), void* arg)
    : impl_(std::make_unique<Impl>()) {
  impl_->loop = loop->impl_->loop;
  impl_->fn = fn;
  impl_->arg = arg;
  ev_io_init(&impl_->io, &Impl::OnIo, 0, 0);
  impl_->io.data = impl_.get();
}

EvLoop::Io::~Io() { ev_io_stop(impl_->loop, &impl_->io); }

void EvLoop::Io::Watch(int fd, int events) {
  static_assert(kReadable == EV_READ && kWritable == EV_WRITE, "libev's event bits");
  if (fd < 0) events = 0;
  if (fd == impl_->fd && events == impl_->events) return;
  ev_io_stop(impl_->loop, &impl_->io);
  impl_->fd = fd;
  impl_->events = events;
  if (events == 0) return;
  ev_io_set(&impl_->io, fd, events);
  ev_io_start(impl_->loop, &impl_->io);
}

struct EvLoop::Async::Impl {
  struct ev_loop* loop;
  ev_async async;
  void (*fn)(void*);
  void* arg;

  static void OnAsync(struct ev_loop*, ev_async* w, int) {
    auto* self = static_cast<Impl*>(w->data);
    self->fn(self->arg);
  }
};

EvLoop::Async::Async(EvLoop* loop, void (*fn)(void* arg), void* arg)
    : impl_(std::make_unique<Impl>()) {
  impl_->loop = loop->impl_->loop;
  impl_->fn = fn;
  impl_->arg = arg;
  ev_async_init(&impl_->async, &Impl::OnAsync);
  impl_->async.data = impl_.get();
  ev_async_start(impl_->loop, &impl_->async);
}

EvLoop::Async::~Async() { ev_async_stop(impl_->loop, &impl_->async); }

void EvLoop::Async::Send() { ev_async_send(impl_->loop, &impl_->async); }

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
