// The replay server's HTTP side through the real binary: the request guards (a web page must
// not drive a running test: foreign Origin, foreign Host, state changes on GET), the Origin
// rule for WebSocket upgrades with --allow-origin, and the live page with its event stream.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>

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

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string MakeCassette(const TempDir& dir) {
  std::string cassette = dir.File("guard.db");
  Recording r(cassette);
  r.Connect();
  r.C(5, R"(["1","1","room:A","phx_join",{}])");
  r.S(10, R"(["1","1","room:A","phx_reply",{"status":"ok","response":{}}])");
  r.S(1000, R"(["1",null,"room:A","m",{"i":1}])");
  r.S(2000, R"(["1",null,"room:A","m",{"i":2}])");
  r.Finish();
  return cassette;
}

struct Server {
  explicit Server(const std::string& cassette, std::vector<std::string> extra = {})
      : process([&] {
          std::vector<std::string> a = {WsreplayBin(), "replay",   "--cassette",
                                        cassette,      "--listen", "127.0.0.1:0"};
          a.insert(a.end(), extra.begin(), extra.end());
          return a;
        }()) {
    port = PortOf(process.WaitForListening());
  }
  ~Server() { Stop(); }
  // Stops the server; returns everything it wrote on stderr (read only once it exited).
  std::string Stop() {
    if (!stopped) {
      stopped = true;
      process.Signal(SIGTERM);
      EXPECT_EQ(process.Wait(), 0) << process.stderr_text();
    }
    return process.stderr_text();
  }
  nlohmann::json Status() {
    auto r = HttpRequest(port, "GET", "/__wsreplay/status");
    EXPECT_EQ(r.status, 200) << r.body;
    return nlohmann::json::parse(r.body);
  }
  Process process;
  int port = 0;
  bool stopped = false;
};

TEST(ReplayGuard, CrossOriginPostIsRefusedAndChangesNothing) {
  TempDir dir;
  Server s(MakeCassette(dir));
  ASSERT_GT(s.port, 0) << s.process.stderr_text();
  // What a page on another site can send without a CORS preflight.
  auto r = HttpRequest(s.port, "POST", "/__wsreplay/pause",
                       "Origin: http://evil.example\r\nContent-Type: text/plain\r\n");
  EXPECT_EQ(r.status, 403) << r.body;
  auto body = nlohmann::json::parse(r.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << r.body;
  EXPECT_NE(
      body["error"].get<std::string>().find("cross-origin request from 'http://evil.example'"),
      std::string::npos)
      << r.body;
  EXPECT_EQ(s.Status()["clock"]["paused"], false);
  // Another local app (another port) is another origin too.
  r = HttpRequest(s.port, "POST", "/__wsreplay/pause", "Origin: http://localhost:3000\r\n");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(s.Status()["clock"]["paused"], false);
  // The live page's own origin is obeyed, and so is a client without Origin.
  std::string own = "Origin: http://127.0.0.1:" + std::to_string(s.port) + "\r\n";
  EXPECT_EQ(HttpRequest(s.port, "POST", "/__wsreplay/pause", own).status, 200);
  EXPECT_EQ(s.Status()["clock"]["paused"], true);
  EXPECT_EQ(HttpRequest(s.port, "POST", "/__wsreplay/resume").status, 200);
  EXPECT_EQ(s.Status()["clock"]["paused"], false);
  EXPECT_NE(s.Stop().find("refused POST /__wsreplay/pause: cross-origin request from "
                          "'http://evil.example'"),
            std::string::npos)
      << s.process.stderr_text();
}

TEST(ReplayGuard, ForeignHostIsRefused) {
  TempDir dir;
  Server s(MakeCassette(dir));
  ASSERT_GT(s.port, 0) << s.process.stderr_text();
  std::string p = std::to_string(s.port);
  // DNS rebinding: evil.example resolved to 127.0.0.1, the browser still says its name.
  auto r = HttpRequest(s.port, "POST", "/__wsreplay/pause", "Host: evil.example:" + p + "\r\n");
  EXPECT_EQ(r.status, 421) << r.body;
  EXPECT_NE(r.body.find("DNS rebinding"), std::string::npos) << r.body;
  EXPECT_EQ(
      HttpRequest(s.port, "GET", "/__wsreplay/status", "Host: evil.example:" + p + "\r\n").status,
      421);
  EXPECT_EQ(HttpRequest(s.port, "GET", "/__wsreplay/", "Host: evil.example:" + p + "\r\n").status,
            421);
  EXPECT_EQ(s.Status()["clock"]["paused"], false);
  EXPECT_EQ(
      HttpRequest(s.port, "GET", "/__wsreplay/status", "Host: localhost:" + p + "\r\n").status,
      200);
  EXPECT_EQ(HttpRequest(s.port, "GET", "/__wsreplay/status", "Host: [::1]:" + p + "\r\n").status,
            200);
  EXPECT_EQ(HttpRequest(s.port, "GET", "/__wsreplay/status",
                        "Host: 127.0.0.1:" + std::to_string(s.port + 1) + "\r\n")
                .status,
            421);
}

TEST(ReplayGuard, GetNeverChangesState) {
  TempDir dir;
  Server s(MakeCassette(dir));
  ASSERT_GT(s.port, 0) << s.process.stderr_text();
  for (const char* route : {"/__wsreplay/pause", "/__wsreplay/step", "/__wsreplay/advance?ms=5",
                            "/__wsreplay/speed?x=max"}) {
    auto r = HttpRequest(s.port, "GET", route);
    EXPECT_EQ(r.status, 405) << route << " " << r.body;
    EXPECT_NE(Lower(r.head).find("\r\nallow: post"), std::string::npos) << route << "\n" << r.head;
  }
  auto st = s.Status();
  EXPECT_EQ(st["clock"]["paused"], false);
  EXPECT_EQ(st["clock"]["speed"], "1x");
  auto r = HttpRequest(s.port, "POST", "/__wsreplay/status");
  EXPECT_EQ(r.status, 405);
  EXPECT_NE(Lower(r.head).find("\r\nallow: get"), std::string::npos) << r.head;
}

TEST(ReplayGuard, WebSocketOrigins) {
  TempDir dir;
  std::string cassette = MakeCassette(dir);
  {
    Server s(cassette);
    ASSERT_GT(s.port, 0) << s.process.stderr_text();
    int status = 0;
    WsClient foreign(s.port, "/socket/websocket?vsn=2.0.0", &status,
                     "Origin: http://evil.example\r\n");
    EXPECT_EQ(status, 403);
    EXPECT_FALSE(foreign.ok());
    // The refusal did not use up the recorded connection: a web app on localhost gets it.
    WsClient local(s.port, "/socket/websocket?vsn=2.0.0", &status,
                   "Origin: http://localhost:3000\r\n");
    EXPECT_EQ(status, 101);
    ASSERT_TRUE(local.ok());
    local.Send(1, R"(["9","9","room:A","phx_join",{}])");
    auto reply = local.ReadMessage();
    ASSERT_TRUE(reply);
    EXPECT_NE(reply->payload.find("phx_reply"), std::string::npos);
    std::string log = s.Stop();
    EXPECT_NE(log.find("refusing WebSocket upgrade of /socket/websocket from origin "
                       "'http://evil.example' with HTTP 403"),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("pass --allow-origin http://evil.example"), std::string::npos) << log;
  }
  {
    Server s(cassette, {"--allow-origin", "http://evil.example"});
    ASSERT_GT(s.port, 0) << s.process.stderr_text();
    int status = 0;
    WsClient allowed(s.port, "/socket/websocket?vsn=2.0.0", &status,
                     "Origin: http://evil.example\r\n");
    EXPECT_EQ(status, 101);
    EXPECT_TRUE(allowed.ok());
  }
  auto bad =
      wsr::testing::Run({WsreplayBin(), "replay", "--cassette", cassette, "--allow-origin", "evil"},
                        {}, std::chrono::seconds(20));
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("bad --allow-origin 'evil'"), std::string::npos) << bad.err;
}

