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

}  // namespace
}  // namespace wsr::replay
