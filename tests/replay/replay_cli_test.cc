// `wsreplay replay` through the real binary on loopback: bad cassettes, connection mapping,
// refusals, the control endpoint with a manual clock, raw binary/fragmented frames byte for
// byte, and that nothing connects out.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/replay/recording.h"
#include "tests/replay/wire_client.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace wsr::testing {
namespace {

using wire::HttpRequest;
using wire::WsClient;

std::vector<std::string> ReplayArgs(const std::string& cassette,
                                    std::vector<std::string> extra = {}) {
  std::vector<std::string> a = {WsreplayBin(), "replay",   "--cassette",
                                cassette,      "--listen", "127.0.0.1:0"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

void ExpectRefused(const std::vector<std::string>& args, const std::string& message) {
  auto r = Run(args, {}, std::chrono::seconds(20));
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(r.out.find("listening on"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
}

TEST(ReplayCli, RefusesBadCassettesBeforeListening) {
  TempDir dir;
  std::string missing = dir.File("missing.db");
  ExpectRefused(ReplayArgs(missing), "does not exist");
  EXPECT_NE(access(missing.c_str(), F_OK), 0) << "replay created the cassette";

  std::string text = dir.File("notes.txt");
  WriteFile(text, "just some text, not a cassette\n");
  ExpectRefused(ReplayArgs(text), "wsreplay: error:");
  EXPECT_EQ(ReadFile(text), "just some text, not a cassette\n");

  std::string foreign = dir.File("foreign.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(foreign.c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1);", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  std::string before = ReadFile(foreign);
  ExpectRefused(ReplayArgs(foreign), "wsreplay: error:");
  EXPECT_EQ(ReadFile(foreign), before);

  std::string good = dir.File("good.db");
  {
    Recording r(good, "alpha");
    r.Connect();
    r.Finish();
  }
  before = ReadFile(good);
  ExpectRefused(ReplayArgs(good, {"--session", "nope"}), "nope");
  ExpectRefused(ReplayArgs(good, {"--speed", "fast"}), "--speed");
  EXPECT_EQ(ReadFile(good), before);
}

// Two recorded connections to the same path, one refused upgrade to another path.
std::string MappingCassette(TempDir& dir) {
  std::string path = dir.File("map.db");
  Recording r(path);
  r.Connect(0, "/ws", "vsn=2.0.0&api_key=redacted:api_key:0badc0de");
  r.S(10, "first connection");
  r.Close(100, 1000, "", "client");
  r.Connect(200, "/ws", "vsn=2.0.0&api_key=redacted:api_key:0badc0de");
  r.S(210, "second connection");
  r.Close(300, 1000, "", "client");
  r.Connect(400, "/forbidden", "", 403);
  r.Finish();
  return path;
}

TEST(ReplayCli, ReconnectsMapToTheNextRecordedConnection) {
  TempDir dir;
  std::string cassette = MappingCassette(dir);
  Process p(ReplayArgs(cassette, {"--speed", "max"}));
  std::string url = p.WaitForListening();
  ASSERT_FALSE(url.empty()) << p.stderr_text();
  int port = PortOf(url);
  for (const char* expected : {"first connection", "second connection"}) {
    // Query order differs and the key is different: placeholders match any value.
    WsClient c(port, "/ws?api_key=live-secret&vsn=2.0.0");
    ASSERT_TRUE(c.ok());
    auto m = c.ReadMessage();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->payload, expected);
    c.Close();
    c.ReadMessage(2000);  // the close echo
  }
  int status = 0;
  WsClient third(port, "/ws?api_key=x&vsn=2.0.0", &status);
  EXPECT_EQ(status, 409);
  WsClient other_query(port, "/ws?vsn=1.0.0&api_key=x", &status);
  EXPECT_EQ(status, 409);
  WsClient forbidden(port, "/forbidden", &status);
  EXPECT_EQ(status, 403);
  WsClient unknown(port, "/nothing", &status);
  EXPECT_EQ(status, 404);
  auto report = HttpRequest(port, "GET", "/__wsreplay/report");
  EXPECT_EQ(report.status, 200);
  auto j = nlohmann::json::parse(report.body);
  int served = 0, refused = 0;
  for (const auto& c : j["connections"]) (c["mode"] == "refused" ? refused : served)++;
  EXPECT_EQ(served, 2);
  EXPECT_EQ(refused, 4);                // 409, 409, the recorded 403, 404
  EXPECT_EQ(j["refused_upgrades"], 3);  // those the cassette had nothing for
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(), 0);
  EXPECT_NE(p.stderr_text().find("replay report"), std::string::npos);
}

TEST(ReplayCli, RawBinaryAndFragmentedFramesByteForByte) {
  TempDir dir;
  std::string cassette = dir.File("raw.db");
  std::string bin1("\x00\xff\x10\x00\x7f", 5), bin2(300, '\0');
  for (size_t i = 0; i < bin2.size(); ++i) bin2[i] = static_cast<char>(i * 7);
  {
    Recording r(cassette);
    r.Connect(0, "/raw", "");
    r.C(10, bin1, 2);
    r.S(20, bin2, 2, {100, 150, 50});
    r.S(30, "text \xe2\x9c\x93", 1);
    r.Close(40, 4002, "recorded reason", "upstream");
    r.Finish();
  }
  Process p(ReplayArgs(cassette, {"--speed", "10", "--strict"}));
  int port = PortOf(p.WaitForListening());
  ASSERT_GT(port, 0) << p.stderr_text();
  WsClient c(port, "/raw");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c.Read(100));  // nothing before the client's frame
  c.Send(2, bin1);
  std::string got;
  for (size_t expect : {100u, 150u, 50u}) {
    auto f = c.Read();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->payload.size(), expect);
    EXPECT_EQ(f->opcode, expect == 100u ? 2 : 0);
    EXPECT_EQ(f->fin, expect == 50u);
    got += f->payload;
  }
  EXPECT_EQ(got, bin2);
  auto t = c.ReadMessage();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->opcode, 1);
  EXPECT_EQ(t->payload, "text \xe2\x9c\x93");
  auto close = c.ReadMessage();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->opcode, 8);
  EXPECT_EQ(close->payload, std::string("\x0f\xa2recorded reason", 17));
  p.Signal(SIGINT);
  EXPECT_EQ(p.Wait(), 0) << p.stderr_text();
}

