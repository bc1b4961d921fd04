// The fault stage (replay/fault_stage.h) with a manual clock and no sockets: every action and
// trigger on synthetic replayer output, breakpoints with step and resume, refusals by connect
// attempt, what the client did next, and a PhoenixReplayer resuming a recorded connection.
#include "replay/fault_stage.h"

#include <gtest/gtest.h>

#include "tests/replay/engine_harness.h"
#include "tests/replay/recording.h"

namespace wsr::replay {
namespace {

FaultSpec F(const std::string& text) { return std::get<FaultSpec>(ParseFaultSpec(text)); }
FaultSpec B(const std::string& text) { return std::get<FaultSpec>(ParseBreakSpec(text)); }

Action Push(int64_t seq, const std::string& event, const std::string& topic = "room:A") {
  Action a;
  a.payload = topic + " " + event + " " + std::to_string(seq);
  a.seq = seq;
  a.due_v = seq * kMs;
  a.topic = topic;
  a.event = event;
  return a;
}

Action Reply(const std::string& topic, const std::string& event = "phx_join") {
  Action a;
  a.payload = "reply " + topic;
  a.role = Action::Role::kReply;
  a.topic = topic;
  a.event = event;
  return a;
}

Action Heartbeat() {
  Action a;
  a.payload = "heartbeat reply";
  a.role = Action::Role::kHeartbeat;
  return a;
}

// One connection's stage; Emit() feeds what a replayer emitted at `ms` and returns what goes
// out (close and drop as "close CODE" / "drop").
struct Stage {
  FaultPlan* plan;
  FaultStage stage;
  Stage(FaultPlan* p, int index, int64_t start_ms = 0) : plan(p), stage(p, index, start_ms * kMs) {}

