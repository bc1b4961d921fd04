// The schedule's anchor and where lateness is measured (issue 10), with a manual clock: a
// connection's timeline starts when it is started (the handshake), however long building its
// replayer took; every released frame carries its absolute deadline; with
// MeasureLatenessAtWrite() the report's lateness is write time - deadline (what the client
// sees), not release time - deadline; a delay fault moves the deadline with it.
#include <gtest/gtest.h>

#include "replay/fault_stage.h"
#include "tests/replay/engine_harness.h"
#include "tests/replay/recording.h"

namespace wsr::replay {
namespace {

using testing::Recording;

void RecordThree(Recording& r) {
  r.Connect(0, "/raw", "");
  r.S(10, "one");
  r.S(13, "two");
  r.S(16, "three");
  r.Finish();
}

TEST(ReplayAnchor, DeadlinesCountFromStartNotFromWhenTheReplayerWasBuilt) {
  Recording r;
  RecordThree(r);
  ManualClock clock(0);
  ReplayOptions o;
  auto rep = MakeReplayer(r.source(), r.connection(), o);
  clock.Set(7 * kMs);  // building it (reading the cassette) took 7 ms: the handshake is now
  rep->Start(clock.NowNs());
  EXPECT_EQ(rep->NextDeadline(), 17 * kMs);  // 7 + 10, not 0 + 10 nor later
  std::vector<Action> out;
  rep->Poll(clock.NowNs(), &out);
  EXPECT_TRUE(out.empty());
  clock.Set(17 * kMs);
  rep->Poll(clock.NowNs(), &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload, "one");
  EXPECT_EQ(out[0].deadline_ns, 17 * kMs);
  EXPECT_EQ(rep->NextDeadline(), 20 * kMs);
}

TEST(ReplayAnchor, LatenessIsMeasuredWhenTheBytesAreWritten) {
  Recording r;
  RecordThree(r);
  ManualClock clock(0);
  auto rep = MakeReplayer(r.source(), r.connection(), ReplayOptions{});
  rep->MeasureLatenessAtWrite();
  rep->Start(clock.NowNs());
  std::vector<Action> out;
  clock.Set(10 * kMs);
  rep->Poll(clock.NowNs(), &out);  // released on time...
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(rep->report().lateness.count(), 0u);  // ...but not written yet
  clock.Set(10 * kMs + 400'000);                  // written 400 us later
  rep->NoteWritten(clock.NowNs(), out[0].deadline_ns);
  EXPECT_EQ(rep->report().lateness.count(), 1u);
  EXPECT_EQ(rep->report().lateness.MaxNs(), 400'000);
  EXPECT_EQ(rep->report().delivered, 1);
}

TEST(ReplayAnchor, WithoutWriteMeasurementLatenessIsTheReleaseTime) {
  Recording r;
  RecordThree(r);
  Harness h(r, {});
  h.At(11);  // 1 ms late
  ASSERT_EQ(h.out.size(), 1u);
  EXPECT_EQ(h.rep->report().lateness.count(), 1u);
  EXPECT_EQ(h.rep->report().lateness.MaxNs(), 1 * kMs);
}

TEST(ReplayAnchor, SpeedMaxAndStepsCarryNoPastDeadline) {
  Recording r;
  RecordThree(r);
  ReplayOptions fast;
  fast.speed = 0;  // max
  Harness max(r, fast);
  max.At(0);
  ASSERT_EQ(max.out.size(), 3u);
  for (const auto& a : max.out) EXPECT_EQ(a.deadline_ns, -1) << a.payload;

  Recording r2;
  RecordThree(r2);
  Harness step(r2, {});
  step.clock.Set(2 * kMs);
  ASSERT_TRUE(step.rep->Step(step.clock.NowNs(), &step.out));
  ASSERT_EQ(step.out.size(), 1u);               // exactly one frame
  EXPECT_EQ(step.out[0].deadline_ns, 2 * kMs);  // due the moment it was stepped
}

TEST(ReplayAnchor, ADelayFaultMovesTheDeadlineOfWhatItDelays) {
  FaultPlan plan({std::get<FaultSpec>(ParseFaultSpec("delay:5ms@frame:2"))}, {},
                 AfterFault::kResume);
  FaultStage stage(&plan, 1, 0);
  auto frame = [](int64_t seq, int64_t deadline_ms) {
    Action a;
    a.payload = "f" + std::to_string(seq);
    a.seq = seq;
    a.deadline_ns = deadline_ms * kMs;
    return a;
  };
  std::vector<Action> in{frame(1, 10), frame(2, 13)}, out;
  stage.Filter(13 * kMs, &in, &out, false, false);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].deadline_ns, 10 * kMs);
  out.clear();
  stage.Poll(18 * kMs, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload, "f2");
  EXPECT_EQ(out[0].deadline_ns, 18 * kMs);  // 13 + the 5 ms it was delayed on purpose
}

}  // namespace
}  // namespace wsr::replay
