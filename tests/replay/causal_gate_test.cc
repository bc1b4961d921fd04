// Causality between the REST half and the WebSocket half (causal_gate.h) with a manual clock,
// in memory: which exchange a frame waits for, pushes held until the live client's request was
// answered and then sent after their recorded delay, never skipped, reported when the request
// never comes; Phoenix and raw replayers.
#include "replay/causal_gate.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/replay/engine_harness.h"
#include "tests/replay/recording.h"

namespace wsr::replay {
namespace {

using testing::Recording;

constexpr char kJoin[] = R"(["1","1","chat_room:c1","phx_join",{}])";
constexpr char kPost[] = "/api/v1/agent/chats/c1/messages";

// join at 5 ms (reply 10 ms); GET /agent/me at 50 ms (#1); POST message at 100 ms (#2, response
// ends 101 ms); its push 2 ms later (103 ms); a periodic GET at 200 ms (#3); a second push at
// 400 ms (still caused by the POST: GETs are never causes).
void RecordPostThenPush(Recording& r) {
  r.Connect();
  r.C(5, kJoin);
  r.S(10, R"(["1","1","chat_room:c1","phx_reply",{"status":"ok","response":{}}])");
  r.Http(50, "GET", "/api/v1/agent/me", "", 200, R"({"data":{"id":"a1"}})");
  r.Http(100, "POST", kPost, R"({"message":{"content":"hi"}})", 201, R"({"data":{"id":"m1"}})");
  r.S(103, R"(["1",null,"chat_room:c1","message_created",{"id":"m1"}])");
  r.Http(200, "GET", "/api/v1/agent/peers", "", 200, R"({"data":[]})");
  r.S(400, R"(["1",null,"chat_room:c1","message_created",{"id":"m2"}])");
  r.Finish();
}

// RecordPostThenPush replayed at `speed` with its gate, the topic joined.
struct Joined {
  Recording r;
  std::unique_ptr<CausalGate> gate;
  std::unique_ptr<Harness> h;
  explicit Joined(double speed, const std::string& join = kJoin) {
    RecordPostThenPush(r);
    gate = std::make_unique<CausalGate>(r.source().Exchanges());
    h = std::make_unique<Harness>(r, ReplayOptions{.speed = speed}, gate.get());
    h->Send(join);
    h->Take();
  }
};

TEST(CausalGate, AFrameWaitsForTheLatestUnsafeRequestAnsweredBeforeIt) {
  Recording r;
  RecordPostThenPush(r);
  CausalGate gate(r.source().Exchanges());
  EXPECT_EQ(gate.CauseOf(10 * kMs), -1);   // before any request
  EXPECT_EQ(gate.CauseOf(60 * kMs), -1);   // a GET is never a cause
  EXPECT_EQ(gate.CauseOf(100 * kMs), -1);  // the POST's response ends at 101 ms
  EXPECT_EQ(gate.CauseOf(101 * kMs), 1);
  EXPECT_EQ(gate.CauseOf(103 * kMs), 1);
  EXPECT_EQ(gate.CauseOf(400 * kMs), 1);  // the GET at 200 ms does not replace it
  EXPECT_EQ(gate.Describe(1), std::string("request #2 POST ") + kPost);
  EXPECT_FALSE(gate.answered(1));
  gate.Answered(1, 5);
  EXPECT_TRUE(gate.answered(1));
  EXPECT_TRUE(CausalGate::SafeMethod("GET"));
  EXPECT_FALSE(CausalGate::SafeMethod("DELETE"));
}

TEST(CausalGate, PushWaitsForThePostThenKeepsItsRecordedDelay) {
  Joined j(1, R"(["7","7","chat_room:c1","phx_join",{}])");
  Harness& h = *j.h;
  // Long past the push's recorded time: nothing, and nothing to wait for but the client.
  h.At(5000);
  EXPECT_TRUE(h.out.empty());
  EXPECT_FALSE(h.rep->NextDeadline().has_value());
  auto status = h.rep->Status(h.clock.NowNs());
  EXPECT_EQ(status["pending"][0]["waits_for"], std::string("request #2 POST ") + kPost)
      << status.dump();
  EXPECT_TRUE(h.rep->report().undelivered.empty());  // held, never skipped (no join timeout)
  // Stepping does not release it either.
  EXPECT_FALSE(h.rep->Step(h.clock.NowNs(), &h.out));
  // The client POSTs at 6 s (recorded: 101 ms): the push follows 2 ms later, the second one
  // keeps its recorded 297 ms after the first.
  h.clock.Set(6000 * kMs);
  h.Answer(0);  // the GET: not a cause
  EXPECT_TRUE(h.out.empty());
  h.Answer(1);
  EXPECT_TRUE(h.out.empty());
  EXPECT_EQ(h.rep->NextDeadline(), 6002 * kMs);
  auto seen = h.RunUntil(7000);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].first, 6002);
  EXPECT_NE(seen[0].second.find(R"("id":"m1")"), std::string::npos) << seen[0].second;
  EXPECT_EQ(seen[0].second.substr(0, 5), R"(["7",)");
  EXPECT_EQ(seen[1].first, 6299);
  EXPECT_EQ(h.rep->report().delivered, 3);
}

