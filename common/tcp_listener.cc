#include "common/tcp_listener.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "common/tcp_socket.h"

namespace wsr {
namespace {
constexpr int64_t kAcceptRetryNs = 100'000'000;
}  // namespace

TcpListener::TcpListener(EvLoop* loop, const ListenAddr& addr, OnAccept on_accept, void* arg)
    : on_accept_(on_accept),
      arg_(arg),
      io_(loop, &TcpListener::OnReadable, this),
      resume_(loop, &TcpListener::OnResume, this) {
  std::string why;
  fd_ = ListenTcp(addr, &port_, &why);
  if (fd_ < 0) {
    throw Error("cannot listen on " + addr.host + ":" + std::to_string(addr.port) + ": " + why +
                " (pick another --listen address or port, 0 = any free port)");
  }
}

TcpListener::~TcpListener() {
  io_.Stop();
  resume_.Cancel();
  if (fd_ >= 0) close(fd_);
}

void TcpListener::Start() {
  accepting_ = true;
  io_.Watch(fd_, EvLoop::kReadable);
}

void TcpListener::Stop() {
  accepting_ = false;
  resume_.Cancel();
  io_.Stop();
}

void TcpListener::OnResume(void* arg) {
  auto* self = static_cast<TcpListener*>(arg);
  if (self->accepting_) self->io_.Watch(self->fd_, EvLoop::kReadable);
}

void TcpListener::OnReadable(void* arg, int) {
  auto* self = static_cast<TcpListener*>(arg);
  for (int i = 0; i < kAcceptsPerWake && self->accepting_; ++i) {
    int fd = accept4(self->fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      SetNoDelay(fd);
      self->on_accept_(self->arg_, fd);
      continue;
    }
    const int err = errno;
    if (err == EINTR || err == ECONNABORTED) continue;
    if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
      const int64_t now = SteadyClock().NowNs();
      if (self->last_warning_ns_ == INT64_MIN || now - self->last_warning_ns_ >= 1'000'000'000) {
        self->last_warning_ns_ = now;
        log::Warn(std::string("cannot accept a connection: ") + std::strerror(err) +
                  " (retrying in 100 ms)");
      }
      self->io_.Stop();
      self->resume_.Arm(kAcceptRetryNs);
    }
    return;  // EAGAIN: nothing more queued; anything else: the next readiness retries
  }
}

}  // namespace wsr
