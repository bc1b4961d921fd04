#include "common/async_resolver.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>

#include "common/log.h"

namespace wsr {

// What the worker and the resolver share. The worker holds a reference for as long as it runs,
// so the resolver may go while a lookup is blocked.
struct AsyncResolver::Shared {
  struct Job {
    std::string key, host;
    int port = 0;
  };
  struct Answer {
    std::string key;
    Result result;
  };
  explicit Shared(Lookup l) : lookup(std::move(l)) {}

  const Lookup lookup;  // read-only once the worker runs
  std::mutex mu;
  std::condition_variable wake;    // a job was queued, or the resolver went
  std::deque<Job> jobs;            // guarded by mu
  std::vector<Answer> answers;     // guarded by mu: finished lookups, for the loop
  EvLoop::Async* async = nullptr;  // guarded by mu: null once the resolver went
  bool gone = false;               // guarded by mu: the resolver was destroyed

  static void Work(std::shared_ptr<Shared> self) {
    std::unique_lock<std::mutex> lock(self->mu);
    while (true) {
      self->wake.wait(lock, [&] { return self->gone || !self->jobs.empty(); });
      if (self->gone) return;
      Job job = std::move(self->jobs.front());
      self->jobs.pop_front();
      lock.unlock();
      Answer answer{std::move(job.key), {}};
      try {
        answer.result.addresses = self->lookup(job.host, job.port, &answer.result.error);
      } catch (const std::exception& e) {
        answer.result.addresses.clear();
        answer.result.error = e.what();
      }
      if (answer.result.addresses.empty() && answer.result.error.empty()) {
        answer.result.error = "no address";
      }
      lock.lock();
      if (self->gone) return;
      self->answers.push_back(std::move(answer));
      self->async->Send();
    }
  }
};

AsyncResolver::AsyncResolver(EvLoop* loop, Options options)
    : options_(std::move(options)),
      shared_(std::make_shared<Shared>(options_.lookup ? options_.lookup : Lookup(&ResolveTcp))),
      async_(std::make_unique<EvLoop::Async>(loop, &AsyncResolver::OnAnswers, this)) {
  if (!options_.clock) options_.clock = &steady_;
  shared_->async = async_.get();
}

AsyncResolver::~AsyncResolver() {
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->gone = true;
    shared_->async = nullptr;
    shared_->jobs.clear();
  }
  shared_->wake.notify_all();
  // Not joined: a worker inside getaddrinfo returns when that does, and then only drops its
  // reference to `shared_`.
}

AsyncResolver::RequestId AsyncResolver::Resolve(const std::string& host, int port, Result* now,
                                                Done done) {
  now->addresses.clear();
  now->error.clear();
  if (ResolveTcpLiteral(host, port, &now->addresses)) return 0;
  std::string key = std::to_string(port) + " " + host;
  const int64_t t = options_.clock->NowNs();
  if (auto it = cache_.find(key); it != cache_.end()) {
    if (t < it->second.expires_ns) {
      now->addresses = it->second.addresses;
      return 0;
    }
    cache_.erase(it);
  }
  auto [waiters, first] = pending_.try_emplace(key);
  if (first) {
    try {
      if (!worker_started_) StartWorker();
    } catch (...) {
      pending_.erase(waiters);
      throw;
    }
    {
      std::lock_guard<std::mutex> lock(shared_->mu);
      shared_->jobs.push_back({key, host, port});
    }
    shared_->wake.notify_one();
    ++lookups_started_;
  }
  const RequestId id = ++next_id_;
  waiters->second.push_back(id);
  requests_.emplace(id, Request{std::move(key), std::move(done)});
  return id;
}

void AsyncResolver::Cancel(RequestId id) { requests_.erase(id); }

void AsyncResolver::StartWorker() {
  std::thread(&Shared::Work, shared_).detach();
  worker_started_ = true;
}

void AsyncResolver::OnAnswers(void* arg) {
  auto* self = static_cast<AsyncResolver*>(arg);
  std::vector<Shared::Answer> answers;
  {
    std::lock_guard<std::mutex> lock(self->shared_->mu);
    answers.swap(self->shared_->answers);
  }
  for (Shared::Answer& a : answers) {
    if (!a.result.addresses.empty()) {
      self->cache_[a.key] = {a.result.addresses,
                             self->options_.clock->NowNs() + self->options_.ttl_ns};
    }
    std::vector<RequestId> waiters;
    if (auto it = self->pending_.find(a.key); it != self->pending_.end()) {
      waiters = std::move(it->second);
      self->pending_.erase(it);
    }
    // Looked up by id at each call: a callback may cancel (or add) requests.
    for (RequestId id : waiters) {
      auto r = self->requests_.find(id);
      if (r == self->requests_.end()) continue;  // cancelled
      Done done = std::move(r->second.done);
      self->requests_.erase(r);
      try {
        done(a.result);
      } catch (const std::exception& e) {
        log::Error(std::string("resolver: an answer's callback failed: ") + e.what());
      } catch (...) {
        log::Error("resolver: an answer's callback failed");
      }
    }
  }
}

}  // namespace wsr
