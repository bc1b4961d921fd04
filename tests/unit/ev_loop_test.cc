// EvLoop's timers without libwebsockets: what fires, when, and what cancelling does.
#include "common/ev_loop.h"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

namespace wsr {
namespace {

using SteadyClock = std::chrono::steady_clock;

struct Fired {
  std::vector<int> order;
  static void Record(void* arg) { static_cast<Fired*>(arg)->order.push_back(1); }
};

TEST(EvLoopTimer, FiresOnceAfterItsDelay) {
  EvLoop loop;
  Fired fired;
  EvLoop::Timer t(&loop, &Fired::Record, &fired);
  auto start = SteadyClock::now();
  t.Arm(20'000'000);
  while (fired.order.empty()) loop.RunOnce();
  EXPECT_GE(SteadyClock::now() - start, std::chrono::milliseconds(19));
  EXPECT_EQ(fired.order.size(), 1u);
}

TEST(EvLoopTimer, RearmingReplacesAndCancelledTimersDoNotFire) {
  EvLoop loop;
  std::vector<int> order;
  struct Tag {
    std::vector<int>* order;
    int id;
    static void Fire(void* arg) {
      auto* t = static_cast<Tag*>(arg);
      t->order->push_back(t->id);
    }
  } a{&order, 1}, b{&order, 2}, c{&order, 3};
  EvLoop::Timer ta(&loop, &Tag::Fire, &a), tb(&loop, &Tag::Fire, &b);
  {
    EvLoop::Timer tc(&loop, &Tag::Fire, &c);
    tc.Arm(0);  // destroyed before the loop runs: never fires
  }
  ta.Arm(0);
  ta.Arm(40'000'000);  // replaces the first arming: fires once, after b
  tb.Arm(5'000'000);
  tb.Cancel();
  tb.Arm(10'000'000);
  while (order.size() < 2) loop.RunOnce();
  EXPECT_EQ(order, (std::vector<int>{2, 1}));
  // Nothing else is armed: an extra wake-up via the loop's own timer finds no more firings.
  bool woke = false;
  loop.ArmTimer(20'000'000, [&woke] { woke = true; });
  while (!woke) loop.RunOnce();
  EXPECT_EQ(order, (std::vector<int>{2, 1}));
}

}  // namespace
}  // namespace wsr
