// ls, show, stats, and the errors every command gives on bad files.
#include <nlohmann/json.hpp>

#include "common/duration.h"
#include "tests/tools/tools_fixture.h"

namespace wsr::tools_test {
namespace {
using nlohmann::json;
using testing::TempDir;

TEST(ToolsLs, ListsSessionsAndConnections) {
  TempDir t;
  WriteSample(t.File("a.cassette"));
  auto r = Wsr({"ls", t.File("a.cassette")});
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* want :
       {"session rec-1", "2025-11-28T20:00:00.000Z", "wss://app.thenvoi.com",
        "2 connection(s) (1 refused/failed), 10 frames (4 c2s, 6 s2c)", "/api/v1/socket/websocket",
        "api_key=redacted:api_key:0a1b2c3d&vsn=2.0.0", "101", "403", "1000 by client",
        "HTTP 403"}) {
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
  }
  auto lines = Lines(r.out);
  // the row of connection 1: ordinal, ..., c2s 4, s2c 6
  bool row = false;
  for (const auto& l : lines) {
    if (l.rfind("  1 ", 0) == 0) {
      row = true;
      EXPECT_NE(l.find(" 4 "), std::string::npos) << l;
      EXPECT_NE(l.find(" 6 "), std::string::npos) << l;
    }
  }
  EXPECT_TRUE(row) << r.out;
}

// show prints each connection's handshake ("#N <request line> -> <status>", and a refusal's
// body) before the frames; these are the frame lines.
std::vector<std::string> FrameLines(const std::string& out) {
  std::vector<std::string> frames;
  for (const auto& l : Lines(out)) {
    if (l.rfind("#", 0) != 0 && l.rfind("     body (", 0) != 0) frames.push_back(l);
  }
  return frames;
}

TEST(ToolsShow, OneLinePerFrameAndFilters) {
  TempDir t;
  WriteSample(t.File("a.cassette"));
  auto r = Wsr({"show", t.File("a.cassette")});
  ASSERT_EQ(r.status, 0) << r.err;
  auto all = Lines(r.out);
  ASSERT_GE(all.size(), 2u);
  EXPECT_EQ(all[0].rfind("#1 ", 0), 0u) << all[0];
  EXPECT_NE(all[0].find("101"), std::string::npos) << all[0];
  EXPECT_EQ(all[1].rfind("#2 ", 0), 0u) << all[1];
  EXPECT_NE(all[1].find("403"), std::string::npos) << all[1];
  auto lines = FrameLines(r.out);
  ASSERT_EQ(lines.size(), 10u) << r.out;
  EXPECT_NE(lines[0].find("0.100000s"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("#1"), std::string::npos);
  EXPECT_NE(lines[0].find("->"), std::string::npos);
  EXPECT_NE(lines[0].find("text"), std::string::npos);
  EXPECT_NE(lines[0].find("chat_room:r1"), std::string::npos);
  EXPECT_NE(lines[0].find("phx_join"), std::string::npos);
  EXPECT_NE(lines[0].find("38 B"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("<-"), std::string::npos);
  EXPECT_NE(lines[7].find("binary"), std::string::npos);

  r = Wsr({"show", t.File("a.cassette"), "--topic", "chat_room:r1"});
  EXPECT_EQ(FrameLines(r.out).size(), 3u) << r.out;
  r = Wsr({"show", t.File("a.cassette"), "--event", "phx_join", "--connection", "1"});
  EXPECT_EQ(FrameLines(r.out).size(), 2u) << r.out;
  r = Wsr({"show", t.File("a.cassette"), "--connection", "2"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(FrameLines(r.out).size(), 0u) << r.out;  // refused: its handshake only
  EXPECT_EQ(Lines(r.out).size(), 1u) << r.out;
  r = Wsr({"show", t.File("a.cassette"), "--connection", "9"});
  ExpectOneLineError(r, "no connection 9");
  r = Wsr({"show", t.File("a.cassette"), "--session", "nope"});
  ExpectOneLineError(r, "no session 'nope'");

  r = Wsr({"show", t.File("a.cassette"), "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 10u);
  auto j0 = json::parse(lines[0]);
  EXPECT_EQ(j0["payload"], R"(["1","1","chat_room:r1","phx_join",{}])");
  EXPECT_EQ(j0["encoding"], "text");
  EXPECT_EQ(j0["direction"], "c2s");
  EXPECT_EQ(j0["connection"], 1);
  EXPECT_EQ(j0["offset_ns"], 100 * kMs);
  auto j7 = json::parse(lines[7]);
  EXPECT_EQ(j7["encoding"], "base64");
  EXPECT_EQ(j7["payload"], "AAH/");
}

TEST(ToolsStats, CountsRatesAndGaps) {
  TempDir t;
  std::string path = t.File("s.cassette");
  {
    auto c = Cassette::Open(path, Cassette::Mode::kCreate);
    Connection conn;
    conn.ordinal = 1;
    conn.path = "/s";
    conn.http_status = 101;
    // 100 frames; gap i (between frame i-1 and i) is i ms: gaps 1..99 ms.
    std::vector<Frame> frames;
    int64_t at = 0;
    for (int i = 0; i < 100; ++i) {
      at += i * kMs;
      bool push = i % 4 != 0;
      std::string topic = i < 60 ? "room:a" : "room:b";
      std::string ev = push ? "message_created" : "phx_join";
      frames.push_back(
          MakeFrame(at, push ? kS2C : kC2S, R"(["1","1",")" + topic + R"(",")" + ev + R"(",{}])"));
    }
    Session s{0, "st", kStart, 10 * kSec, "", "record", ""};
    AddSession(*c, s, {conn}, frames);
  }
  auto r = Wsr({"stats", path});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string& o = r.out;
  EXPECT_NE(o.find("100 frames (25 c2s, 75 s2c)"), std::string::npos) << o;
  EXPECT_NE(o.find("(10.00 frames/s)"), std::string::npos) << o;
  std::string gaps = "gaps between frames (99): p50 " + FormatDurationNs(50 * kMs) + "  p90 " +
                     FormatDurationNs(90 * kMs) + "  p99 " + FormatDurationNs(99 * kMs) + "  max " +
                     FormatDurationNs(99 * kMs);
  EXPECT_NE(o.find(gaps), std::string::npos) << o;
  // room:a has frames 0..59: 15 joins, 45 pushes; 6 frames/s over 10 s
  bool room_a = false, events = false;
  for (const auto& l : Lines(o)) {
    if (l.rfind("room:a ", 0) == 0) {
      room_a = true;
      EXPECT_NE(l.find(" 60 "), std::string::npos) << l;
      EXPECT_NE(l.find(" 15 "), std::string::npos) << l;
      EXPECT_NE(l.find(" 45 "), std::string::npos) << l;
      EXPECT_NE(l.find("6.00"), std::string::npos) << l;
    }
    if (l.rfind("  message_created", 0) == 0 && l.find(" 45 ") != std::string::npos) events = true;
  }
  EXPECT_TRUE(room_a) << o;
  EXPECT_TRUE(events) << o;
}

TEST(ToolsErrors, MissingAndForeignFilesGiveOneLine) {
  TempDir t;
  std::string missing = t.File("missing.cassette");
  std::vector<std::vector<std::string>> cmds = {
      {"ls", missing},
      {"show", missing},
      {"stats", missing},
      {"export", missing, "--format", "jsonl"},
      {"export", missing, "--format", "har"},
      {"redact", missing},
      {"cut", missing, "--out", t.File("o.cassette")},
      {"sessions", missing, "rm", "x"},
      {"merge", t.File("m.cassette"), missing},
  };
  for (const auto& args : cmds) {
    auto r = Wsr(args);
    ExpectOneLineError(r, "does not exist");
  }
  EXPECT_TRUE(AllCassetteBytes(t.File("o.cassette")).empty());
  EXPECT_TRUE(AllCassetteBytes(t.File("m.cassette")).empty());

  testing::WriteFile(t.File("junk.cassette"), std::string(4096, 'x'));
  for (const char* cmd : {"ls", "show", "stats"}) {
    auto r = Wsr({cmd, t.File("junk.cassette")});
    ExpectOneLineError(r, "not a wsreplay cassette");
  }
  auto r = Wsr({"redact", t.File("junk.cassette")});
  ExpectOneLineError(r, "not a wsreplay cassette");
  r = Wsr({"import", t.File("junk.cassette"), "--cassette", t.File("junk.cassette"), "--from",
           "jsonl"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(testing::ReadFile(t.File("junk.cassette")), std::string(4096, 'x'));

  // several sessions and no --session: the error lists them
  WriteSample(t.File("two.cassette"), "a");
  {
    auto c = Cassette::Open(t.File("two.cassette"), Cassette::Mode::kReadWrite);
    AddSession(*c, Session{0, "b", kStart, kSec, "", "record", ""}, {}, {});
  }
  r = Wsr({"show", t.File("two.cassette")});
  ExpectOneLineError(r, "pick one with --session (a, b)");
  r = Wsr({"export", t.File("two.cassette"), "--format", "har"});
  ExpectOneLineError(r, "--session");
}

TEST(ToolsLive, ReadsACassetteThatIsBeingWritten) {
  TempDir t;
  std::string path = t.File("live.cassette");
  auto writer = Cassette::Open(path, Cassette::Mode::kCreate);  // stays open: WAL mode
  Connection conn;
  conn.ordinal = 1;
  conn.path = "/s";
  conn.http_status = 101;
  Session s{0, "live", kStart, std::nullopt, "", "record", ""};
  AddSession(*writer, s, {conn},
             {MakeFrame(kMs, kC2S, "hello"), MakeFrame(2 * kMs, kS2C, "world")});
  auto r = Wsr({"ls", path});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("still recording"), std::string::npos) << r.out;
  r = Wsr({"show", path});
  EXPECT_EQ(FrameLines(r.out).size(), 2u) << r.out << r.err;
  r = Wsr({"export", path, "--format", "jsonl"});
  EXPECT_EQ(Lines(r.out).size(), 5u) << r.err;
  r = Wsr({"stats", path});
  EXPECT_EQ(r.status, 0) << r.err;
}

}  // namespace
}  // namespace wsr::tools_test
