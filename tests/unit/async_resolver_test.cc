// AsyncResolver on a real EvLoop with an injected lookup function (no DNS): literals answered
// at once, one lookup shared by concurrent requests, answers reused until they expire (injected
// time), failures not reused, cancelled requests, and a lookup blocked on a gate that neither
// stops the loop nor other answers, nor the resolver's destruction.
#include "common/async_resolver.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/ev_loop.h"

namespace wsr {
namespace {

TcpAddress V4(const char* ip, int port) {
  TcpAddress a;
  auto* sa = reinterpret_cast<sockaddr_in*>(&a.addr);
  sa->sin_family = AF_INET;
  sa->sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip, &sa->sin_addr);
  a.len = sizeof *sa;
  return a;
}

std::string Ip(const TcpAddress& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.addr.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&a.addr)->sin6_addr, buf,
              sizeof buf);
  } else {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&a.addr)->sin_addr, buf, sizeof buf);
  }
  return buf;
}

// A lookup function the test controls: counts calls per host, answers 10.0.0.N for the Nth
// call, fails for hosts named "bad...", and waits at its gate while it is closed. Shared with
// the worker thread (which may outlive a test's resolver): held by shared_ptr.
struct FakeDns {
  std::mutex mu;
  std::vector<std::string> asked;  // hosts, in call order
  std::promise<void> open_gate;
  std::shared_future<void> gate = open_gate.get_future().share();
  std::atomic<int> returned{0};
  bool gated = false;

  void Open() { open_gate.set_value(); }
  int Calls() {
    std::lock_guard<std::mutex> lock(mu);
    return static_cast<int>(asked.size());
  }

  static AsyncResolver::Lookup Make(std::shared_ptr<FakeDns> dns) {
    return [dns](const std::string& host, int port, std::string* error) {
      int n = 0;
      {
        std::lock_guard<std::mutex> lock(dns->mu);
        dns->asked.push_back(host);
        n = static_cast<int>(dns->asked.size());
      }
      if (dns->gated && host.rfind("slow", 0) == 0) dns->gate.wait();
      std::vector<TcpAddress> out;
      if (host.rfind("bad", 0) == 0) {
        *error = "Name or service not known";
      } else {
        out.push_back(V4(("10.0.0." + std::to_string(n)).c_str(), port));
      }
      dns->returned.fetch_add(1);
      return out;
    };
  }
};

// One request's answer, once it came.
struct Answer {
  bool done = false;
  AsyncResolver::Result result;
  AsyncResolver::Done Callback() {
    return [this](const AsyncResolver::Result& r) {
      done = true;
      result = r;
    };
  }
};

// Runs the loop until `pred` or 5 s.
template <typename Pred>
bool RunUntil(EvLoop* loop, Pred pred) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    loop->ArmTimer(10'000'000, [] {});  // bounds each turn
    loop->RunOnce();
  }
  loop->CancelTimer();
  return true;
}

