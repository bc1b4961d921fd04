// ConnectionRecorder without sockets: reassembly, cap, redaction, first close wins.
#include "recorder/connection_recorder.h"

#include <gtest/gtest.h>

#include "cassettes/cassette.h"
#include "tests/support/temp_dir.h"

namespace wsr::recorder {
namespace {

using cassette::Direction;

struct Harness {
  testing::TempDir dir;
  std::string path = dir.File("c.cassette");
  ManualClock clock{1000};
  Redactor redactor;
  std::unique_ptr<cassette::CassetteWriter> writer;
  RecordingContext ctx;
  explicit Harness(size_t cap = 100, RedactionRules rules = {}) : redactor(std::move(rules)) {
    cassette::Session s;
    s.name = "t";
    writer = std::make_unique<cassette::CassetteWriter>(path, s);
    ctx = {writer.get(), &redactor, &clock, 1000, cap};
  }
  std::vector<cassette::Frame> Frames() {
    EXPECT_TRUE(writer->Stop(1));
    auto c = cassette::Cassette::Open(path, cassette::Cassette::Mode::kReadOnly);
    std::vector<cassette::Frame> out;
    auto cur = c->Frames({});
    cassette::Frame f;
    while (cur.Next(&f)) out.push_back(f);
    return out;
  }
};

TEST(ConnectionRecorder, ReassemblesPiecesAndKeepsWireFrameSizes) {
  Harness h;
  ConnectionRecorder r(h.ctx, 1);
  r.Open("/p", "a=1", {}, "ws://u/p?a=1");
  h.clock.Advance(5);
  // Frame 1 ("abc") arrives in two pieces, frame 2 ("de") in one.
  EXPECT_EQ(r.AddPiece(Direction::kClientToServer, false, "ab", true, false, false, 1),
            ConnectionRecorder::PieceResult::kOk);
  r.AddPiece(Direction::kClientToServer, false, "c", false, true, false, 0);
  // A message the other way interleaves without disturbing it.
  r.AddPiece(Direction::kServerToClient, true, "xyz", true, true, true, 0);
  r.AddPiece(Direction::kClientToServer, false, "de", false, true, true, 0);
  auto frames = h.Frames();
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].payload, "xyz");
  EXPECT_EQ(frames[0].opcode, 2);
  EXPECT_TRUE(frames[0].fragments.empty());
  EXPECT_EQ(frames[0].offset_ns, 5);
  EXPECT_EQ(frames[1].payload, "abcde");
  EXPECT_EQ(frames[1].fragments, (std::vector<uint32_t>{3, 2}));
  EXPECT_EQ(frames[1].seq, 1);
}

TEST(ConnectionRecorder, RefusesMessagesOverTheCapBeforeBufferingThem) {
  Harness h(/*cap=*/10);
  ConnectionRecorder r(h.ctx, 1);
  r.Open("/p", "", {}, "ws://u/p");
  EXPECT_EQ(r.AddPiece(Direction::kClientToServer, false, "12345", true, false, false, 6),
            ConnectionRecorder::PieceResult::kTooBig);
  EXPECT_EQ(r.AddPiece(Direction::kClientToServer, false, "1234567890", true, true, true, 0),
            ConnectionRecorder::PieceResult::kOk);
  EXPECT_EQ(h.Frames().size(), 1u);
}

TEST(ConnectionRecorder, RedactsJsonFieldsAndTheFirstCloseWins) {
  RedactionRules rules;
  rules.AddJsonPointer("/token");
  Harness h(100, rules);
  ConnectionRecorder r(h.ctx, 1);
  r.Open("/p", "api_key=SECRET", {{"authorization", "Bearer S"}}, "ws://u/p?api_key=SECRET");
  EXPECT_EQ(r.row().query.find("SECRET"), std::string::npos);
  r.AddPiece(Direction::kClientToServer, false, R"([null,"1","t","e",{"token":"T0K"}])", true,
             true, true, 0);
  r.Close(4000, "first", "client");
  r.Close(1006, "", "upstream");
  EXPECT_EQ(r.row().close_code, 4000);
  EXPECT_EQ(r.row().close_initiator, "client");
  auto frames = h.Frames();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].payload.find("T0K"), std::string::npos);
  EXPECT_EQ(frames[0].topic, "t");
}

}  // namespace
}  // namespace wsr::recorder
