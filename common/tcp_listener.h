// TcpListener: a listening TCP socket (common/tcp_socket.h: bound exactly to its address) on an
// EvLoop, accepting with accept4(SOCK_NONBLOCK | SOCK_CLOEXEC), up to kAcceptsPerWake
// connections each time it is readable, and handing each accepted descriptor to its owner.
// Eight, not more: during a ramp each accepted connection soon costs its owner a request and
// an upstream connect in the same turn, and 64 per wake made record's ramp turns 5-10 ms of CPU
// at 4,000 connections (bench/README.md); with 8 they stay under 5 ms and the ramp is as fast.
//
// If accept4 fails for lack of descriptors (EMFILE/ENFILE: an AcceptGuard in the owner keeps a
// spare, so this is rare), it stops watching for 100 ms instead of spinning on the
// level-triggered readiness, with one warning per second at most.
//
// Owns the listening descriptor (closed by the destructor); the owner owns the accepted ones.
// Same thread as the loop; destroy it before the loop.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/ev_loop.h"
#include "common/url.h"

namespace wsr {

class TcpListener {
 public:
  static constexpr int kAcceptsPerWake = 8;
  // Called with each accepted descriptor (TCP_NODELAY set), which it then owns.
  using OnAccept = void (*)(void* arg, int fd);

  // Binds and listens (not yet accepting). Throws wsr::Error with one line
  // ("cannot listen on HOST:PORT: <why> (pick another --listen address or port, 0 = any free
  // port)").
  TcpListener(EvLoop* loop, const ListenAddr& addr, OnAccept on_accept, void* arg);
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  int port() const { return port_; }
  void Start();  // starts accepting
  void Stop();   // stops accepting (the socket stays open: connections queue in the backlog)

 private:
  static void OnReadable(void* self, int events);
  static void OnResume(void* self);

  int fd_ = -1;
  int port_ = 0;
  OnAccept on_accept_;
  void* arg_;
  bool accepting_ = false;
  int64_t last_warning_ns_ = INT64_MIN;
  EvLoop::Io io_;
  EvLoop::Timer resume_;  // after a failed accept for lack of descriptors
};

}  // namespace wsr