TEST(CausalGate, DelayScalesWithSpeed) {
  Joined j(2);
  Harness& h = *j.h;
  h.At(1000);  // recorded time 2000 ms
  h.Answer(1);
  EXPECT_EQ(h.rep->NextDeadline(), 1001 * kMs);  // 2 recorded ms at speed 2
}

TEST(CausalGate, AnEarlyRequestLeavesThePushAtItsRecordedTime) {
  Joined j(1);
  Harness& h = *j.h;
  h.At(20);
  h.Answer(1);  // 81 ms earlier than recorded
  auto seen = h.RunUntil(1000);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].first, 103);
  EXPECT_EQ(seen[1].first, 400);
}

TEST(CausalGate, AtMaxSpeedThePushGoesWithTheAnswer) {
  Joined j(0);
  Harness& h = *j.h;
  h.At(1);
  EXPECT_TRUE(h.out.empty());
  h.Answer(1);
  EXPECT_EQ(h.Take().size(), 2u);
}

TEST(CausalGate, ARequestNeverMadeLeavesThePushUndeliveredNamingIt) {
  Joined j(1);
  Harness& h = *j.h;
  h.At(60000);  // far past --join-timeout: a causal hold is not a join hold
  EXPECT_TRUE(h.out.empty());
  h.rep->Finish(h.clock.NowNs());
  const auto& rep = h.rep->report();
  ASSERT_EQ(rep.undelivered_count, 2);
  EXPECT_EQ(rep.undelivered[0].reason,
            std::string("waited for request #2 POST ") + kPost + ", which the client never made");
}

// The client made the request but its response was never sent (it disconnected while the
// response was held): the report says so rather than "never made".
TEST(CausalGate, ARequestNeverAnsweredLeavesThePushUndeliveredSayingSo) {
  Joined j(1);
  Harness& h = *j.h;
  j.gate->Requested(1);
  h.At(60000);
  EXPECT_TRUE(h.out.empty());
  h.rep->Finish(h.clock.NowNs());
  const auto& rep = h.rep->report();
  ASSERT_EQ(rep.undelivered_count, 2);
  EXPECT_EQ(rep.undelivered[0].reason, std::string("waited for request #2 POST ") + kPost +
                                           ", which the client made but whose response was "
                                           "never sent");
}

TEST(CausalGate, WithoutExchangesNothingIsHeld) {
  Recording r;
  r.Connect();
  r.C(5, kJoin);
  r.S(10, R"(["1","1","chat_room:c1","phx_reply",{"status":"ok","response":{}}])");
  r.S(103, R"(["1",null,"chat_room:c1","message_created",{"id":"m1"}])");
  r.Finish();
  CausalGate gate(r.source().Exchanges());
  Harness h(r, ReplayOptions{.speed = 1}, &gate);
  h.Send(kJoin);
  h.Take();
  auto seen = h.RunUntil(1000);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].first, 103);
}

TEST(CausalGate, RawServerFramesWaitForTheirRequestToo) {
  Recording r;
  r.Connect(0, "/raw", "");
  r.S(10, "hello");
  r.Http(100, "POST", "/api/thing", "{}", 201, "{}");
  r.S(150, "created");
  r.Finish();
  CausalGate gate(r.source().Exchanges());
  Harness h(r, ReplayOptions{.speed = 1}, &gate);
  ASSERT_EQ(h.rep->report().mode, "raw");
  auto seen = h.RunUntil(5000);
  ASSERT_EQ(seen.size(), 1u);  // hello only
  auto status = h.rep->Status(h.clock.NowNs());
  EXPECT_EQ(status["next"]["waits_for"], "request #1 POST /api/thing") << status.dump();
  h.clock.Set(5000 * kMs);
  h.Answer(0);
  EXPECT_EQ(h.rep->NextDeadline(), 5049 * kMs);  // 49 ms after the response, as recorded
  seen = h.RunUntil(6000);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].first, 5049);
  EXPECT_EQ(seen[0].second, "created");
}

