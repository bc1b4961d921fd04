// PhoenixReplayer with a manual clock, no sockets: timing, ordering, ref rewriting,
// heartbeats, leave/close, join-timeout, --order topic, mismatches.
#include <gtest/gtest.h>

#include "tests/replay/engine_harness.h"
#include "tests/replay/recording.h"
#include "tests/support/temp_dir.h"

namespace wsr::replay {
namespace {

using testing::Recording;

// Recorded: join A (reply at 10 ms), join B (reply at 20 ms), pushes A1@200, B1@300, A2@400,
// heartbeat + reply at 250 ms.
void RecordTwoTopics(Recording& r) {
  r.Connect();
  r.C(5, R"(["1","1","room:A","phx_join",{}])");
  r.S(10, R"(["1","1","room:A","phx_reply",{"status":"ok","response":{"a":1}}])");
  r.C(15, R"(["2","2","room:B","phx_join",{}])");
  r.S(20, R"(["2","2","room:B","phx_reply",{"status":"ok","response":{}}])");
  r.S(200, R"(["1",null,"room:A","msg",{"n":"A1"}])");
  r.C(250, R"([null,"3","phoenix","heartbeat",{}])");
  r.S(251, R"([null,"3","phoenix","phx_reply",{"status":"ok","response":{}}])");
  r.S(300, R"(["2",null,"room:B","msg",{"n":"B1"}])");
  r.S(400, R"(["1",null,"room:A","msg",{"n":"A2"}])");
  r.Finish();
}

ReplayOptions Speed(double s) {
  ReplayOptions o;
  o.speed = s;
  return o;
}

TEST(PhoenixReplayer, JoinReplyRewritesStringAndNumericRefs) {
  Recording r;
  RecordTwoTopics(r);
  Harness h(r, Speed(1));
  h.Send(R"(["7","7","room:A","phx_join",{}])");
  h.Send(R"([9,9,"room:B","phx_join",{}])");
  auto got = h.Take();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], R"(["7","7","room:A","phx_reply",{"status":"ok","response":{"a":1}}])");
  EXPECT_EQ(got[1], R"([9,9,"room:B","phx_reply",{"status":"ok","response":{}}])");
  EXPECT_EQ(h.rep->report().mode, "phoenix");
}

// A server ping recorded between pushes is released in its place with its opcode (sent as a
// ping frame); the recorded close frame is not (the connection's close is replayed instead).
TEST(PhoenixReplayer, ServerPingGoesOutInOrderWithThePushes) {
  Recording r;
  r.Connect();
  r.C(5, R"(["1","1","room:A","phx_join",{}])");
  r.S(10, R"(["1","1","room:A","phx_reply",{"status":"ok","response":{}}])");
  r.S(100, R"(["1",null,"room:A","msg",{"n":1}])");
  r.S(150, "ping?", 9);
  r.S(200, R"(["1",null,"room:A","msg",{"n":2}])");
  r.S(300, std::string("\x03\xe8", 2), 8);
  r.Close(300, 1000, "", "upstream");
  r.Finish();
  Harness h(r, Speed(1));
  h.Send(R"(["1","1","room:A","phx_join",{}])");
  h.out.clear();
  h.At(150);
  ASSERT_EQ(h.out.size(), 2u);
  EXPECT_EQ(h.out[0].opcode, 1);
  EXPECT_EQ(h.out[1].opcode, 9);
  EXPECT_EQ(h.out[1].payload, "ping?");
  h.out.clear();
  h.At(300);
  ASSERT_EQ(h.out.size(), 2u);
  EXPECT_EQ(h.out[0].payload, R"(["1",null,"room:A","msg",{"n":2}])");
  EXPECT_EQ(h.out[1].kind, Action::Kind::kClose);
  EXPECT_EQ(h.rep->report().delivered, 4);  // the join reply, two pushes, the ping
}

TEST(PhoenixReplayer, HeartbeatsAnsweredAtOnceRecordedOnesIgnored) {
  Recording r;
  RecordTwoTopics(r);
  Harness h(r, Speed(1));
  h.Send(R"([null,"42","phoenix","heartbeat",{}])");
  h.Send(R"([null,43,"phoenix","heartbeat",{}])");
  auto got = h.Take();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], R"([null,"42","phoenix","phx_reply",{"status":"ok","response":{}}])");
  EXPECT_EQ(got[1], R"([null,43,"phoenix","phx_reply",{"status":"ok","response":{}}])");
  EXPECT_EQ(h.rep->report().heartbeats, 2);
  EXPECT_EQ(h.rep->report().mismatch_count, 0);
}

