// AsyncResolver: host-name lookups (getaddrinfo) off an EvLoop's thread, answered on it.
//
// Why: record resolves its upstream for every client it accepts. A blocking getaddrinfo on the
// loop thread stopped every connection for a DNS round trip, and for seconds (with retries)
// when the DNS server is slow or dead: no frames, no heartbeats.
//
// What it does with a request for host:port:
//  - An IP literal is answered at once by Resolve() (a numeric-host lookup: no DNS, no thread).
//  - A successful answer is kept for Options::ttl_ns (30 s) and answered at once from there, so
//    a burst of reconnects does one lookup. Failures are not kept: the next request asks again.
//  - Otherwise the lookup runs on one worker thread (started at the first lookup). Requests for
//    a host:port whose lookup is under way share it (one query, every waiter answered).
//    Lookups of different names run one after the other (record has one upstream).
//  - The answer is delivered on the loop's thread, inside EvLoop::RunOnce() (an EvLoop::Async),
//    to every request still waiting for it; a cancelled request's answer is dropped.
//
// Ownership and threads: construct, call and destroy on the loop's thread, and destroy it
// before the loop. The worker is detached: it shares its state with the resolver through a
// shared_ptr, so destroying the resolver never waits for a lookup (one stuck on a dead DNS
// server ends when getaddrinfo gives up, and its answer is dropped) and frees nothing the worker
// still uses. The lookup function runs on the worker thread. Callbacks run on the loop's
// thread, never from inside Resolve() or Cancel(), never after Cancel() or the destructor; they
// must not throw (one that does is logged and ignored) nor destroy the resolver.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/ev_loop.h"
#include "common/tcp_socket.h"

namespace wsr {

class AsyncResolver {
 public:
  struct Result {
    std::vector<TcpAddress> addresses;  // in the resolver's order; empty when it failed
    std::string error;                  // one line when `addresses` is empty
  };
  // Looks host:port up, blocking (runs on the worker thread; must be thread-safe). Empty with
  // *error set when the name cannot be resolved.
  using Lookup =
      std::function<std::vector<TcpAddress>(const std::string& host, int port, std::string* error)>;
  using Done = std::function<void(const Result&)>;
  using RequestId = uint64_t;  // 0: none

  struct Options {
    int64_t ttl_ns = 30'000'000'000;  // how long a successful answer is reused
    Lookup lookup;                    // empty: ResolveTcp (getaddrinfo)
    const Clock* clock = nullptr;     // the cache's time; null: the steady clock. Not owned.
  };

  explicit AsyncResolver(EvLoop* loop) : AsyncResolver(loop, Options{}) {}
  AsyncResolver(EvLoop* loop, Options options);
  ~AsyncResolver();
  AsyncResolver(const AsyncResolver&) = delete;
  AsyncResolver& operator=(const AsyncResolver&) = delete;

  // Resolves host:port. Answered at once (an IP literal, or a cached answer): fills *now and
  // returns 0; `done` is not kept. Otherwise returns the request's id and `done` runs later
  // with the answer, unless Cancel(id) is called first. Throws std::system_error when the worker
  // thread cannot be started.
  RequestId Resolve(const std::string& host, int port, Result* now, Done done);
  // The request's answer is not wanted any more (its owner went away): `done` is destroyed
  // without being called. Unknown or answered ids are ignored. The lookup itself goes on (its
  // answer still fills the cache).
  void Cancel(RequestId id);

  // Lookups handed to the worker so far (not those answered at once or shared).
  uint64_t lookups_started() const { return lookups_started_; }

 private:
  struct Shared;
  struct Request {
    std::string key;
    Done done;
  };
  struct Cached {
    std::vector<TcpAddress> addresses;
    int64_t expires_ns = 0;
  };
  static void OnAnswers(void* self);
  void StartWorker();

  Options options_;
  SteadyClock steady_;
  std::shared_ptr<Shared> shared_;
  std::unique_ptr<EvLoop::Async> async_;
  bool worker_started_ = false;
  RequestId next_id_ = 0;
  uint64_t lookups_started_ = 0;
  std::unordered_map<RequestId, Request> requests_;                  // waiting for an answer
  std::unordered_map<std::string, std::vector<RequestId>> pending_;  // key -> its waiters
  std::unordered_map<std::string, Cached> cache_;                    // successful answers
};

}  // namespace wsr