// A recorded ping (and an unsolicited pong) from the server reaches the client as that control
// frame, in recorded order among the data frames (the batched writer frames it itself).
TEST(ReplayCli, RawServerPingReachesTheClientAsAPingFrame) {
  TempDir dir;
  std::string cassette = dir.File("ping.db");
  {
    Recording r(cassette);
    r.Connect(0, "/raw", "");
    r.S(10, "before");
    r.S(20, "keepalive?", 9);
    r.C(21, "keepalive?", 10);  // the recorded client's pong: not expected from the live one
    r.S(30, "after");
    r.S(40, "beat", 10);
    r.Finish();
  }
  Process p(ReplayArgs(cassette, {"--speed", "10", "--strict"}));
  int port = PortOf(p.WaitForListening());
  ASSERT_GT(port, 0) << p.stderr_text();
  WsClient c(port, "/raw");
  ASSERT_TRUE(c.ok());
  std::vector<std::pair<int, std::string>> got;
  for (int i = 0; i < 4; ++i) {
    auto f = c.Read();
    ASSERT_TRUE(f) << "frame " << i << "; " << p.stderr_text();
    EXPECT_TRUE(f->fin);
    got.emplace_back(f->opcode, f->payload);
  }
  std::vector<std::pair<int, std::string>> want = {
      {1, "before"}, {9, "keepalive?"}, {1, "after"}, {10, "beat"}};
  EXPECT_EQ(got, want);
  c.Send(10, "keepalive?");  // the live client's pong: no mismatch
  c.Close();
  p.Signal(SIGINT);
  EXPECT_EQ(p.Wait(), 0) << p.stderr_text();  // --strict: no mismatch, nothing undelivered
}

nlohmann::json Json(const wire::HttpResponse& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "HTTP " << r.status << " body: " << r.body;
  return j;
}

nlohmann::json Status(int port) {
  auto r = HttpRequest(port, "GET", "/__wsreplay/status");
  EXPECT_EQ(r.status, 200) << r.body;
  return Json(r);
}

