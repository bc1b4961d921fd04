// RawReplayer with a manual clock: byte matching, release after the client's frames, fragments,
// JSON matching with ignored pointers, close replay, mismatches.
#include <gtest/gtest.h>

#include "tests/replay/engine_harness.h"
#include "tests/replay/recording.h"

namespace wsr::replay {
namespace {

using testing::Recording;

const std::string kBin1("\x00\x01\x02\xff", 4);
const std::string kBin2("\x10\x20\x00\x30\x40\x50", 6);

void RecordRaw(Recording& r) {
  r.Connect(0, "/raw", "");
  r.S(10, "hello");  // needs nothing from the client
  r.C(100, kBin1, 2);
  r.S(150, kBin2, 2, {2, 2, 2});  // after kBin1, 50 ms later, in 3 fragments
  r.C(200, R"({"op":"sub","id":7})");
  r.S(300, R"({"ok":true})");
  r.Close(400, 4001, "bye", "upstream");
  r.Finish();
}

TEST(RawReplayer, ReleasesServerFramesAfterTheClientFramesBeforeThem) {
  Recording r;
  RecordRaw(r);
  Harness h(r, {});
  EXPECT_EQ(h.rep->report().mode, "raw");
  h.At(10);
  ASSERT_EQ(h.out.size(), 1u);
  EXPECT_EQ(h.out[0].payload, "hello");
  h.out.clear();
  h.At(1000);
  EXPECT_TRUE(h.out.empty());  // kBin2 waits for kBin1
  EXPECT_FALSE(h.rep->NextDeadline().has_value());
  h.Send(kBin1, 2);  // 900 ms late: kBin2 keeps its 50 ms gap
  EXPECT_TRUE(h.out.empty());
  EXPECT_EQ(h.rep->NextDeadline(), 1050 * kMs);
  h.At(1050);
  ASSERT_EQ(h.out.size(), 1u);
  EXPECT_EQ(h.out[0].payload, kBin2);
  EXPECT_EQ(h.out[0].opcode, 2);
  EXPECT_EQ(h.out[0].fragments, (std::vector<uint32_t>{2, 2, 2}));
  h.out.clear();
  h.Send(R"({"op":"sub","id":7})", 1);
  h.At(1150);
  ASSERT_EQ(h.out.size(), 1u);
  EXPECT_EQ(h.out[0].payload, R"({"ok":true})");
  h.out.clear();
  EXPECT_EQ(h.rep->NextDeadline(), 1250 * kMs);
  h.At(1250);
  ASSERT_EQ(h.out.size(), 1u);
  EXPECT_EQ(h.out[0].kind, Action::Kind::kClose);
  EXPECT_EQ(h.out[0].close_code, 4001);
  EXPECT_EQ(h.out[0].close_reason, "bye");
  EXPECT_EQ(h.rep->report().mismatch_count, 0);
  EXPECT_EQ(h.rep->report().delivered, 3);
}

TEST(RawReplayer, MismatchedBytesAreReportedAndDoNotAdvance) {
  Recording r;
  RecordRaw(r);
  Harness h(r, {});
  h.Send(std::string("\x00\x01\x09\xff", 4), 2);
  ASSERT_EQ(h.rep->report().mismatch_count, 1);
  EXPECT_NE(h.rep->report().mismatches[0].explanation.find("bytes differ at offset 2"),
            std::string::npos)
      << h.rep->report().mismatches[0].explanation;
  h.Send("text", 1);
  EXPECT_NE(h.rep->report().mismatches[1].explanation.find("is binary, got text"),
            std::string::npos);
  h.Send(kBin1, 2);
  EXPECT_EQ(h.rep->report().mismatch_count, 2);
}

TEST(RawReplayer, IgnoreJsonAndCloseOnMismatch) {
  Recording r;
  RecordRaw(r);
  ReplayOptions o;
  o.speed = 1;
  o.ignore_json = {"/id"};
  o.on_mismatch = OnMismatch::kClose;
  Harness h(r, o);
  h.Send(kBin1, 2);
  h.Send(R"({"id":8, "op":"sub"})", 1);  // matches: /id ignored, key order irrelevant
  EXPECT_EQ(h.rep->report().mismatch_count, 0);
  h.out.clear();
  h.Send(R"({"op":"unsub"})", 1);
  ASSERT_EQ(h.out.size(), 1u);
  EXPECT_EQ(h.out[0].kind, Action::Kind::kClose);
  EXPECT_EQ(h.out[0].close_code, 4400);
}

TEST(RawReplayer, StepReleasesNextFrame) {
  Recording r;
  RecordRaw(r);
  Harness h(r, {});
  EXPECT_TRUE(h.rep->Step(0, &h.out));
  ASSERT_EQ(h.out.size(), 1u);
  EXPECT_FALSE(h.rep->Step(0, &h.out));  // kBin2 needs the client's frame
  h.Send(kBin1, 2);
  EXPECT_TRUE(h.rep->Step(0, &h.out));
  EXPECT_EQ(h.out.back().payload, kBin2);
}

// A recorded server ping or pong is released like any server frame, keeping its opcode (the
// server sends it as a control frame); the client's recorded pong is never waited for; a
// recorded close frame is not a frame to send (the connection's close is replayed instead).
TEST(RawReplayer, ServerPingsAndPongsAreReleasedAsControlFrames) {
  Recording r;
  r.Connect(0, "/raw", "");
  r.S(10, "are you there", 9);
  r.C(11, "are you there", 10);  // the client's pong
  r.S(20, "after the ping");
  r.S(30, "unsolicited", 10);
  r.S(40, std::string("\x03\xe8", 2), 8);
  r.Close(40, 1000, "", "upstream");
  r.Finish();
  Harness h(r, {});
  auto seen = h.RunUntil(100);
  ASSERT_EQ(h.out.size(), 0u);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0], std::make_pair(int64_t{10}, std::string("are you there")));
  EXPECT_EQ(seen[1], std::make_pair(int64_t{20}, std::string("after the ping")));
  EXPECT_EQ(seen[2], std::make_pair(int64_t{30}, std::string("unsolicited")));
  EXPECT_EQ(seen[3].first, 40);  // the close action
  EXPECT_EQ(h.rep->report().delivered, 3);
  EXPECT_EQ(h.rep->report().mismatch_count, 0);
}

