// A cassette is untrusted input: one whose times are extreme (a crafted or corrupt file) is
// read with its session start held to +-2^62 ns and its offsets to +-2^60 ns, so the tools that add
// a session's start to an offset (HAR and JSON Lines export, ls, show, stats, timeline, diff, lint)
// neither overflow (undefined behaviour, an abort in the sanitizer build) nor fail; they print what
// they can.
#include <climits>

#include "tests/tools/tools_fixture.h"

namespace wsr::tools_test {
namespace {
using testing::TempDir;

void WriteExtremeTimes(const std::string& path) {
  auto c = Cassette::Open(path, Cassette::Mode::kCreate);
  Session s;
  s.name = "far";
  s.started_at_ns = LLONG_MAX - 5;
  s.duration_ns = LLONG_MIN;
  Connection conn;
  conn.ordinal = 1;
  conn.path = "/socket/websocket";
  conn.upstream_url = "ws://127.0.0.1:1/socket/websocket";
  conn.http_status = 101;
  conn.opened_ns = LLONG_MAX;
  conn.closed_ns = LLONG_MIN;
  conn.close_code = 1000;
  const int64_t sid =
      AddSession(*c, s, {conn},
                 {MakeFrame(LLONG_MAX, kS2C, R"([null,null,"room:1","message_created",{}])"),
                  MakeFrame(LLONG_MIN, kC2S, R"(["1","2","room:1","phx_join",{}])")});
  cassette::Exchange e;
  e.session_id = sid;
  e.ordinal = 1;
  e.method = "GET";
  e.path = "/api/v1/agent/me";
  e.status = 200;
  e.request_ns = LLONG_MIN;
  e.response_ns = LLONG_MAX;
  c->InsertExchange(e);
}

TEST(CraftedTimes, AreReadWithinTheirRanges) {
  TempDir t;
  WriteExtremeTimes(t.File("far.cassette"));
  auto c = Cassette::Open(t.File("far.cassette"), Cassette::Mode::kReadOnly);
  const int64_t kMax = int64_t{1} << 60;  // offsets
  auto s = c->ResolveSession(std::nullopt);
  EXPECT_EQ(s.started_at_ns, int64_t{1} << 62);
  EXPECT_EQ(s.duration_ns, -kMax);
  auto conns = c->Connections(s.id);
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].opened_ns, kMax);
  EXPECT_EQ(conns[0].closed_ns, -kMax);
  auto frames = ReadFrames(t.File("far.cassette"));
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(std::min(frames[0].offset_ns, frames[1].offset_ns), -kMax);
  EXPECT_EQ(std::max(frames[0].offset_ns, frames[1].offset_ns), kMax);
  auto exchanges = c->Exchanges(s.id);
  ASSERT_EQ(exchanges.size(), 1u);
  EXPECT_EQ(exchanges[0].request_ns, -kMax);
  EXPECT_EQ(exchanges[0].response_ns, kMax);
}

TEST(CraftedTimes, ToolsReadThemWithoutOverflowing) {
  TempDir t;
  const std::string path = t.File("far.cassette");
  WriteExtremeTimes(path);
  const std::vector<std::vector<std::string>> commands = {
      {"ls", path},
      {"show", path},
      {"stats", path},
      {"export", path, "--format", "har", "-o", t.File("far.har")},
      {"export", path, "--format", "jsonl", "-o", t.File("far.jsonl")},
      {"timeline", path, "-o", t.File("far.html")},
      {"diff", path, path},
      {"lint", path},
  };
  for (const auto& args : commands) {
    auto r = Wsr(args);
    // lint judges the session (exit 1 for findings); only a crash or an overflow fails here.
    EXPECT_TRUE(r.status == 0 || (args[0] == "lint" && r.status == 1)) << args[0] << ": " << r.err;
    EXPECT_EQ(r.err.find("runtime error"), std::string::npos) << args[0] << ": " << r.err;
  }
}

}  // namespace
}  // namespace wsr::tools_test