TEST(PhoenixReplayer, ExactTimingAtSpeedOne) {
  Recording r;
  RecordTwoTopics(r);
  Harness h(r, Speed(1));
  h.Send(R"(["1","1","room:A","phx_join",{}])");
  h.Send(R"(["2","2","room:B","phx_join",{}])");
  h.Take();
  auto seen = h.RunUntil(10000);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0],
            std::make_pair(int64_t{200}, std::string(R"(["1",null,"room:A","msg",{"n":"A1"}])")));
  EXPECT_EQ(seen[1].first, 300);
  EXPECT_EQ(seen[2].first, 400);
  EXPECT_EQ(h.rep->report().lateness.MaxNs(), 0);
  h.At(199);  // nothing left
  EXPECT_TRUE(h.Take().empty());
}

// The replayer reads its recording through a SessionSource: from memory (the other tests) and
// from a cassette file (the server) it plays the same frames at the same times.
TEST(PhoenixReplayer, SameReplayFromMemoryAndFromACassetteFile) {
  testing::TempDir dir;
  Recording in_memory;
  Recording in_file(dir.File("c.db"));
  std::vector<std::vector<std::pair<int64_t, std::string>>> runs;
  std::vector<std::string> modes;
  for (Recording* r : {&in_memory, &in_file}) {
    RecordTwoTopics(*r);
    Harness h(*r, Speed(1));
    modes.push_back(h.rep->report().mode);
    h.clock.Set(30 * kMs);
    h.Send(R"(["7","7","room:B","phx_join",{}])");
    h.Send(R"([null,"8","phoenix","heartbeat",{}])");
    h.clock.Set(250 * kMs);
    h.Send(R"(["9","9","room:A","phx_join",{}])");
    runs.push_back(h.RunUntil(10000));
  }
  EXPECT_EQ(modes, (std::vector<std::string>{"phoenix", "phoenix"}));
  ASSERT_EQ(runs[0].size(), 6u);  // 2 join replies, 1 heartbeat reply, 3 pushes
  EXPECT_EQ(runs[0], runs[1]);
}

TEST(PhoenixReplayer, ExactTimingAtSpeedTen) {
  Recording r;
  RecordTwoTopics(r);
  Harness h(r, Speed(10));
  h.Send(R"(["1","1","room:A","phx_join",{}])");
  h.Send(R"(["2","2","room:B","phx_join",{}])");
  h.Take();
  h.At(19);
  EXPECT_TRUE(h.Take().empty());
  auto seen = h.RunUntil(10000);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].first, 20);
  EXPECT_EQ(seen[1].first, 30);
  EXPECT_EQ(seen[2].first, 40);
}

TEST(PhoenixReplayer, MaxSpeedSendsAsSoonAsOrderAllows) {
  Recording r;
  RecordTwoTopics(r);
  Harness h(r, Speed(0));
  h.Send(R"(["1","1","room:A","phx_join",{}])");
  auto got = h.Take();
  ASSERT_EQ(got.size(), 2u);  // reply + A1; B1 waits for B's join
  EXPECT_EQ(got[1], R"(["1",null,"room:A","msg",{"n":"A1"}])");
  h.Send(R"(["2","2","room:B","phx_join",{}])");
  got = h.Take();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1], R"(["2",null,"room:B","msg",{"n":"B1"}])");
  EXPECT_EQ(got[2], R"(["1",null,"room:A","msg",{"n":"A2"}])");
}

TEST(PhoenixReplayer, LateJoinKeepsTheRecordedGapAfterTheJoinReply) {
  Recording r;
  RecordTwoTopics(r);
  Harness h(r, Speed(1));
  h.Send(R"(["2","2","room:B","phx_join",{}])");
  h.At(1000);
  h.Send(R"(["5","5","room:A","phx_join",{}])");  // recorded reply at 10 ms: 990 ms late
  h.Take();
  auto seen = h.RunUntil(10000);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0],
            std::make_pair(int64_t{1190}, std::string(R"(["5",null,"room:A","msg",{"n":"A1"}])")));
  EXPECT_EQ(seen[1].first, 1190);  // B1 was due (300 ms) and only waited for A1
  EXPECT_EQ(seen[1].second, R"(["2",null,"room:B","msg",{"n":"B1"}])");
  EXPECT_EQ(seen[2].first, 1390);
}

TEST(PhoenixReplayer, OrderIsRecordedOrderWhateverTheJoinOrder) {
  Recording r;
  RecordTwoTopics(r);
  for (double speed : {1.0, 10.0, 0.0}) {
    Harness h(r, Speed(speed));
    h.Send(R"(["1","1","room:B","phx_join",{}])");
    h.Take();
    h.At(350);
    h.Send(R"(["2","2","room:A","phx_join",{}])");
    h.out.erase(h.out.begin());  // the join reply; at max speed pushes follow at once
    auto seen = h.RunUntil(100000);
    ASSERT_EQ(seen.size(), 3u) << speed;
    EXPECT_NE(seen[0].second.find("A1"), std::string::npos);
    EXPECT_NE(seen[1].second.find("B1"), std::string::npos);
    EXPECT_EQ(seen[1].second, R"(["1",null,"room:B","msg",{"n":"B1"}])");
    EXPECT_NE(seen[2].second.find("A2"), std::string::npos);
  }
}