TEST(ReplayCli, ManualClockSteppedThroughTheControlEndpoint) {
  TempDir dir;
  std::string cassette = dir.File("manual.db");
  {
    Recording r(cassette);
    r.Connect();
    r.C(5, R"(["1","1","room:A","phx_join",{}])");
    r.S(10, R"(["1","1","room:A","phx_reply",{"status":"ok","response":{}}])");
    r.C(15, R"(["2","2","room:B","phx_join",{}])");
    r.S(20, R"(["2","2","room:B","phx_reply",{"status":"ok","response":{}}])");
    r.S(1000, R"(["1",null,"room:A","m",{"i":1}])");
    r.S(2000, R"(["2",null,"room:B","m",{"i":2}])");
    r.S(3000, R"(["1",null,"room:A","m",{"i":3}])");
    r.Finish();
  }
  Process p(ReplayArgs(cassette, {"--clock", "manual", "--join-timeout", "1s"}));
  int port = PortOf(p.WaitForListening());
  ASSERT_GT(port, 0) << p.stderr_text();
  WsClient c(port, "/socket/websocket?vsn=2.0.0");
  ASSERT_TRUE(c.ok());
  c.Send(1, R"(["9","9","room:A","phx_join",{}])");
  auto reply = c.ReadMessage();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->payload, R"(["9","9","room:A","phx_reply",{"status":"ok","response":{}}])");
  EXPECT_FALSE(c.ReadMessage(300));  // time stands still
  auto st = Status(port);
  EXPECT_EQ(st["clock"]["kind"], "manual");
  ASSERT_EQ(st["connections"].size(), 1u);
  EXPECT_NE(st["connections"][0]["pending"][0]["waits_for"].get<std::string>().find("its time"),
            std::string::npos);

  auto step = HttpRequest(port, "POST", "/__wsreplay/step");
  EXPECT_EQ(step.status, 200);
  EXPECT_EQ(Json(step)["stepped"], true);
  auto m = c.ReadMessage();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->payload, R"(["9",null,"room:A","m",{"i":1}])");

  // room:B is never joined: the next push waits for it, and status says so.
  st = Status(port);
  EXPECT_NE(st["connections"][0]["pending"][0]["waits_for"].get<std::string>().find(
                "join of topic 'room:B'"),
            std::string::npos)
      << st.dump();
  EXPECT_EQ(Json(HttpRequest(port, "POST", "/__wsreplay/step"))["stepped"], false);
  // Advancing past its due time + the join timeout skips it; the rest continue.
  EXPECT_EQ(HttpRequest(port, "POST", "/__wsreplay/advance?ms=3000").status, 200);
  m = c.ReadMessage();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->payload, R"(["9",null,"room:A","m",{"i":3}])");
  EXPECT_EQ(HttpRequest(port, "POST", "/__wsreplay/advance").status, 400);
  EXPECT_EQ(HttpRequest(port, "GET", "/__wsreplay/step").status, 405);
  EXPECT_EQ(HttpRequest(port, "POST", "/__wsreplay/speed?x=max").status, 200);
  auto rep = Json(HttpRequest(port, "GET", "/__wsreplay/report"));
  EXPECT_EQ(rep["undelivered"], 1);
  EXPECT_NE(rep["connections"][0]["undelivered"][0]["reason"].get<std::string>().find("room:B"),
            std::string::npos);
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(), 0);
}

TEST(ReplayCli, StrictExitsNonZeroOnMismatch) {
  TempDir dir;
  std::string cassette = dir.File("strict.db");
  {
    Recording r(cassette);
    r.Connect();
    r.C(5, R"(["1","1","room:A","phx_join",{}])");
    r.S(10, R"(["1","1","room:A","phx_reply",{"status":"ok","response":{}}])");
    r.Finish();
  }
  Process p(ReplayArgs(cassette, {"--strict", "--on-mismatch", "close"}));
  int port = PortOf(p.WaitForListening());
  ASSERT_GT(port, 0);
  WsClient c(port, "/socket/websocket?vsn=2.0.0");
  c.Send(1, R"(["1","1","room:Z","phx_join",{}])");
  auto close = c.ReadMessage();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->opcode, 8);
  EXPECT_EQ(close->payload.substr(0, 2), std::string("\x11\x30", 2));  // 4400
  EXPECT_NE(close->payload.find("room:Z"), std::string::npos);
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(), 3);
  EXPECT_NE(p.stderr_text().find("topic 'room:Z' is not in the cassette"), std::string::npos)
      << p.stderr_text();
}

