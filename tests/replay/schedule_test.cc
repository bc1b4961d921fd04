// Schedule (replay/schedule.h): filing, moving and removing connections, the earliest
// deadline, and taking exactly the due ones, earliest first.
#include "replay/schedule.h"

#include <gtest/gtest.h>

#include <vector>

namespace wsr::replay {
namespace {

TEST(Schedule, EarliestFollowsFilingMovingAndRemoving) {
  Schedule s;
  EXPECT_TRUE(s.empty());
  EXPECT_FALSE(s.Earliest());
  s.Set(1, 300);
  s.Set(2, 100);
  s.Set(3, 200);
  EXPECT_EQ(s.Earliest(), 100);
  EXPECT_EQ(s.size(), 3u);
  s.Set(2, 400);  // moved, not added twice
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s.Earliest(), 200);
  EXPECT_EQ(s.DeadlineOf(2), 400);
  s.Remove(3);
  s.Remove(3);
  EXPECT_FALSE(s.DeadlineOf(3));
  EXPECT_EQ(s.Earliest(), 300);
  s.Set(1, std::nullopt);
  EXPECT_EQ(s.Earliest(), 400);
  EXPECT_EQ(s.size(), 1u);
  s.Remove(99);  // never filed
  s.clear();
  EXPECT_TRUE(s.empty());
  EXPECT_FALSE(s.DeadlineOf(2));
}

TEST(Schedule, TakeDueTakesExactlyTheDueOnesEarliestFirstTiesById) {
  Schedule s;
  s.Set(4, 50);
  s.Set(2, 10);
  s.Set(3, 10);
  s.Set(1, 51);
  std::vector<int> due;
  s.TakeDue(9, &due);
  EXPECT_TRUE(due.empty());
  s.TakeDue(50, &due);
  EXPECT_EQ(due, (std::vector<int>{2, 3, 4}));
  EXPECT_EQ(s.size(), 1u);
  EXPECT_FALSE(s.DeadlineOf(2));
  EXPECT_EQ(s.Earliest(), 51);
  // A taken id can be filed again.
  s.Set(2, 5);
  due.clear();
  s.TakeDue(100, &due);
  EXPECT_EQ(due, (std::vector<int>{2, 1}));
  EXPECT_TRUE(s.empty());
}

}  // namespace
}  // namespace wsr::replay