TEST(PhoenixReplayer, JoinTimeoutSkipsHeldPushesAndTheRestContinue) {
  Recording r;
  RecordTwoTopics(r);
  Harness h(r, Speed(1));
  h.Send(R"(["2","2","room:B","phx_join",{}])");  // room:A never joined
  h.Take();
  h.At(5199);
  EXPECT_TRUE(h.Take().empty());
  auto seen = h.RunUntil(100000);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].first, 5200);  // A1 due at 200 ms, skipped at 5.2 s; B1 follows at once
  EXPECT_NE(seen[0].second.find("B1"), std::string::npos);
  const auto& rep = h.rep->report();
  ASSERT_EQ(rep.undelivered_count, 2);  // A1 and A2 (A2 due 400 ms, skipped at 5.4 s)
  EXPECT_NE(rep.undelivered[0].reason.find("room:A' was never joined"), std::string::npos);
  EXPECT_EQ(rep.delivered, 2);
}

TEST(PhoenixReplayer, OrderTopicDoesNotWaitForOtherTopics) {
  Recording r;
  RecordTwoTopics(r);
  ReplayOptions o = Speed(1);
  o.order = Order::kTopic;
  Harness h(r, o);
  h.Send(R"(["2","2","room:B","phx_join",{}])");
  h.Take();
  auto seen = h.RunUntil(1000);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].first, 300);
}

TEST(PhoenixReplayer, LeaveRepliesThenClosesAndStopsPushes) {
  Recording r;
  r.Connect();
  r.C(5, R"(["1","1","room:A","phx_join",{}])");
  r.S(10, R"(["1","1","room:A","phx_reply",{"status":"ok","response":{}}])");
  r.C(50, R"(["1","2","room:A","phx_leave",{}])");
  r.S(51, R"(["1","2","room:A","phx_reply",{"status":"ok","response":{}}])");
  r.S(52, R"(["1","1","room:A","phx_close",{}])");
  r.C(80, R"(["3","3","room:A","phx_join",{}])");
  r.S(81, R"(["3","3","room:A","phx_reply",{"status":"ok","response":{}}])");
  r.S(100, R"(["3",null,"room:A","msg",{}])");
  r.Finish();
  ReplayOptions o = Speed(0);
  o.join_timeout_ns = 100 * kMs;
  Harness h(r, o);
  h.Send(R"(["11","11","room:A","phx_join",{}])");
  h.Send(R"(["11","12","room:A","phx_leave",{}])");
  auto got = h.Take();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1], R"(["11","12","room:A","phx_reply",{"status":"ok","response":{}}])");
  EXPECT_EQ(got[2], R"(["11","11","room:A","phx_close",{}])");
  auto seen = h.RunUntil(1000);
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(h.rep->report().undelivered_count, 1);
  EXPECT_NE(h.rep->report().undelivered[0].reason.find("join #2 of topic 'room:A' never came"),
            std::string::npos)
      << h.rep->report().undelivered[0].reason;
}

TEST(PhoenixReplayer, MismatchRepliesErrorWithExplanation) {
  Recording r;
  RecordTwoTopics(r);
  Harness h(r, Speed(1));
  h.Send(R"(["3","3","room:C","phx_join",{}])");
  h.Send(R"(["4","4","room:A","phx_join",{"since":5}])");
  auto got = h.Take();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(
      got[0].rfind(
          R"(["3","3","room:C","phx_reply",{"status":"error","response":{"reason":"not in cassette: )",
          0),
      0u)
      << got[0];
  const auto& rep = h.rep->report();
  ASSERT_EQ(rep.mismatch_count, 2);
  EXPECT_NE(rep.mismatches[0].explanation.find("topic 'room:C' is not in the cassette"),
            std::string::npos);
  EXPECT_NE(rep.mismatches[0].explanation.find("room:A"), std::string::npos);
  EXPECT_NE(rep.mismatches[1].explanation.find("/since"), std::string::npos)
      << rep.mismatches[1].explanation;
  EXPECT_EQ(rep.mismatches[1].action, "replied phx_reply error");
  // The join still works with the recorded payload.
  h.Send(R"(["5","5","room:A","phx_join",{}])");
  EXPECT_EQ(h.Take().size(), 1u);
}

