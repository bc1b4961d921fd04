// ReplaySession (replay/replay_session.h) with a manual clock and no sockets: the test plays
// the transport (writes what Front() says, decodes the RFC 6455 frames it would send, pauses
// the clock when told) and asserts the exact frames and commands: a Phoenix session joining
// and receiving its pushes with refs rewritten, heartbeats, every fault action, a resumed
// session after a fault, breakpoints with step, mismatches, closes and the report.
#include "replay/replay_session.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "replay/fault_spec.h"
#include "tests/replay/engine_harness.h"
#include "tests/replay/recording.h"

namespace wsr::replay {
namespace {

using testing::Recording;
using V = std::vector<std::string>;
using TV = std::vector<std::pair<int64_t, std::string>>;  // (ms, what was written)

constexpr size_t kHeadroom = 16;  // like LWS_PRE: bytes before each batch's frames

const std::string kJoin7 = R"(["7","7","room:A","phx_join",{}])";
const std::string kReply7 = R"(["7","7","room:A","phx_reply",{"status":"ok","response":{}}])";
std::string Push(const std::string& join_ref, int n) {
  return R"([")" + join_ref + R"(",null,"room:A","m",{"n":)" + std::to_string(n) + "}]";
}

// Decodes unmasked server frames: a text frame as its payload, others as "opN:payload",
// a fragment as "frag:" + payload.
V DecodeFrames(std::string_view b) {
  V out;
  size_t i = 0;
  while (i + 2 <= b.size()) {
    const auto b0 = static_cast<unsigned char>(b[i]);
    const auto b1 = static_cast<unsigned char>(b[i + 1]);
    EXPECT_EQ(b1 & 0x80, 0) << "server frames are never masked";
    uint64_t n = b1 & 0x7F;
    size_t h = 2;
    if (n == 126) {
      n = (static_cast<uint64_t>(static_cast<unsigned char>(b[i + 2])) << 8) |
          static_cast<unsigned char>(b[i + 3]);
      h = 4;
    } else if (n == 127) {
      n = 0;
      for (int k = 0; k < 8; ++k) n = (n << 8) | static_cast<unsigned char>(b[i + 2 + k]);
      h = 10;
    }
    std::string payload(b.substr(i + h, n));
    const int opcode = b0 & 0x0F;
    const bool fin = b0 & 0x80;
    if (!fin || opcode == 0) {
      out.push_back("frag:" + payload);
    } else {
      out.push_back(opcode == 1 ? payload : "op" + std::to_string(opcode) + ":" + payload);
    }
    i += h + n;
  }
  EXPECT_EQ(i, b.size()) << "a batch holds whole frames only";
  return out;
}

// One live connection and the transport around it, on a shared manual clock (ms).
struct Conn {
  ManualClock* clock;
  FaultPlan* plan;
  LiveFeed* feed;
  std::unique_ptr<ReplaySession> s;
  TV wire;  // what went out: frame payloads, "close CODE REASON", "drop"
  bool ended = false;
  bool paused = false;
  int writable_requests = 0;
  int pauses = 0;

  Conn(Recording& r, const cassette::Connection& recorded, ReplaySession::Identity id,
       ManualClock* c, FaultPlan* p, LiveFeed* f, ReplayOptions o = {})
      : clock(c), plan(p), feed(f) {
    auto engine = MakeReplayer(r.source(), recorded, o, id.resumed_from);
    engine->MeasureLatenessAtWrite();
    s = std::make_unique<ReplaySession>(std::move(id), std::move(engine), plan, feed, kHeadroom);
    s->Start(now());
    s->Poll(now());  // as the server does once the upgrade is established
    Flush();
  }
  int64_t now() const { return clock->NowNs(); }
  int64_t ms() const { return now() / kMs; }