TEST(RawReplayer, ServerPingKeepsItsOpcode) {
  Recording r;
  r.Connect(0, "/raw", "");
  r.S(10, "p", 9);
  r.S(20, "q", 10);
  r.Finish();
  Harness h(r, {});
  h.At(20);
  ASSERT_EQ(h.out.size(), 2u);
  EXPECT_EQ(h.out[0].opcode, 9);
  EXPECT_EQ(h.out[0].payload, "p");
  EXPECT_EQ(h.out[1].opcode, 10);
}

TEST(RawReplayer, FinishReportsUndelivered) {
  Recording r;
  RecordRaw(r);
  Harness h(r, {});
  h.At(20);
  h.rep->OnClientClose(20 * kMs, 1000, "");
  h.rep->Finish(20 * kMs);
  const auto& rep = h.rep->report();
  ASSERT_EQ(rep.undelivered_count, 2);
  EXPECT_NE(rep.undelivered[0].reason.find("client frame seq 1"), std::string::npos);
}

// One cursor over both directions: a client frame recorded after more server frames than the
// replayer reads ahead (4096) is still found and matched, and what it precedes still waits.
TEST(RawReplayer, FindsAClientFrameFarBehindManyServerFrames) {
  Recording r;
  r.Connect(0, "/raw", "");
  for (int i = 0; i < 5000; i++) r.S(1 + i / 1000, "s" + std::to_string(i));
  r.C(10, "late client frame");
  r.S(11, "after it");
  r.Finish();
  ReplayOptions fast;
  fast.speed = 0;  // max
  Harness h(r, fast);
  h.Send("late client frame");  // before any server frame went out
  EXPECT_EQ(h.rep->report().mismatch_count, 0);
  std::vector<std::string> got;
  for (int turn = 0; turn < 100 && got.size() < 5001; turn++) {
    h.At(0);
    for (auto& p : h.Take()) got.push_back(p);
  }
  ASSERT_EQ(got.size(), 5001u);
  EXPECT_EQ(got[0], "s0");
  EXPECT_EQ(got[4999], "s4999");
  EXPECT_EQ(got[5000], "after it");
  EXPECT_EQ(h.rep->report().mismatch_count, 0);
}

TEST(RawReplayer, AClientFrameNotRecordedAheadIsAMismatchAndHoldsNothingBack) {
  Recording r;
  r.Connect(0, "/raw", "");
  for (int i = 0; i < 5000; i++) r.S(1, "s" + std::to_string(i));
  r.Finish();
  ReplayOptions fast;
  fast.speed = 0;
  Harness h(r, fast);
  h.Send("unexpected");
  EXPECT_EQ(h.rep->report().mismatch_count, 1);
  size_t n = 0;
  for (int turn = 0; turn < 100 && n < 5000; turn++) {
    h.At(0);
    n += h.Take().size();
  }
  EXPECT_EQ(n, 5000u);
}

}  // namespace
}  // namespace wsr::replay