TEST(PhoenixReplayer, MismatchCloseMode) {
  Recording r;
  RecordTwoTopics(r);
  ReplayOptions o = Speed(1);
  o.on_mismatch = OnMismatch::kClose;
  Harness h(r, o);
  h.Send(R"(["3","3","room:C","phx_join",{}])");
  ASSERT_EQ(h.out.size(), 1u);
  EXPECT_EQ(h.out[0].kind, Action::Kind::kClose);
  EXPECT_EQ(h.out[0].close_code, 4400);
  EXPECT_NE(h.out[0].close_reason.find("not in cassette"), std::string::npos);
  EXPECT_LE(h.out[0].close_reason.size(), 123u);
}

TEST(PhoenixReplayer, IgnoreJsonPointer) {
  Recording r;
  RecordTwoTopics(r);
  ReplayOptions o = Speed(1);
  o.ignore_json = {"/token"};
  Harness h(r, o);
  h.Send(R"(["4","4","room:A","phx_join",{"token":"xyz"}])");
  auto got = h.Take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].find("\"ok\""), std::string::npos);
}

TEST(PhoenixReplayer, MaxGapCapsEverySingleWait) {
  Recording r;
  r.Connect();
  r.S(10000, R"([null,null,"news","n",{"i":1}])");
  r.S(10100, R"([null,null,"news","n",{"i":2}])");
  r.S(30000, R"([null,null,"news","n",{"i":3}])");
  r.Finish();
  ReplayOptions o = Speed(1);
  o.max_gap_ns = 2000 * kMs;
  Harness h(r, o);
  auto seen = h.RunUntil(100000);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].first, 2000);
  EXPECT_EQ(seen[1].first, 2100);  // recorded gap kept below the cap
  EXPECT_EQ(seen[2].first, 4100);
}

TEST(PhoenixReplayer, StepReleasesTheNextFrameWithoutTime) {
  Recording r;
  RecordTwoTopics(r);
  Harness h(r, Speed(1));
  h.Send(R"(["1","1","room:A","phx_join",{}])");
  h.Send(R"(["2","2","room:B","phx_join",{}])");
  h.Take();
  EXPECT_TRUE(h.rep->Step(h.clock.NowNs(), &h.out));
  auto got = h.Take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].find("A1"), std::string::npos);
  h.rep->Poll(h.clock.NowNs(), &h.out);
  EXPECT_TRUE(h.Take().empty());  // B1 is still 100 recorded ms away
  EXPECT_EQ(h.rep->NextDeadline(), 100 * kMs);
  EXPECT_TRUE(h.rep->Step(h.clock.NowNs(), &h.out));
  EXPECT_TRUE(h.rep->Step(h.clock.NowNs(), &h.out));
  EXPECT_FALSE(h.rep->Step(h.clock.NowNs(), &h.out));
  EXPECT_EQ(h.Take().size(), 2u);
}

TEST(PhoenixReplayer, PauseHoldsAndResumeContinues) {
  Recording r;
  RecordTwoTopics(r);
  Harness h(r, Speed(1));
  h.Send(R"(["1","1","room:A","phx_join",{}])");
  h.Send(R"(["2","2","room:B","phx_join",{}])");
  h.Take();
  h.At(100);
  h.rep->Pause(h.clock.NowNs());
  EXPECT_FALSE(h.rep->NextDeadline().has_value());
  h.At(1000);
  EXPECT_TRUE(h.Take().empty());
  h.rep->Resume(h.clock.NowNs());
  auto seen = h.RunUntil(10000);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].first, 1100);
}

TEST(PhoenixReplayer, ServerCloseReplayedAfterPushes) {
  Recording r;
  r.Connect();
  r.S(100, R"([null,null,"news","n",{}])");
  r.Close(500, 1012, "service restart", "upstream");
  r.Finish();
  Harness h(r, Speed(1));
  auto seen = h.RunUntil(400);
  EXPECT_EQ(seen.size(), 1u);
  h.At(500);
  ASSERT_EQ(h.out.size(), 1u);
  EXPECT_EQ(h.out[0].kind, Action::Kind::kClose);
  EXPECT_EQ(h.out[0].close_code, 1012);
  EXPECT_EQ(h.out[0].close_reason, "service restart");
}

TEST(PhoenixReplayer, FinishListsUndeliveredWithReasons) {
  Recording r;
  RecordTwoTopics(r);
  Harness h(r, Speed(1));
  h.Send(R"(["1","1","room:A","phx_join",{}])");
  h.At(250);
  h.rep->OnClientClose(h.clock.NowNs(), 1000, "");
  h.rep->Finish(h.clock.NowNs());
  const auto& rep = h.rep->report();
  EXPECT_EQ(rep.delivered, 2);  // join reply + A1
  ASSERT_EQ(rep.undelivered_count, 2);
  EXPECT_NE(rep.undelivered[0].reason.find("room:B' was never joined"), std::string::npos);
  EXPECT_EQ(rep.undelivered[1].reason, "connection ended before it was due");
  EXPECT_EQ(rep.close, "client closed 1000");
}

}  // namespace
}  // namespace wsr::replay