  static std::vector<std::string> Names(const std::vector<Action>& out) {
    std::vector<std::string> v;
    for (const auto& a : out) {
      if (a.kind == Action::Kind::kClose) {
        v.push_back("close " + std::to_string(a.close_code) + " " + a.close_reason);
      } else if (a.kind == Action::Kind::kDrop) {
        v.push_back("drop");
      } else {
        v.push_back(a.payload);
      }
    }
    return v;
  }
  std::vector<std::string> Emit(int64_t ms, std::vector<Action> in, bool mismatch = false) {
    std::vector<Action> out;
    stage.Filter(ms * kMs, &in, &out, false, mismatch);
    return Names(out);
  }
  std::vector<std::string> Poll(int64_t ms) {
    std::vector<Action> out;
    stage.Poll(ms * kMs, &out);
    return Names(out);
  }
  std::vector<std::string> Step(int64_t ms) {
    std::vector<Action> out;
    stage.StepHeld(ms * kMs, &out);
    return Names(out);
  }
  std::vector<std::string> Resume(int64_t ms) {
    std::vector<Action> out;
    stage.ResumeHeld(ms * kMs, &out);
    return Names(out);
  }
};

using V = std::vector<std::string>;

FaultPlan Plan(std::vector<std::string> faults, std::vector<std::string> breaks = {}) {
  std::vector<FaultSpec> f, b;
  for (auto& s : faults) f.push_back(F(s));
  for (auto& s : breaks) b.push_back(B(s));
  return FaultPlan(f, b, AfterFault::kResume);
}

TEST(FaultStage, NoFaultsPassesEverythingInOrder) {
  FaultPlan plan = Plan({});
  Stage s(&plan, 1);
  EXPECT_EQ(s.Emit(0, {Reply("room:A"), Push(1, "m"), Heartbeat(), Push(2, "m")}),
            (V{"reply room:A", "room:A m 1", "heartbeat reply", "room:A m 2"}));
  EXPECT_FALSE(s.stage.NextDeadline());
  EXPECT_FALSE(s.stage.HoldsReplayer());
  EXPECT_TRUE(plan.hits().empty());
}

TEST(FaultStage, SkipFrameNNeverSendsTheNthFrame) {
  FaultPlan plan = Plan({"skip@frame:2"});
  Stage s(&plan, 1);
  EXPECT_EQ(s.Emit(0, {Reply("room:A"), Push(1, "m")}), (V{"reply room:A"}));
  EXPECT_EQ(s.Emit(5, {Push(2, "m")}), (V{"room:A m 2"}));
  EXPECT_EQ(s.stage.suppressed(), 1);
  ASSERT_EQ(plan.hits().size(), 1u);
  EXPECT_EQ(plan.hits()[0].spec, "skip@frame:2");
  EXPECT_EQ(plan.hits()[0].before, "frame 2: push room:A m (seq 1)");
  EXPECT_EQ(plan.hits()[0].effect, "skipped (never sent)");
}

TEST(FaultStage, DuplicateEventSendsTheFirstMatchingPushTwice) {
  FaultPlan plan = Plan({"duplicate@event:m:room:B"});
  Stage s(&plan, 1);
  EXPECT_EQ(s.Emit(0, {Push(1, "m", "room:A"), Push(2, "m", "room:B"), Push(3, "m", "room:B")}),
            (V{"room:A m 1", "room:B m 2", "room:B m 2", "room:B m 3"}));
  EXPECT_EQ(plan.hits().size(), 1u);  // a fault fires once
}

TEST(FaultStage, EventTriggersOnlyOnPushesNotReplies) {
  FaultPlan plan = Plan({"skip@event:phx_join"});
  Stage s(&plan, 1);
  EXPECT_EQ(s.Emit(0, {Reply("room:A")}), (V{"reply room:A"}));
  EXPECT_TRUE(plan.hits().empty());
}

TEST(FaultStage, DelayShiftsTheFrameAndEverythingAfterIt) {
  FaultPlan plan = Plan({"delay:100ms@frame:2"});
  Stage s(&plan, 1);
  EXPECT_EQ(s.Emit(10, {Push(1, "m"), Push(2, "m"), Push(3, "m")}), (V{"room:A m 1"}));
  EXPECT_EQ(s.stage.NextDeadline(), 110 * kMs);
  EXPECT_EQ(s.Poll(109), V{});
  EXPECT_EQ(s.Emit(50, {Heartbeat()}), V{});  // a heartbeat reply waits its turn too
  EXPECT_EQ(s.Poll(110), (V{"room:A m 2", "room:A m 3"}));
  EXPECT_EQ(s.stage.NextDeadline(), 150 * kMs);
  EXPECT_EQ(s.Poll(150), (V{"heartbeat reply"}));
  // Later frames keep the delay: emitted at 200 ms, out at 300 ms.
  EXPECT_EQ(s.Emit(200, {Push(4, "m")}), V{});
  EXPECT_EQ(s.Poll(299), V{});
  EXPECT_EQ(s.Poll(300), (V{"room:A m 4"}));
  EXPECT_NE(plan.hits()[0].effect.find("delayed by 100.000ms"), std::string::npos);
}

TEST(FaultStage, CloseReplacesTheFrameAndEndsTheConnection) {
  FaultPlan plan = Plan({"close:1012:restart@event:m"});
  Stage s(&plan, 1);
  EXPECT_EQ(s.Emit(0, {Reply("room:A"), Push(1, "m"), Push(2, "m")}),
            (V{"reply room:A", "close 1012 restart"}));
  EXPECT_TRUE(s.stage.ended_by_fault());
  EXPECT_TRUE(s.stage.HoldsReplayer());
  EXPECT_EQ(s.stage.suppressed(), 2);
  EXPECT_EQ(s.Emit(5, {Heartbeat(), Push(3, "m")}), V{});
  EXPECT_EQ(s.stage.end_note(), "fault close:1012:restart@event:m: closed 1012");
}

TEST(FaultStage, DropEndsWithoutCloseFrame) {
  FaultPlan plan = Plan({"drop@frame:1"});
  Stage s(&plan, 1);
  EXPECT_EQ(s.Emit(0, {Push(1, "m")}), (V{"drop"}));
  EXPECT_TRUE(s.stage.ended_by_fault());
}

TEST(FaultStage, StallSendsNothingMoreHeartbeatRepliesIncluded) {
  FaultPlan plan = Plan({"stall@frame:2"});
  Stage s(&plan, 1);
  EXPECT_EQ(s.Emit(0, {Push(1, "m"), Push(2, "m")}), (V{"room:A m 1"}));
  EXPECT_EQ(s.Emit(30, {Heartbeat()}), V{});
  EXPECT_EQ(s.Emit(60, {Heartbeat(), Push(3, "m")}), V{});
  EXPECT_TRUE(s.stage.ended_by_fault());
  EXPECT_FALSE(s.stage.NextDeadline());
}

TEST(FaultStage, TimeTriggerFiresAtThatOffsetWithoutAFrame) {
  FaultPlan plan = Plan({"drop@time:50ms"});
  Stage s(&plan, 1, /*start_ms=*/1000);
  EXPECT_EQ(s.Emit(1010, {Push(1, "m")}), (V{"room:A m 1"}));
  EXPECT_EQ(s.stage.NextDeadline(), 1050 * kMs);
  EXPECT_EQ(s.Poll(1049), V{});
  EXPECT_EQ(s.Poll(1050), (V{"drop"}));
  EXPECT_EQ(plan.hits()[0].at_ns, 50 * kMs);
}

TEST(FaultStage, TimeTriggerOnAFrameActionTakesTheFirstFrameAfterIt) {
  FaultPlan plan = Plan({"skip@time:100ms"});
  Stage s(&plan, 1);
  EXPECT_EQ(s.Emit(99, {Push(1, "m")}), (V{"room:A m 1"}));
  EXPECT_EQ(s.Emit(101, {Push(2, "m"), Push(3, "m")}), (V{"room:A m 3"}));
}

TEST(FaultStage, ConnKOnlyOnThatConnectionAndOnlyOnce) {
  FaultPlan plan = Plan({"skip@frame:1,conn=2"});
  Stage one(&plan, 1);
  EXPECT_EQ(one.Emit(0, {Push(1, "m")}), (V{"room:A m 1"}));
  Stage two(&plan, 2);
  EXPECT_EQ(two.Emit(0, {Push(1, "m")}), V{});
  Stage three(&plan, 3);
  EXPECT_EQ(three.Emit(0, {Push(1, "m")}), (V{"room:A m 1"}));
  EXPECT_EQ(plan.hits().size(), 1u);
  EXPECT_EQ(plan.hits()[0].connection, 2);
}

TEST(FaultStage, RefuseByConnectAttemptAndWhatTheClientDidNext) {
  FaultPlan plan = Plan({"refuse:429@connect:2"});
  EXPECT_EQ(plan.OnUpgradeAttempt(0, 1), 0);
  plan.OnConnected(1);
  EXPECT_EQ(plan.OnUpgradeAttempt(100 * kMs, 2), 429);
  EXPECT_EQ(plan.OnUpgradeAttempt(350 * kMs, 3), 0);
  plan.OnConnected(3);
  EXPECT_EQ(plan.OnUpgradeAttempt(400 * kMs, 4), 0);
  ASSERT_EQ(plan.hits().size(), 1u);
  const FaultHit& h = plan.hits()[0];
  EXPECT_EQ(h.effect, "refused with HTTP 429");
  EXPECT_EQ(h.connection, 2);
  EXPECT_EQ(h.reconnect_after_ns, 250 * kMs);
  EXPECT_EQ(h.next_connection, 3);
}

TEST(FaultStage, AfterACloseTheHitTellsReconnectRejoinsAndFramesAfter) {
  FaultPlan plan = Plan({"close:1012@frame:3"});
  {
    Stage s(&plan, 1);
    EXPECT_EQ(s.Emit(0, {Reply("room:A"), Push(1, "m"), Push(2, "m")}).back(), "close 1012 ");
  }
  EXPECT_EQ(plan.OnUpgradeAttempt(40 * kMs, 2), 0);
  plan.OnConnected(2);
  Stage s2(&plan, 2, 41);
  s2.Emit(45, {Reply("room:A"), Reply("room:B"), Push(2, "m"), Push(3, "m")});
  const FaultHit& h = plan.hits()[0];
  EXPECT_EQ(h.reconnect_after_ns, 40 * kMs);
  EXPECT_EQ(h.next_connection, 2);
  EXPECT_EQ(h.rejoined, (V{"room:A", "room:B"}));
  EXPECT_EQ(h.frames_after, 2);
  EXPECT_NE(h.ToText().find("client reconnected after 40.000ms (connection 2), rejoined room:A, "
                            "room:B; 2 frames delivered after it"),
            std::string::npos)
      << h.ToText();
}

TEST(FaultStage, DeliveredSeqsAreTrackedOnlyWhenAFaultCanEndAConnection) {
  FaultPlan none = Plan({"skip@frame:9"});
  Stage a(&none, 1);
  a.Emit(0, {Push(1, "m"), Push(2, "m")});
  EXPECT_TRUE(a.stage.delivered().empty());
  FaultPlan ending = Plan({"drop@frame:3"});
  Stage b(&ending, 1);
  b.Emit(0, {Push(1, "m"), Push(2, "m"), Push(3, "m")});
  EXPECT_EQ(b.stage.delivered(), (std::set<int64_t>{1, 2}));
  EXPECT_EQ(b.stage.reached_v(), 2 * kMs);
}

TEST(FaultStage, BreakpointHoldsStepReleasesExactlyOneResumeTheRest) {
  FaultPlan plan = Plan({}, {"event:m"});
  Stage s(&plan, 1);
  EXPECT_EQ(s.Emit(0, {Push(1, "x"), Push(2, "m"), Push(3, "x")}), (V{"room:A x 1"}));
  EXPECT_TRUE(s.stage.TakeBreakHit());
  EXPECT_FALSE(s.stage.TakeBreakHit());
  EXPECT_TRUE(s.stage.at_break());
  EXPECT_TRUE(s.stage.HoldsReplayer());
  // Heartbeats and replies are still answered while paused.
  EXPECT_EQ(s.Emit(5, {Heartbeat(), Reply("room:B")}), (V{"heartbeat reply", "reply room:B"}));
  EXPECT_EQ(s.Poll(1000), V{});
  EXPECT_EQ(s.Step(1000), (V{"room:A m 2"}));
  EXPECT_TRUE(s.stage.at_break());
  EXPECT_EQ(s.Step(1000), (V{"room:A x 3"}));
  EXPECT_FALSE(s.stage.at_break());
  // Every matching push breaks again.
  EXPECT_EQ(s.Emit(2000, {Push(4, "m"), Push(5, "x")}), V{});
  EXPECT_TRUE(s.stage.TakeBreakHit());
  EXPECT_EQ(s.Resume(2000), (V{"room:A m 4", "room:A x 5"}));
  EXPECT_EQ(plan.hits().size(), 2u);
  EXPECT_EQ(plan.hits()[1].before, "frame 4: push room:A m (seq 4)");
  EXPECT_EQ(plan.hits()[1].spec, "break event:m");
}

TEST(FaultStage, SteppedFramesPassBreakpoints) {
  FaultPlan plan = Plan({}, {"frame:1"});
  Stage s(&plan, 1);
  std::vector<Action> in{Push(1, "m")}, out;
  s.stage.Filter(0, &in, &out, /*stepping=*/true);
  EXPECT_EQ(Stage::Names(out), (V{"room:A m 1"}));
  EXPECT_FALSE(s.stage.TakeBreakHit());
}

TEST(FaultStage, MismatchBreakpointHoldsTheAnswer) {
  FaultPlan plan = Plan({}, {"mismatch"});
  Stage s(&plan, 1);
  EXPECT_EQ(s.Emit(0, {Push(1, "m")}), (V{"room:A m 1"}));
  Action err = Reply("room:C", "phx_join");
  err.role = Action::Role::kFrame;  // the error reply to a mismatched frame
  err.payload = "error reply";
  EXPECT_EQ(s.Emit(10, {err}, /*mismatch=*/true), V{});
  EXPECT_TRUE(s.stage.TakeBreakHit());
  EXPECT_EQ(s.Resume(20), (V{"error reply"}));
  // No answer (a frame without ref): the clock still pauses.
  EXPECT_EQ(s.Emit(30, {}, /*mismatch=*/true), V{});
  EXPECT_TRUE(s.stage.TakeBreakHit());
}

TEST(FaultStage, TimeBreakpointPausesOncePerConnection) {
  FaultPlan plan = Plan({}, {"time:2s"});
  Stage s(&plan, 1);
  EXPECT_EQ(s.stage.NextDeadline(), 2000 * kMs);
  s.Poll(2000);
  EXPECT_TRUE(s.stage.TakeBreakHit());
  s.Poll(3000);
  EXPECT_FALSE(s.stage.TakeBreakHit());
  EXPECT_FALSE(s.stage.NextDeadline());
}

TEST(FaultStage, RemovedBreakpointNoLongerHolds) {
  FaultPlan plan = Plan({}, {"event:m"});
  EXPECT_TRUE(plan.RemoveBreak(B("event:m")));
  EXPECT_FALSE(plan.RemoveBreak(B("event:m")));
  Stage s(&plan, 1);
  EXPECT_EQ(s.Emit(0, {Push(1, "m")}), (V{"room:A m 1"}));
}

TEST(FaultStage, ResumePointsMatchPathAndQueryOldestFirst) {
  FaultPlan plan = Plan({"drop@frame:1"});
  plan.AddResumePoint({0, "/socket", "vsn=2.0.0&api_key=redacted:api_key:1", 1, nullptr});
  plan.AddResumePoint({1, "/socket", "vsn=2.0.0&api_key=redacted:api_key:1", 2, nullptr});
  EXPECT_FALSE(plan.TakeResumePoint("/other", "vsn=2.0.0&api_key=k"));
  EXPECT_FALSE(plan.TakeResumePoint("/socket", "vsn=1.0.0&api_key=k"));
  EXPECT_EQ(plan.TakeResumePoint("/socket", "api_key=live&vsn=2.0.0")->live_index, 1);
  EXPECT_EQ(plan.TakeResumePoint("/socket", "api_key=live&vsn=2.0.0")->live_index, 2);
  EXPECT_FALSE(plan.TakeResumePoint("/socket", "api_key=live&vsn=2.0.0"));
}

TEST(FaultStage, ReplayerResumingSkipsWhatWasDeliveredAndKeepsTheRecordedGaps) {
  testing::Recording r;
  testing::RecordJoinAndThreePushes(r);
  ReplayOptions o;
  auto from = std::make_shared<ResumeFrom>();
  // First connection: m1 went out (seq 2), then a fault ended it.
  {
    auto rep = MakeReplayer(r.source(), r.connection(), o);
    rep->Start(0);
    std::vector<Action> out;
    rep->OnClientMessage(0, 1, R"(["1","1","room:A","phx_join",{}])", &out);
    rep->Poll(100 * kMs, &out);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[1].seq, 2);
    EXPECT_EQ(out[1].event, "m");
    EXPECT_EQ(out[1].topic, "room:A");
    EXPECT_EQ(out[0].role, Action::Role::kReply);
    from->delivered.insert(out[1].seq);
    from->v = out[1].due_v;
  }
  // The reconnect, 5 s later: the join is answered again, m2 follows 100 ms after the rejoin
  // (its recorded gap after m1), then m3; m1 is not sent again.
  auto rep = MakeReplayer(r.source(), r.connection(), o, from);
  int64_t t0 = 5000 * kMs;
  rep->Start(t0);
  std::vector<Action> out;
  rep->OnClientMessage(t0 + 20 * kMs, 1, R"(["9","9","room:A","phx_join",{}])", &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload, R"(["9","9","room:A","phx_reply",{"status":"ok","response":{}}])");
  out.clear();
  EXPECT_EQ(rep->NextDeadline(), t0 + 120 * kMs);
  rep->Poll(t0 + 120 * kMs, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload, R"(["9",null,"room:A","m",{"n":2}])");
  out.clear();
  rep->Poll(t0 + 220 * kMs, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload, R"(["9",null,"room:A","m",{"n":3}])");
  rep->Finish(t0 + 300 * kMs);
  EXPECT_EQ(rep->report().undelivered_count, 0);
}

}  // namespace
}  // namespace wsr::replay