TEST(CausalGate, RawFrameNeverCausedIsReportedWithItsRequest) {
  Recording r;
  r.Connect(0, "/raw", "");
  r.Http(100, "DELETE", "/api/thing/1", "", 204, "");
  r.S(150, "deleted");
  r.Finish();
  CausalGate gate(r.source().Exchanges());
  Harness h(r, ReplayOptions{.speed = 1}, &gate);
  h.At(10000);
  EXPECT_TRUE(h.out.empty());
  h.rep->Finish(h.clock.NowNs());
  ASSERT_EQ(h.rep->report().undelivered_count, 1);
  EXPECT_EQ(h.rep->report().undelivered[0].reason,
            "waited for request #1 DELETE /api/thing/1, which the client never made");
}

// The other way round: a response waits for its recorded latency and for every live
// connection's replay to reach its recorded end (the pushes recorded before it were due).
TEST(CausalGate, ResponseWaitsForItsLatencyAndThePushesBeforeIt) {
  Joined j(1);
  Harness& h = *j.h;
  cassette::Exchange post = j.r.source().Exchanges()[1];  // request 100 ms, response 101 ms
  // No connection: its recorded latency (1 ms) after the live request, scaled by speed.
  EXPECT_EQ(ResponseDeadline(post, 50 * kMs, 1, false, {}), 51 * kMs);
  EXPECT_EQ(ResponseDeadline(post, 50 * kMs, 0.5, false, {}), 52 * kMs);
  EXPECT_EQ(ResponseDeadline(post, 50 * kMs, 0, false, {}), 50 * kMs);  // max: at once
  EXPECT_EQ(ResponseDeadline(post, 50 * kMs, 1, true, {}), Timeline::kNever);
  // A crafted cassette's latency of 2^60 ns at --speed 1e-9 waits (far), it does not wrap.
  cassette::Exchange slow = post;
  slow.response_ns = slow.request_ns + (int64_t{1} << 60);
  EXPECT_GT(ResponseDeadline(slow, 50 * kMs, 1e-9, false, {}), 50 * kMs);

  // A live connection replaying the recording from clock 0 reaches 101 ms at 101 ms.
  auto reach = h.rep->ReachesSessionTime(*post.response_ns);
  ASSERT_TRUE(reach.has_value());
  EXPECT_EQ(*reach, 101 * kMs);
  int decided_by = -2;
  EXPECT_EQ(ResponseDeadline(post, 50 * kMs, 1, false, {*reach}, &decided_by), 101 * kMs);
  EXPECT_EQ(decided_by, 0);  // the connection, not the latency (51 ms)
  EXPECT_EQ(ResponseDeadline(post, 100 * kMs, 1, false, {*reach}, &decided_by), 101 * kMs);
  EXPECT_EQ(decided_by, -1);  // equal: its latency is enough
  // A request made later than recorded only waits for its latency.
  h.At(3000);
  EXPECT_EQ(ResponseDeadline(post, 3000 * kMs, 1, false, {*h.rep->ReachesSessionTime(101 * kMs)}),
            3001 * kMs);
  // At speed 10 the connection gets there sooner; paused, never.
  Harness fast(j.r, ReplayOptions{.speed = 10}, j.gate.get());
  EXPECT_EQ(fast.rep->ReachesSessionTime(101 * kMs), 10100000);
  fast.rep->Pause(0);
  EXPECT_EQ(fast.rep->ReachesSessionTime(101 * kMs), Timeline::kNever);
}

TEST(CausalGate, ConnectionsNotOpenAtTheResponseDoNotHoldIt) {
  Recording r;
  r.Connect(500, "/raw", "");
  r.S(600, "late");
  r.Finish();
  CausalGate gate(r.source().Exchanges());
  Harness h(r, ReplayOptions{.speed = 1}, &gate);
  EXPECT_FALSE(h.rep->ReachesSessionTime(100 * kMs).has_value());  // opened at 500 ms
  EXPECT_EQ(h.rep->ReachesSessionTime(700 * kMs), 200 * kMs);
  h.rep->OnClientClose(0, 1000, "");
  EXPECT_FALSE(h.rep->ReachesSessionTime(700 * kMs).has_value());  // ended
}

}  // namespace
}  // namespace wsr::replay
