// EvLoop's timers without libwebsockets: what fires, when, and what cancelling does.
#include "common/ev_loop.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
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

TEST(EvLoopArmTimer, FiresOnceNotEarlyAndCancelledArmingsNeverRun) {
  EvLoop loop;
  int first = 0, second = 0, third = 0;
  loop.ArmTimer(0, [&first] { ++first; });
  loop.CancelTimer();  // cancelled before the loop ran: never fires
  loop.ArmTimer(1'000'000, [&second] { ++second; });
  loop.ArmTimer(3'000'000, [&third] { ++third; });  // replaces the 1 ms arming
  auto start = SteadyClock::now();
  while (third == 0) loop.RunOnce();
  EXPECT_GE(SteadyClock::now() - start, std::chrono::milliseconds(3));
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, 0);
  EXPECT_EQ(third, 1);
  // Re-armed from inside its own callback: fires again, once per arming.
  int chained = 0;
  std::function<void()> again = [&] {
    if (++chained < 3) loop.ArmTimer(0, again);
  };
  loop.ArmTimer(0, again);
  while (chained < 3) loop.RunOnce();
  EXPECT_EQ(chained, 3);
  // Nothing armed any more: a separate timer's wake-up finds no extra firing.
  bool woke = false;
  EvLoop::Timer t(
      &loop, [](void* arg) { *static_cast<bool*>(arg) = true; }, &woke);
  t.Arm(10'000'000);
  while (!woke) loop.RunOnce();
  EXPECT_EQ(chained, 3);
  EXPECT_EQ(third, 1);
}

}  // namespace
}  // namespace wsr
