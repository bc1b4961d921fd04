// Timeline: absolute deadlines, speed changes, pause, max-gap, jumps.
#include "replay/timeline.h"

#include <gtest/gtest.h>

namespace wsr::replay {
namespace {

constexpr int64_t kMs = 1'000'000;

TEST(Timeline, AbsoluteDeadlinesDoNotDrift) {
  Timeline t(1.0, 0);
  t.Start(1000 * kMs);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(t.DeadlineFor(i * 7 * kMs, 0), 1000 * kMs + i * 7 * kMs);
  }
}

TEST(Timeline, SpeedChangeReanchorsAtNow) {
  Timeline t(1.0, 0);
  t.Start(0);
  t.SetSpeed(100 * kMs, 10.0);  // 100 recorded ms reached at 100 ms
  EXPECT_EQ(t.DeadlineFor(200 * kMs, 0), 110 * kMs);
  EXPECT_EQ(t.VirtualAt(110 * kMs), 200 * kMs);
}

TEST(Timeline, PauseResumeAndSkip) {
  Timeline t(2.0, 0);
  t.Start(0);
  t.Pause(10 * kMs);  // virtual 20 ms
  EXPECT_EQ(t.DeadlineFor(30 * kMs, 0), Timeline::kNever);
  t.Resume(50 * kMs);
  EXPECT_EQ(t.DeadlineFor(30 * kMs, 0), 55 * kMs);
  t.Skip(50 * kMs, 5 * kMs);  // +10 recorded ms
  EXPECT_EQ(t.DeadlineFor(30 * kMs, 0), 50 * kMs);
}

TEST(Timeline, MaxGapCapsAndShifts) {
  Timeline t(1.0, 100 * kMs);
  t.Start(0);
  EXPECT_EQ(t.DeadlineFor(50 * kMs, 0), 50 * kMs);
  EXPECT_EQ(t.DeadlineFor(1000 * kMs, 50 * kMs), 150 * kMs);
  EXPECT_EQ(t.DeadlineFor(1030 * kMs, 150 * kMs), 180 * kMs);
}

TEST(Timeline, MaxSpeedIsAlwaysDue) {
  Timeline t(0, 0);
  t.Start(0);
  EXPECT_LE(t.DeadlineFor(1'000'000 * kMs, 0), 0);
  t.NoteReleased(500 * kMs);
  t.SetSpeed(10 * kMs, 1.0);
  EXPECT_EQ(t.DeadlineFor(600 * kMs, 0), 110 * kMs);
}

// A crafted cassette holds offsets up to +-2^60 ns (cassettes/model.h), so a connection's
// relative times reach +-2^61, and --speed takes any positive number. Deadlines and recorded
// times stay in range and in order instead of wrapping: a wrapped deadline would release at once
// what should wait for years.
TEST(Timeline, ExtremeOffsetsAndSpeedsStayInRangeAndInOrder) {
  constexpr int64_t kFarV = int64_t{1} << 61;
  constexpr int64_t kStart = 1000 * kMs;
  for (double speed : {1e-300, 1e-9, 0.001, 1.0, 1e9, 1e300}) {
    SCOPED_TRACE(speed);
    Timeline t(speed, 0);
    t.Start(kStart);
    EXPECT_GE(t.DeadlineFor(kFarV, 0), kStart);
    EXPECT_GE(t.PeekDeadline(kFarV, 0), kStart);
    EXPECT_LE(t.DeadlineFor(-kFarV, 0), kStart);
    EXPECT_LE(t.DeadlineFor(1 * kMs, 0), t.DeadlineFor(kFarV, 0));
    int64_t v = t.VirtualAt(kStart + 1000 * kMs);
    EXPECT_GE(v, 0);
    t.Skip(kStart + 1000 * kMs, kFarV);
    EXPECT_GE(t.VirtualAt(kStart + 2000 * kMs), v);
    t.Skip(kStart + 2000 * kMs, kFarV);  // twice: no sum of two far times overflows
    EXPECT_GE(t.VirtualAt(kStart + 3000 * kMs), v);
    EXPECT_GE(t.DeadlineFor(kFarV, 0), 0);
  }
  // Between the extremes the arithmetic is unchanged (1 ms of recorded time at 0.001x).
  Timeline slow(0.001, 0);
  slow.Start(kStart);
  EXPECT_EQ(slow.DeadlineFor(1 * kMs, 0), kStart + 1000 * kMs);
}

}  // namespace
}  // namespace wsr::replay