class AsyncResolverTest : public ::testing::Test {
 protected:
  AsyncResolver::Options Opts() {
    AsyncResolver::Options o;
    o.lookup = FakeDns::Make(dns_);
    o.clock = &clock_;
    return o;
  }
  EvLoop loop_;
  ManualClock clock_{1'000'000'000};
  std::shared_ptr<FakeDns> dns_ = std::make_shared<FakeDns>();
};

TEST_F(AsyncResolverTest, AnIpLiteralIsAnsweredAtOnceWithoutALookup) {
  AsyncResolver resolver(&loop_, Opts());
  for (const char* literal : {"127.0.0.1", "::1"}) {
    AsyncResolver::Result now;
    bool called = false;
    EXPECT_EQ(resolver.Resolve(literal, 4000, &now, [&](const auto&) { called = true; }), 0u);
    ASSERT_EQ(now.addresses.size(), 1u) << literal;
    EXPECT_EQ(Ip(now.addresses[0]), literal);
    EXPECT_TRUE(now.error.empty());
    EXPECT_FALSE(called);
  }
  EXPECT_EQ(resolver.lookups_started(), 0u);
  EXPECT_EQ(dns_->Calls(), 0);
}

TEST_F(AsyncResolverTest, ConcurrentRequestsForOneNameShareOneLookup) {
  dns_->gated = true;
  AsyncResolver resolver(&loop_, Opts());
  Answer a, b;
  AsyncResolver::Result now;
  const auto ida = resolver.Resolve("slow.example", 443, &now, a.Callback());
  const auto idb = resolver.Resolve("slow.example", 443, &now, b.Callback());
  EXPECT_NE(ida, 0u);
  EXPECT_NE(idb, 0u);
  EXPECT_NE(ida, idb);
  EXPECT_EQ(resolver.lookups_started(), 1u);
  dns_->Open();
  ASSERT_TRUE(RunUntil(&loop_, [&] { return a.done && b.done; }));
  EXPECT_EQ(dns_->Calls(), 1);
  ASSERT_EQ(a.result.addresses.size(), 1u);
  EXPECT_EQ(Ip(a.result.addresses[0]), "10.0.0.1");
  ASSERT_EQ(b.result.addresses.size(), 1u);
  EXPECT_EQ(Ip(b.result.addresses[0]), "10.0.0.1");
}

TEST_F(AsyncResolverTest, AnAnswerIsReusedUntilItExpires) {
  AsyncResolver::Options o = Opts();
  o.ttl_ns = 30'000'000'000;
  AsyncResolver resolver(&loop_, o);
  Answer first;
  AsyncResolver::Result now;
  ASSERT_NE(resolver.Resolve("api.example", 443, &now, first.Callback()), 0u);
  ASSERT_TRUE(RunUntil(&loop_, [&] { return first.done; }));
  ASSERT_EQ(first.result.addresses.size(), 1u);

  // A reconnect burst 29 s later: every request answered at once, from the first lookup.
  clock_.Advance(29'000'000'000);
  for (int i = 0; i < 5; ++i) {
    AsyncResolver::Result cached;
    EXPECT_EQ(resolver.Resolve("api.example", 443, &cached, [](const auto&) { FAIL(); }), 0u);
    ASSERT_EQ(cached.addresses.size(), 1u);
    EXPECT_EQ(Ip(cached.addresses[0]), "10.0.0.1");
  }
  // Another port is another name to look up.
  Answer other_port;
  EXPECT_NE(resolver.Resolve("api.example", 80, &now, other_port.Callback()), 0u);
  ASSERT_TRUE(RunUntil(&loop_, [&] { return other_port.done; }));
  EXPECT_EQ(dns_->Calls(), 2);

  // Past 30 s the name is looked up again.
  clock_.Advance(1'000'000'000);
  Answer again;
  EXPECT_NE(resolver.Resolve("api.example", 443, &now, again.Callback()), 0u);
  ASSERT_TRUE(RunUntil(&loop_, [&] { return again.done; }));
  EXPECT_EQ(dns_->Calls(), 3);
  ASSERT_EQ(again.result.addresses.size(), 1u);
  EXPECT_EQ(Ip(again.result.addresses[0]), "10.0.0.3");
}

TEST_F(AsyncResolverTest, AFailureIsReportedAndNotReused) {
  AsyncResolver resolver(&loop_, Opts());
  for (int attempt = 1; attempt <= 2; ++attempt) {
    Answer a;
    AsyncResolver::Result now;
    ASSERT_NE(resolver.Resolve("bad.example", 443, &now, a.Callback()), 0u) << attempt;
    ASSERT_TRUE(RunUntil(&loop_, [&] { return a.done; }));
    EXPECT_TRUE(a.result.addresses.empty());
    EXPECT_EQ(a.result.error, "Name or service not known");
    EXPECT_EQ(dns_->Calls(), attempt);
  }
}

TEST_F(AsyncResolverTest, ACancelledRequestIsNotAnswered) {
  dns_->gated = true;
  AsyncResolver resolver(&loop_, Opts());
  AsyncResolver::Result now;
  // The owner of the first request goes away while the lookup runs: its callback (and what
  // it captured) is destroyed unanswered; the request beside it still gets the answer.
  bool cancelled_answered = false;
  auto owner = std::make_shared<int>(7);  // what the callback holds of its owner
  std::weak_ptr<int> watch = owner;
  const auto gone =
      resolver.Resolve("slow.example", 443, &now,
                       [owner, &cancelled_answered](const auto&) { cancelled_answered = true; });
  Answer stays;
  ASSERT_NE(resolver.Resolve("slow.example", 443, &now, stays.Callback()), 0u);
  owner.reset();
  EXPECT_FALSE(watch.expired());  // held by the request
  resolver.Cancel(gone);
  EXPECT_TRUE(watch.expired());  // the callback went with the cancel
  resolver.Cancel(gone);         // twice, or an unknown id: nothing
  resolver.Cancel(12345);
  dns_->Open();
  ASSERT_TRUE(RunUntil(&loop_, [&] { return stays.done; }));
  EXPECT_FALSE(cancelled_answered);
  EXPECT_EQ(dns_->Calls(), 1);
  // The cancelled request's lookup still filled the cache.
  EXPECT_EQ(resolver.Resolve("slow.example", 443, &now, [](const auto&) {}), 0u);
  EXPECT_EQ(now.addresses.size(), 1u);
}

TEST_F(AsyncResolverTest, ABlockedLookupStopsNeitherTheLoopNorOtherAnswers) {
  dns_->gated = true;
  AsyncResolver resolver(&loop_, Opts());
  AsyncResolver::Result now;
  // A name answered before the slow one blocks: in the cache.
  Answer fast;
  ASSERT_NE(resolver.Resolve("fast.example", 443, &now, fast.Callback()), 0u);
  ASSERT_TRUE(RunUntil(&loop_, [&] { return fast.done; }));

  Answer slow;
  ASSERT_NE(resolver.Resolve("slow.example", 443, &now, slow.Callback()), 0u);
  // While the lookup is blocked at the gate, the loop turns: its timers fire on time...
  struct Ticks {
    int n = 0;
    static void Fire(void* arg) { ++static_cast<Ticks*>(arg)->n; }
  } ticks;
  EvLoop::Timer timer(&loop_, &Ticks::Fire, &ticks);
  for (int i = 0; i < 3; ++i) {
    const auto began = std::chrono::steady_clock::now();
    timer.Arm(5'000'000);
    ASSERT_TRUE(RunUntil(&loop_, [&] { return ticks.n == i + 1; }));
    EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(1));
  }
  // ...and other requests are answered: a literal and a cached name, at once.
  EXPECT_EQ(resolver.Resolve("192.0.2.7", 443, &now, [](const auto&) {}), 0u);
  EXPECT_EQ(Ip(now.addresses.at(0)), "192.0.2.7");
  EXPECT_EQ(resolver.Resolve("fast.example", 443, &now, [](const auto&) {}), 0u);
  EXPECT_EQ(Ip(now.addresses.at(0)), "10.0.0.1");
  EXPECT_FALSE(slow.done);
  dns_->Open();
  ASSERT_TRUE(RunUntil(&loop_, [&] { return slow.done; }));
  EXPECT_EQ(Ip(slow.result.addresses.at(0)), "10.0.0.2");
}

TEST_F(AsyncResolverTest, DestroyingTheResolverDoesNotWaitForABlockedLookup) {
  dns_->gated = true;
  bool answered = false;
  {
    auto resolver = std::make_unique<AsyncResolver>(&loop_, Opts());
    AsyncResolver::Result now;
    resolver->Resolve("slow.example", 443, &now, [&](const auto&) { answered = true; });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (dns_->Calls() == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_EQ(dns_->Calls(), 1);  // the worker is inside the lookup, blocked
    const auto began = std::chrono::steady_clock::now();
    resolver.reset();  // the gate still closed
    EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::milliseconds(500));
  }
  // The lookup finishes after its resolver went: its answer is dropped, nothing it uses was
  // freed (ASan would say), and the loop is not woken for it.
  dns_->Open();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (dns_->returned.load() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(dns_->returned.load(), 1);
  bool woke = false;
  loop_.ArmTimer(20'000'000, [&woke] { woke = true; });
  while (!woke) loop_.RunOnce();
  EXPECT_FALSE(answered);
}

}  // namespace
}  // namespace wsr