TEST(ReplayLive, PageAndEventStream) {
  TempDir dir;
  Server s(MakeCassette(dir), {"--clock", "manual"});
  ASSERT_GT(s.port, 0) << s.process.stderr_text();
  auto page = HttpRequest(s.port, "GET", "/__wsreplay/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(Lower(page.head).find("content-type: text/html"), std::string::npos) << page.head;
  EXPECT_NE(page.body.find("wsreplay live: session s1"), std::string::npos);
  EXPECT_EQ(page.body.find("src=\"http"), std::string::npos);  // nothing loaded from outside
  EXPECT_EQ(page.body.find("href=\"http"), std::string::npos);
  EXPECT_EQ(HttpRequest(s.port, "POST", "/__wsreplay/").status, 405);

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(s.port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  std::string req = "GET /__wsreplay/events HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(s.port) +
                    "\r\nAccept: text/event-stream\r\n\r\n";
  ASSERT_EQ(write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
  std::string events;
  ASSERT_TRUE(wire::ReadUntilContains(fd, &events, "\r\n\r\n", 5000)) << events;
  EXPECT_NE(Lower(events).find("content-type: text/event-stream"), std::string::npos) << events;

  WsClient c(s.port, "/socket/websocket?vsn=2.0.0");
  ASSERT_TRUE(c.ok());
  c.Send(1, R"(["9","9","room:A","phx_join",{}])");
  ASSERT_TRUE(c.ReadMessage());
  c.Send(1, R"(["9","10","room:Z","nope",{}])");  // not in the cassette
  ASSERT_TRUE(c.ReadMessage());
  EXPECT_EQ(HttpRequest(s.port, "POST", "/__wsreplay/step").status, 200);
  auto m = c.ReadMessage();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->payload, R"(["9",null,"room:A","m",{"i":1}])");
  ASSERT_TRUE(wire::ReadUntilContains(fd, &events, "\"what\":\"stepped\"", 5000)) << events;
  ASSERT_TRUE(wire::ReadUntilContains(fd, &events, "\"event\":\"m\"", 5000)) << events;
  EXPECT_NE(events.find("\"type\":\"open\""), std::string::npos) << events;
  EXPECT_NE(events.find("\"rec_ms\":1000.0"), std::string::npos) << events;
  EXPECT_NE(events.find("\"mismatch\":\"the recording has no 'nope' frame"), std::string::npos)
      << events;
  close(fd);
  // Status tells the page which lane the next pending frame goes on.
  auto st = s.Status();
  ASSERT_EQ(st["connections"].size(), 1u);
  EXPECT_EQ(st["connections"][0]["pending"][0]["topic"], "room:A");
}

}  // namespace
}  // namespace wsr::testing
