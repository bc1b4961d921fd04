// A SIGKILL under load loses at most the last 50 ms: 20 connections with 16 messages in flight
// each through `wsreplay record` to an echo upstream, then `kill -9` after 3 s. Every echo a
// client had received more than 50 ms before the kill must be in the cassette, in both
// directions (cassettes/README.md, "What a crash can lose"). Under ASan, where everything
// runs several times slower, the bound is 250 ms.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/proxy/record_fixture.h"

namespace wsr::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

#if defined(__SANITIZE_ADDRESS__)
constexpr auto kMaxLoss = 250ms;
#else
constexpr auto kMaxLoss = 50ms;
#endif

constexpr int kConnections = 20;
constexpr int kInFlight = 16;

struct Echo {
  std::string payload;
  Clock::time_point received;
};

class RecordSigkill : public RecordFixture {};

TEST_F(RecordSigkill, EveryEchoReceivedMoreThan50msBeforeTheKillIsInTheCassette) {
  TestUpstream up;
  StartRecord(up.url());
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < kConnections; ++i) {
    clients.push_back(WsClient::Connect(url_ + "/load" + std::to_string(i)));
    ASSERT_TRUE(clients.back()->connected()) << clients.back()->error();
  }
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<Echo> echoes;
  std::vector<std::thread> threads;
  for (int i = 0; i < kConnections; ++i) {
    threads.emplace_back([&, i] {
      WsClient& c = *clients[i];
      int next = 0;
      auto send = [&] { c.SendText("c" + std::to_string(i) + "-" + std::to_string(next++)); };
      for (int k = 0; k < kInFlight; ++k) send();
      std::vector<Echo> mine;
      while (!stop.load()) {
        auto m = c.Receive(200ms);
        if (!m) continue;
        mine.push_back({m->data, Clock::now()});
        send();
      }
      std::lock_guard<std::mutex> lock(mu);
      echoes.insert(echoes.end(), mine.begin(), mine.end());
    });
  }
  std::this_thread::sleep_for(3s);
  Clock::time_point killed = Clock::now();
  proc_->Signal(SIGKILL);
  proc_->Wait();
  stop = true;
  for (auto& t : threads) t.join();
  clients.clear();

  Recorded r = Read();
  std::set<std::string> c2s, s2c;
  for (const auto& frames : r.frames) {
    for (const auto& f : frames) {
      (f.direction == cassette::Direction::kClientToServer ? c2s : s2c).insert(f.payload);
    }
  }
  size_t old_enough = 0, missing = 0;
  std::chrono::milliseconds oldest_missing{0};
  for (const auto& e : echoes) {
    auto age = std::chrono::duration_cast<std::chrono::milliseconds>(killed - e.received);
    if (age <= kMaxLoss) continue;
    ++old_enough;
    if (!c2s.count(e.payload) || !s2c.count(e.payload)) {
      ++missing;
      oldest_missing = std::max(oldest_missing, age);
    }
  }
  // Under load: thousands of echoes, or the test proves nothing.
  EXPECT_GT(old_enough, 5000u) << "only " << echoes.size() << " echoes in 3 s";
  EXPECT_EQ(missing, 0u) << missing << " of " << old_enough << " echoes received more than "
                         << kMaxLoss.count() << " ms before the kill are not in the cassette; "
                         << "the oldest was received " << oldest_missing.count() << " ms before it";
}

}  // namespace
}  // namespace wsr::testing
