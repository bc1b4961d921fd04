// redact, cut, sessions rename/rm, merge.
#include <nlohmann/json.hpp>

#include "recorder/redactor.h"
#include "tests/tools/tools_fixture.h"

namespace wsr::tools_test {
namespace {
using testing::TempDir;

TEST(ToolsRedact, LeavesNoTraceOfTheOldBytes) {
  TempDir t;
  std::string path = t.File("s.cassette");
  {
    auto c = Cassette::Open(path, Cassette::Mode::kCreate);
    Session s;
    s.name = "secrets";
    s.started_at_ns = kStart;
    s.upstream = "ws://127.0.0.1:9/?session_secret=OLDSECRETPARAM1";
    Connection conn;
    conn.ordinal = 1;
    conn.path = "/socket/websocket";
    conn.query = "session_secret=OLDSECRETPARAM1&vsn=2.0.0";
    conn.upstream_url =
        "ws://127.0.0.1:9/socket/websocket?session_secret=OLDSECRETPARAM1&vsn=2.0.0";
    conn.request_headers = {{"X-Custom-Auth", "OLDSECRETHEADER2"}, {"User-Agent", "t"}};
    conn.http_status = 101;
    std::vector<Frame> frames;
    for (int i = 0; i < 200; ++i) {  // enough rows to span several pages
      frames.push_back(
          MakeFrame(i * kMs, kC2S,
                    R"([")" + std::to_string(i) +
                        R"(","1","room:1","phx_join",{"password":"OLDSECRETJSON3","n":)" +
                        std::to_string(i) + "}]"));
    }
    AddSession(*c, s, {conn}, frames);
  }
  std::string before = AllCassetteBytes(path);
  for (const char* secret : {"OLDSECRETPARAM1", "OLDSECRETHEADER2", "OLDSECRETJSON3"}) {
    ASSERT_NE(before.find(secret), std::string::npos)
        << "the test needs " << secret << " on disk first";
  }
  auto r = Wsr({"redact", path, "--param", "session_secret", "--header", "x-custom-auth", "--json",
                "/password"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string after = AllCassetteBytes(path);
  ASSERT_FALSE(after.empty());
  for (const char* secret : {"OLDSECRETPARAM1", "OLDSECRETHEADER2", "OLDSECRETJSON3"}) {
    EXPECT_EQ(after.find(secret), std::string::npos) << secret << " survived redact";
  }

  auto c = Cassette::Open(path, Cassette::Mode::kReadOnly);
  auto s = c->ResolveSession(std::nullopt);
  std::string ph = Redactor::Placeholder("session_secret", "OLDSECRETPARAM1");
  EXPECT_EQ(s.upstream, "ws://127.0.0.1:9/?session_secret=" + ph);
  auto conns = c->Connections(s.id);
  EXPECT_EQ(conns[0].query, "session_secret=" + ph + "&vsn=2.0.0");
  EXPECT_EQ(conns[0].request_headers[0].second,
            Redactor::Placeholder("x-custom-auth", "OLDSECRETHEADER2"));
  auto frames = ReadFrames(path);
  ASSERT_EQ(frames.size(), 200u);
  EXPECT_NE(frames[5].payload.find(Redactor::Placeholder("password", "OLDSECRETJSON3")),
            std::string::npos);
  EXPECT_NE(frames[5].payload.find("\"n\":5"), std::string::npos);
  EXPECT_EQ(frames[5].topic, "room:1");
  EXPECT_EQ(frames[5].event, "phx_join");

  // Running it again changes nothing and still works.
  r = Wsr({"redact", path, "--param", "session_secret"});
  EXPECT_EQ(r.status, 0) << r.err;
}

TEST(ToolsCut, KeepsJoinsOfKeptTopicsAndIsAValidCassette) {
  TempDir t;
  WriteSample(t.File("a.cassette"));
  auto r = Wsr({"cut", t.File("a.cassette"), "--out", t.File("cut.cassette"), "--from", "900ms",
                "--to", "3.2s", "--topic", "chat_room:r1"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto frames = ReadFrames(t.File("cut.cassette"));
  // join + reply carried from before --from, the push, heartbeat + reply (inside the window)
  ASSERT_EQ(frames.size(), 5u);
  EXPECT_EQ(frames[0].event, "phx_join");
  EXPECT_EQ(frames[0].topic, "chat_room:r1");
  EXPECT_EQ(frames[0].offset_ns, 0);
  EXPECT_EQ(frames[1].event, "phx_reply");
  EXPECT_EQ(frames[1].ref, "1");
  EXPECT_EQ(frames[2].event, "message_created");
  EXPECT_EQ(frames[2].offset_ns, 100 * kMs);  // rebased on --from
  EXPECT_EQ(frames[3].event, "heartbeat");
  EXPECT_EQ(frames[4].topic, "phoenix");
  for (size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(frames[i].seq, static_cast<int64_t>(i));
  for (const auto& f : frames) EXPECT_NE(f.topic, "user_room:u1");

  auto c = Cassette::Open(t.File("cut.cassette"), Cassette::Mode::kReadOnly);
  auto s = c->ResolveSession(std::nullopt);
  EXPECT_EQ(s.source, "cut");
  EXPECT_EQ(s.started_at_ns, kStart + 900 * kMs);
  EXPECT_EQ(s.duration_ns, 2300 * kMs);
  auto conns = c->Connections(s.id);
  ASSERT_EQ(conns.size(), 1u);  // the refused connection ended before the slice
  EXPECT_EQ(conns[0].http_status, 101);
  EXPECT_FALSE(conns[0].closed_ns.has_value());  // still open at the end of the slice

  r = Wsr({"ls", t.File("cut.cassette")});
  EXPECT_EQ(r.status, 0) << r.err;
  r = Wsr({"cut", t.File("a.cassette"), "--out", t.File("cut.cassette")});
  ExpectOneLineError(r, "already exists");
  r = Wsr(
      {"cut", t.File("a.cassette"), "--out", t.File("c2.cassette"), "--from", "2s", "--to", "1s"});
  ExpectOneLineError(r, "--to");
  r = Wsr({"cut", t.File("a.cassette"), "--out", t.File("c3.cassette"), "--from", "soon"});
  EXPECT_EQ(r.status, 1) << r.err;

  // Without --topic everything in the window stays, with both joins carried.
  r = Wsr({"cut", t.File("a.cassette"), "--out", t.File("all.cassette"), "--from", "3s"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(ReadFrames(t.File("all.cassette")).size(),
            4u + 3u);  // 2 joins + 2 replies, binary, push, bad-utf8
}

TEST(ToolsSessions, RenameAndRemove) {
  TempDir t;
  std::string path = t.File("a.cassette");
  WriteSample(path, "one");
  {
    auto c = Cassette::Open(path, Cassette::Mode::kReadWrite);
    AddSession(*c, Session{0, "two", kStart, kSec, "", "record", ""}, {}, {});
  }
  auto r = Wsr({"sessions", path, "rename", "one", "first"});
  ASSERT_EQ(r.status, 0) << r.err;
  r = Wsr({"sessions", path, "rename", "first", "two"});
  ExpectOneLineError(r, "already has a session named 'two'");
  r = Wsr({"sessions", path, "rename", "nope", "x"});
  ExpectOneLineError(r, "no session 'nope'");
  r = Wsr({"sessions", path, "rm", "two"});
  ASSERT_EQ(r.status, 0) << r.err;
  r = Wsr({"sessions", path, "frobnicate", "two"});
  ExpectOneLineError(r, "usage");
  auto c = Cassette::Open(path, Cassette::Mode::kReadOnly);
  auto sessions = c->Sessions();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].name, "first");
  EXPECT_EQ(ReadFrames(path).size(), 10u);
}

TEST(ToolsMerge, CopiesSessionsAndRefusesClashes) {
  TempDir t;
  WriteSample(t.File("a.cassette"), "alpha");
  WriteSample(t.File("b.cassette"), "beta");
  auto r = Wsr({"merge", t.File("m.cassette"), t.File("a.cassette"), t.File("b.cassette")});
  ASSERT_EQ(r.status, 0) << r.err;
  {
    auto c = Cassette::Open(t.File("m.cassette"), Cassette::Mode::kReadOnly);
    auto sessions = c->Sessions();
    ASSERT_EQ(sessions.size(), 2u);
    EXPECT_EQ(sessions[0].name, "alpha");
    EXPECT_EQ(sessions[1].name, "beta");
    EXPECT_EQ(c->Connections(sessions[1].id).size(), 2u);
  }
  EXPECT_EQ(ReadFrames(t.File("m.cassette"), "beta").size(), 10u);
  auto a = ReadFrames(t.File("a.cassette"));
  auto m = ReadFrames(t.File("m.cassette"), "alpha");
  ASSERT_EQ(a.size(), m.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].payload, m[i].payload);

  // alpha is already in m: nothing is written.
  WriteSample(t.File("c.cassette"), "gamma");
  r = Wsr({"merge", t.File("m.cassette"), t.File("c.cassette"), t.File("a.cassette")});
  ExpectOneLineError(r, "session 'alpha'");
  auto c = Cassette::Open(t.File("m.cassette"), Cassette::Mode::kReadOnly);
  EXPECT_EQ(c->Sessions().size(), 2u);
  r = Wsr({"merge", t.File("n.cassette"), t.File("a.cassette"), t.File("a.cassette")});
  ExpectOneLineError(r, "clashes");
  EXPECT_TRUE(AllCassetteBytes(t.File("n.cassette")).empty());
}

}  // namespace
}  // namespace wsr::tools_test

namespace wsr::tools_test {
namespace {

TEST(ToolsCut, SliceReplaysToAClient) {
  TempDir t;
  WriteSample(t.File("a.cassette"));
  auto r = Wsr({"cut", t.File("a.cassette"), "--out", t.File("cut.cassette"), "--from", "900ms",
                "--to", "3.2s", "--topic", "chat_room:r1"});
  ASSERT_EQ(r.status, 0) << r.err;
  Replay replay(t.File("cut.cassette"));
  ASSERT_TRUE(replay.client && replay.client->connected());
  replay.client->SendText(R"(["1","1","chat_room:r1","phx_join",{}])");
  auto seen = replay.ReceiveUntil("message_created");
  std::string all = ::testing::PrintToString(seen) + replay.server->stderr_text();
  EXPECT_TRUE(
      Contains(seen, R"(["1","1","chat_room:r1","phx_reply",{"status":"ok","response":{}}])"))
      << all;
  EXPECT_TRUE(Contains(
      seen,
      R"(["1",null,"chat_room:r1","message_created",{"content":"h\u00e9llo","sender_name":"Ann"}])"))
      << all;
}

}  // namespace
}  // namespace wsr::tools_test