// The replay server runs libwebsockets on an epoll loop (libev), so a turn does not scan every
// socket; WSREPLAY_EVENT_LOOP=poll selects lws's poll() loop, which serves the same.
TEST(ReplayCli, ServesOnAnEpollLoopAndOnPollWhenAskedTo) {
  TempDir dir;
  std::string cassette = dir.File("loop.db");
  {
    Recording r(cassette);
    r.Connect(0, "/raw", "");
    r.C(1, "ping?");
    r.S(2, "pong!");
    r.Finish();
  }
  for (const char* loop : {"", "poll"}) {
    SCOPED_TRACE(std::string("WSREPLAY_EVENT_LOOP=") + loop);
    Process::Options opts;
    opts.env["WSREPLAY_EVENT_LOOP"] = loop;
    Process p(ReplayArgs(cassette, {"--speed", "max"}), opts);
    int port = PortOf(p.WaitForListening());
    ASSERT_GT(port, 0) << p.stderr_text();
    EXPECT_EQ(EpollDescriptors(p.pid()), *loop ? 0 : 1);
    WsClient c(port, "/raw");
    c.Send(1, "ping?");
    auto m = c.ReadMessage();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->payload, "pong!");
    c.Close();
    p.Signal(SIGTERM);
    EXPECT_EQ(p.Wait(), 0) << p.stderr_text();
  }
}

TEST(ReplayCli, MakesNoOutboundConnection) {
  // A listener on the recorded upstream address must see nothing during the replay.
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(lfd, 8), 0);
  socklen_t alen = sizeof a;
  getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &alen);
  std::string upstream = "ws://127.0.0.1:" + std::to_string(ntohs(a.sin_port));

  TempDir dir;
  std::string cassette = dir.File("up.db");
  {
    Recording r(cassette, "s1", upstream);
    r.Connect(0, "/raw", "");
    r.C(1, "ping?");
    r.S(2, "pong!");
    r.Finish();
  }
  Process p(ReplayArgs(cassette, {"--speed", "max"}));
  int port = PortOf(p.WaitForListening());
  ASSERT_GT(port, 0);
  WsClient c(port, "/raw");
  c.Send(1, "ping?");
  auto m = c.ReadMessage();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->payload, "pong!");
  c.Close();
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(), 0);
  pollfd pf{lfd, POLLIN, 0};
  EXPECT_EQ(poll(&pf, 1, 200), 0) << "something connected to the recorded upstream";
  close(lfd);
}

TEST(ReplayCli, AutoRecordsOnceThenReplays) {
  TempDir dir;
  std::string cassette = dir.File("auto.db");
  std::vector<std::string> args = {WsreplayBin(), "auto",       "--cassette", cassette,
                                   "--session",   "once",       "--upstream", "ws://127.0.0.1:9",
                                   "--listen",    "127.0.0.1:0"};
  {
    Process rec(args);
    ASSERT_FALSE(rec.WaitForListening().empty()) << rec.stderr_text();
    rec.Signal(SIGTERM);
    EXPECT_EQ(rec.Wait(), 0) << rec.stderr_text();
    EXPECT_NE(rec.stderr_text().find("recording it"), std::string::npos) << rec.stderr_text();
  }
  Process replay(args);
  ASSERT_FALSE(replay.WaitForListening().empty()) << replay.stderr_text();
  replay.Signal(SIGTERM);
  EXPECT_EQ(replay.Wait(), 0);
  EXPECT_NE(replay.stderr_text().find("auto: replaying session 'once'"), std::string::npos)
      << replay.stderr_text();
  EXPECT_NE(replay.stderr_text().find("replay report"), std::string::npos);
}

}  // namespace
}  // namespace wsr::testing
