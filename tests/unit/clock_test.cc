// ManualClock: moves only forward, and never so far that now + a recorded span overflows.
#include "common/clock.h"

#include <gtest/gtest.h>

namespace wsr {
namespace {

TEST(ManualClock, AdvancesForwardOnly) {
  ManualClock clock(5);
  clock.Advance(10);
  EXPECT_EQ(clock.NowNs(), 15);
  clock.Advance(-10);
  clock.Advance(0);
  EXPECT_EQ(clock.NowNs(), 15);
}

// A test that advances by the longest step the control endpoint takes (36 years) over and over
// ends at kMaxManualNs, where a deadline 2^61 ns later still fits an int64_t.
TEST(ManualClock, IsHeldWhereDeadlinesStillFit) {
  ManualClock clock(0);
  for (int i = 0; i < 10; ++i) clock.Advance(int64_t{1} << 60);
  EXPECT_EQ(clock.NowNs(), ManualClock::kMaxManualNs);
  clock.Advance(INT64_MAX);
  EXPECT_EQ(clock.NowNs(), ManualClock::kMaxManualNs);
  EXPECT_GT(clock.NowNs() + (int64_t{1} << 61), clock.NowNs());
}

}  // namespace
}  // namespace wsr