  // What the server does with the session's commands.
  void Apply() {
    auto c = s->TakeCommands();
    if (c.want_writable) ++writable_requests;
    if (c.pause_clock && !paused) {
      ++pauses;
      paused = true;
      s->Pause(now());
    }
  }
  // Writes everything queued (polling again when drained, as the writable callback does).
  void Flush() {
    Apply();
    while (!ended) {
      OutgoingQueue::Entry* e = s->Front();
      if (!e) break;
      if (e->kind == OutgoingQueue::Entry::Kind::kClose) {
        wire.emplace_back(ms(), "close " + std::to_string(e->close_code) + " " + e->close_reason);
        End();
        break;
      }
      if (e->kind == OutgoingQueue::Entry::Kind::kDrop) {
        wire.emplace_back(ms(), "drop");
        s->OnDropping();
        End();
        break;
      }
      EXPECT_EQ(e->buf.size() >= kHeadroom, true);
      std::string_view bytes(reinterpret_cast<const char*>(e->buf.data()) + kHeadroom,
                             e->buf.size() - kHeadroom);
      for (auto& f : DecodeFrames(bytes)) wire.emplace_back(ms(), f);
      s->OnWritten(now());
      if (!s->Front() && s->idle()) s->Poll(now());
      Apply();
    }
  }
  void End() {
    ended = true;
    s->OnSocketEnded(now());
    Apply();
  }
  // The client sends a whole text message now.
  void Send(const std::string& text) {
    s->OnClientFrame(now(), 1, text, true);
    Flush();
  }
  // Runs the clock to every deadline up to `until_ms`, writing what each poll releases.
  void Run(int64_t until_ms) {
    Flush();
    while (!ended) {
      auto d = s->DueAt();
      if (!d || *d > until_ms * kMs) break;
      clock->Set(std::max(*d, now()));
      s->Poll(now());
      Flush();
    }
    if (now() < until_ms * kMs) clock->Set(until_ms * kMs);
  }
  V Payloads() const {
    V v;
    for (const auto& [t, w] : wire) v.push_back(w);
    return v;
  }
};

FaultPlan Plan(std::vector<std::string> faults, std::vector<std::string> breaks = {}) {
  std::vector<FaultSpec> f, b;
  for (auto& s : faults) f.push_back(std::get<FaultSpec>(ParseFaultSpec(s)));
  for (auto& s : breaks) b.push_back(std::get<FaultSpec>(ParseBreakSpec(s)));
  return FaultPlan(f, b, AfterFault::kResume);
}

// What a test's connections share: the recording (RecordJoinAndThreePushes), the clock (ms),
// the session's fault plan and its live feed.
struct World {
  Recording r;
  ManualClock clock;
  FaultPlan plan;
  LiveFeed feed;
  explicit World(FaultPlan p, int64_t start_ms = 0) : clock(start_ms * kMs), plan(std::move(p)) {
    testing::RecordJoinAndThreePushes(r);
  }
  // The first live connection, served by the recorded one.
  Conn Open() {
    return Conn(r, r.connection(), {1, 0, r.connection().path, r.connection().query, nullptr, 0},
                &clock, &plan, &feed);
  }
};

std::string FeedText(LiveFeed& feed) {
  uint64_t cursor = feed.oldest_id();
  std::string all;
  feed.Read(&cursor, 1 << 20, &all);
  return all;
}

TEST(ReplaySession, PhoenixJoinAndPushesWithRefsRewrittenAtTheirRecordedTimes) {
  World w(Plan({}), 1000);
  Conn c = w.Open();
  EXPECT_TRUE(c.wire.empty());
  EXPECT_EQ(c.s->mode(), "phoenix");
  c.Send(kJoin7);
  EXPECT_EQ(c.wire, (TV{{1000, kReply7}}));
  EXPECT_EQ(c.writable_requests, 1);
  EXPECT_EQ(c.s->DueAt(), 1100 * kMs);
  c.Run(2000);
  EXPECT_EQ(
      c.wire,
      (TV{{1000, kReply7}, {1100, Push("7", 1)}, {1200, Push("7", 2)}, {1300, Push("7", 3)}}));
  EXPECT_FALSE(c.s->DueAt());
  // The live feed saw the connection open, the client's join and every frame sent.
  std::string events = FeedText(w.feed);
  EXPECT_NE(events.find(R"("type":"open")"), std::string::npos) << events;
  size_t n = 0;
  for (size_t at = events.find("data: "); at != std::string::npos;
       at = events.find("data: ", at + 1)) {
    ++n;
  }
  EXPECT_EQ(n, 6u) << events;  // open, the join, the reply, three pushes
}

TEST(ReplaySession, HeartbeatAnsweredAtOnceAndCountedApart) {
  World w(Plan({}));
  Conn c = w.Open();
  w.clock.Set(42 * kMs);
  c.Send(R"([null,"5","phoenix","heartbeat",{}])");
  EXPECT_EQ(c.wire,
            (TV{{42, R"([null,"5","phoenix","phx_reply",{"status":"ok","response":{}}])"}}));
  ConnectionReport rep = c.s->Report();
  EXPECT_EQ(rep.heartbeats, 1);
  EXPECT_EQ(rep.delivered, 0);
  EXPECT_EQ(rep.mismatch_count, 0);
}

TEST(ReplaySession, ClientMessagesAreReassembledFromFragments) {
  World w(Plan({}));
  Conn c = w.Open();
  c.s->OnClientFrame(0, 1, kJoin7.substr(0, 10), false);
  c.s->OnClientFrame(0, 0, kJoin7.substr(10, 10), false);
  c.Flush();
  EXPECT_TRUE(c.wire.empty());
  c.s->OnClientFrame(0, 0, kJoin7.substr(20), true);
  c.Flush();
  EXPECT_EQ(c.Payloads(), V{kReply7});
  EXPECT_EQ(c.s->Report().mismatch_count, 0);
}

TEST(ReplaySession, OversizedClientMessageClosesWith1009) {
  World w(Plan({}));
  Conn c = w.Open();
  std::string big(ReplaySession::kMaxClientMessage / 2 + 1, 'x');
  c.s->OnClientFrame(0, 1, big, false);
  c.s->OnClientFrame(0, 0, big, false);
  c.Flush();
  EXPECT_EQ(c.Payloads(), V{"close 1009 message too big for wsreplay"});
  EXPECT_EQ(c.s->Report().close, "server closed 1009");
}

TEST(ReplaySession, CloseFaultEndsItAndTheResumedSessionDeliversTheRestExactlyOnce) {
  World w(Plan({"close:1012:restart@frame:3"}));
  Conn first = w.Open();
  first.Send(kJoin7);
  first.Run(1000);
  // frame:3 is the third server frame (reply, m1, m2): the close goes out instead of m2.
  EXPECT_EQ(first.wire, (TV{{0, kReply7}, {100, Push("7", 1)}, {200, "close 1012 restart"}}));
  EXPECT_TRUE(first.ended);
  EXPECT_TRUE(first.s->ended_by_fault());
  ConnectionReport rep1 = first.s->Report();
  EXPECT_EQ(rep1.close, "fault close:1012:restart@frame:3: closed 1012");
  EXPECT_EQ(rep1.delivered, 2);
  ASSERT_EQ(w.plan.hits().size(), 1u);
  EXPECT_EQ(w.plan.hits()[0].effect, "closed 1012");

  // The resume point the reconnect takes: the same recorded connection, m1 delivered.
  ASSERT_EQ(w.plan.resume_points().size(), 1u);
  auto rp = w.plan.TakeResumePoint(w.r.connection().path, w.r.connection().query);
  ASSERT_TRUE(rp);
  EXPECT_EQ(rp->live_index, 1);
  EXPECT_EQ(rp->recorded_index, 0);
  ASSERT_TRUE(rp->from);
  EXPECT_EQ(rp->from->delivered.size(), 1u);

  w.clock.Set(5000 * kMs);
  Conn second(w.r, w.r.connections()[static_cast<size_t>(rp->recorded_index)],
              {2, rp->recorded_index, w.r.connection().path, w.r.connection().query, rp->from,
               rp->live_index},
              &w.clock, &w.plan, nullptr);
  second.Send(R"(["9","9","room:A","phx_join",{}])");
  second.Run(10000);
  // m2 keeps its recorded gap after m1 (100 ms), then m3; m1 is not sent again.
  EXPECT_EQ(second.wire,
            (TV{{5000, R"(["9","9","room:A","phx_reply",{"status":"ok","response":{}}])"},
                {5100, Push("9", 2)},
                {5200, Push("9", 3)}}));
  second.End();
  ConnectionReport rep2 = second.s->Report();
  EXPECT_EQ(rep2.resumes, 1);
  EXPECT_EQ(rep2.undelivered_count, 0);
  EXPECT_EQ(rep2.delivered, 3);
  EXPECT_TRUE(w.plan.resume_points().empty());  // a clean end leaves none
  // Across both connections every recorded push went out exactly once, in recorded order.
  V pushes;
  for (const Conn* c : {&first, &second}) {
    for (const auto& [t, what] : c->wire) {
      if (what.find(R"("m",)") != std::string::npos) pushes.push_back(what.substr(what.find("{")));
    }
  }
  EXPECT_EQ(pushes, (V{R"({"n":1}])", R"({"n":2}])", R"({"n":3}])"}));
}

struct FaultCase {
  std::string spec;
  TV wire;  // after joining at 0 and running to 5 s
};

TEST(ReplaySession, EveryFaultActionIsSeenAsACommand) {
  const std::vector<FaultCase> cases = {
      {"drop@frame:2", {{0, kReply7}, {100, "drop"}}},
      {"delay:2s@frame:2",
       {{0, kReply7}, {2100, Push("7", 1)}, {2200, Push("7", 2)}, {2300, Push("7", 3)}}},
      {"duplicate@frame:2",
       {{0, kReply7},
        {100, Push("7", 1)},
        {100, Push("7", 1)},
        {200, Push("7", 2)},
        {300, Push("7", 3)}}},
      {"skip@frame:2", {{0, kReply7}, {200, Push("7", 2)}, {300, Push("7", 3)}}},
      {"stall@frame:3", {{0, kReply7}, {100, Push("7", 1)}}},
  };
  for (const auto& fc : cases) {
    SCOPED_TRACE(fc.spec);
    World w(Plan({fc.spec}));
    Conn c = w.Open();
    c.Send(kJoin7);
    c.Run(5000);
    if (fc.spec.rfind("stall", 0) == 0) {
      // Stalled: not even a heartbeat is answered, and nothing is due any more.
      c.Send(R"([null,"8","phoenix","heartbeat",{}])");
      EXPECT_FALSE(c.s->DueAt());
    }
    EXPECT_EQ(c.wire, fc.wire);
    ASSERT_EQ(w.plan.hits().size(), 1u);
    EXPECT_EQ(w.plan.hits()[0].spec, fc.spec);
  }
}

TEST(ReplaySession, SkippedAndStalledFramesAreReportedUndelivered) {
  for (const std::string spec : {"skip@frame:2", "stall@frame:3"}) {
    SCOPED_TRACE(spec);
    World w(Plan({spec}));
    Conn c = w.Open();
    c.Send(kJoin7);
    c.Run(5000);
    c.End();
    ConnectionReport rep = c.s->Report();
    EXPECT_EQ(rep.delivered, spec[1] == 'k' ? 3 : 2);
    EXPECT_EQ(rep.undelivered_count, spec[1] == 'k' ? 1 : 2);
  }
}

TEST(ReplaySession, BreakpointPausesAndStepReleasesExactlyOneFrame) {
  World w(Plan({}, {"event:m"}));
  Conn c = w.Open();
  c.Send(kJoin7);
  c.Run(150);
  // m1 reached the breakpoint at 100 ms: held, and the session asked to pause the w.clock.
  EXPECT_EQ(c.Payloads(), V{kReply7});
  EXPECT_EQ(c.pauses, 1);
  EXPECT_TRUE(c.s->at_break());
  c.Run(5000);  // paused: time passing releases nothing
  EXPECT_EQ(c.Payloads(), V{kReply7});
  // A heartbeat is still answered at a breakpoint.
  c.Send(R"([null,"8","phoenix","heartbeat",{}])");
  EXPECT_EQ(c.wire.size(), 2u);
  EXPECT_TRUE(c.s->StepHeld(c.now()));
  c.Flush();
  EXPECT_EQ(c.Payloads().back(), Push("7", 1));
  EXPECT_EQ(c.wire.size(), 3u);
  EXPECT_FALSE(c.s->StepHeld(c.now()));
  // Step releases the next recorded frame, exactly one, and says so on the feed.
  EXPECT_TRUE(c.s->Step(c.now()));
  c.Flush();
  EXPECT_EQ(c.wire.size(), 4u);
  EXPECT_EQ(c.Payloads().back(), Push("7", 2));
  EXPECT_NE(FeedText(w.feed).find("stepped"), std::string::npos);
  c.Run(10000);
  EXPECT_EQ(c.wire.size(), 4u);
  // Resume: m3 meets the breakpoint again (it holds at every match) and Resume lets it go.
  c.paused = false;
  c.s->Resume(c.now());
  c.Run(20000);
  EXPECT_EQ(c.pauses, 2);
  EXPECT_EQ(c.wire.size(), 4u);
  c.paused = false;
  c.s->Resume(c.now());
  c.Flush();
  EXPECT_EQ(c.Payloads().back(), Push("7", 3));
  EXPECT_EQ(c.wire.size(), 5u);
}

TEST(ReplaySession, MismatchAnsweredWithAnErrorReplyReportedAndOnTheFeed) {
  World w(Plan({}));
  Conn c = w.Open();
  c.Send(R"(["3","3","room:Z","phx_join",{}])");
  ASSERT_EQ(c.wire.size(), 1u);
  EXPECT_EQ(
      c.wire[0].second.rfind(
          R"(["3","3","room:Z","phx_reply",{"status":"error","response":{"reason":"not in cassette: )",
          0),
      0u)
      << c.wire[0].second;
  ConnectionReport rep = c.s->Report();
  ASSERT_EQ(rep.mismatch_count, 1);
  EXPECT_EQ(rep.mismatches[0].action, "replied phx_reply error");
  std::string events = FeedText(w.feed);
  EXPECT_NE(events.find("topic 'room:Z' is not in the cassette"), std::string::npos) << events;
}

TEST(ReplaySession, MismatchBreakpointPausesTheClock) {
  World w(Plan({}, {"mismatch"}));
  Conn c = w.Open();
  c.Send(kJoin7);
  EXPECT_EQ(c.pauses, 0);
  c.Send(R"(["3","3","room:Z","phx_join",{}])");
  EXPECT_EQ(c.pauses, 1);
  EXPECT_EQ(c.Payloads(), V{kReply7});  // the error reply waits at the breakpoint
}

TEST(ReplaySession, ClientCloseEndsItWithoutAResumePoint) {
  World w(Plan({}));
  Conn c = w.Open();
  c.Send(kJoin7);
  c.Run(150);
  c.s->OnPeerClosed(c.now(), 1000, "bye");
  EXPECT_FALSE(c.s->DueAt());  // nothing is released after the client closed
  c.s->Poll(c.now() + 1000 * kMs);
  EXPECT_EQ(c.s->Front(), nullptr);
  c.End();
  ConnectionReport rep = c.s->Report();
  EXPECT_EQ(rep.close, "client closed 1000 (bye)");
  EXPECT_FALSE(rep.open);
  EXPECT_EQ(rep.delivered, 2);
  EXPECT_EQ(rep.undelivered_count, 2);  // m2, m3
  EXPECT_TRUE(w.plan.resume_points().empty());
}

TEST(ReplaySession, ServerCloseIsQueuedOnceAfterTheDataAndNothingFollowsIt) {
  World w(Plan({}));
  Conn c = w.Open();
  c.Send(kJoin7);
  c.s->Close(1001, "wsreplay stopping");
  c.s->Close(1000, "again");
  EXPECT_FALSE(c.s->idle());
  c.s->Poll(1000 * kMs);  // busy: a close is pending
  c.Flush();
  EXPECT_EQ(c.Payloads(), (V{kReply7, "close 1001 wsreplay stopping"}));
  EXPECT_EQ(c.s->Report().close, "server closed 1001");
}

TEST(ReplaySession, ReportCountsAndLatenessMeasuredWhenWritten) {
  World w(Plan({}));
  Conn c = w.Open();
  c.Send(kJoin7);
  c.Send(R"([null,"8","phoenix","heartbeat",{}])");
  // The transport writes m1 3 ms after the poll released it on time.
  w.clock.Set(100 * kMs);
  c.s->Poll(c.now());
  EXPECT_EQ(c.s->TakeCommands().want_writable, true);
  ASSERT_NE(c.s->Front(), nullptr);
  EXPECT_EQ(c.s->Front()->deadlines, (std::vector<int64_t>{100 * kMs}));
  w.clock.Set(103 * kMs);
  c.Flush();
  c.Run(1000);
  c.End();
  ConnectionReport rep = c.s->Report();
  EXPECT_EQ(rep.live_index, 1);
  EXPECT_EQ(rep.recorded_ordinal, w.r.connection().ordinal);
  EXPECT_EQ(rep.path, w.r.connection().path);
  EXPECT_EQ(rep.mode, "phoenix");
  EXPECT_EQ(rep.delivered, 4);  // the join reply and three pushes
  EXPECT_EQ(rep.heartbeats, 1);
  EXPECT_EQ(rep.undelivered_count, 0);
  EXPECT_EQ(rep.mismatch_count, 0);
  EXPECT_EQ(rep.close, "closed without a close frame");
  EXPECT_EQ(rep.lateness.count(), 3u);
  EXPECT_EQ(rep.lateness.MaxNs(), 3 * kMs);
  nlohmann::json st = c.s->Status(c.now());
  EXPECT_EQ(st["connection"], 1);
  EXPECT_EQ(st["queued_to_send"], 0);
}

}  // namespace
}  // namespace wsr::replay
