// The REST half of `wsreplay replay` through the real binary on loopback: recorded HTTP
// exchanges answered in recorded order with fresh framing, JSON bodies matched ignoring the
// volatile fields, a recorded 401 replayed with its body, an unrecorded request's 501 with the
// explanation (in the status, the report, and --strict's exit), --on-mismatch close and
// --match-body; causality between the halves (a push recorded after a POST waits for it).
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include <unistd.h>

#include "tests/replay/recording.h"
#include "tests/replay/wire_client.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace wsr::testing {
namespace {

using wire::HttpRequest;
using wire::HttpResponse;
using wire::WsClient;

const char* kMessages = "/api/v1/agent/chats/c1/messages";

std::vector<std::string> ReplayArgs(const std::string& cassette,
                                    std::vector<std::string> extra = {}) {
  std::vector<std::string> a = {WsreplayBin(), "replay",   "--cassette",
                                cassette,      "--listen", "127.0.0.1:0"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

// An agent's REST calls: /me refused once with a wrong key, then accepted; /messages/next
// twice (a message, then nothing left); a reply posted.
std::string RestCassette(TempDir& dir) {
  std::string path = dir.File("rest.db");
  Recording r(path);
  r.Http(10, "GET", "/api/v1/agent/me", "", 401,
         R"({"error":"unauthorized","message":"Invalid or missing API key"})",
         {{"Content-Type", "application/json"}, {"X-Request-ID", "req-401"}});
  r.Http(20, "GET", "/api/v1/agent/me", "", 200, R"({"data":{"id":"a1","name":"Agent"}})");
  // Recorded from a chunked upstream answer: neither header may be replayed as such.
  r.Http(30, "GET", std::string(kMessages) + "/next", "", 200,
         R"({"data":{"id":"m1","content":"@Agent hi"}})",
         {{"Content-Type", "application/json"},
          {"Transfer-Encoding", "chunked"},
          {"Content-Length", "9999"}});
  r.Http(40, "GET", std::string(kMessages) + "/next", "", 204, "", {});
  r.Http(50, "POST", kMessages,
         R"({"message":{"content":"Hello from the LLM","mentions":[{"id":"u1"}]}})", 201,
         R"({"id":"m2","success":true})");
  r.Finish();
  return path;
}

std::string HeaderValue(const HttpResponse& r, const std::string& name) {
  std::string head = r.head;
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto at = head.find("\r\n" + name + ":");
  if (at == std::string::npos) return "(absent)";
  auto start = r.head.find_first_not_of(' ', at + name.size() + 3);
  return r.head.substr(start, r.head.find("\r\n", start) - start);
}

// Stops the replay (SIGTERM) and expects its exit status and, in its stderr (the report and
// the log), `text`.
void ExpectStopsWith(Process& p, int exit_status, const std::string& text) {
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(), exit_status) << p.stderr_text();
  EXPECT_NE(p.stderr_text().find(text), std::string::npos) << p.stderr_text();
}

// GET /__wsreplay/status until `done` holds (bounded: 2 s); returns the last status.
template <typename Pred>
nlohmann::json WaitForStatus(int port, Pred done) {
  nlohmann::json status;
  for (int i = 0; i < 200; ++i) {
    status = nlohmann::json::parse(HttpRequest(port, "GET", "/__wsreplay/status").body);
    if (done(status)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status;
}

TEST(ReplayHttp, RecordedExchangesAnsweredInRecordedOrder) {
  TempDir dir;
  Process p(ReplayArgs(RestCassette(dir), {"--speed", "max", "--strict"}));
  int port = PortOf(p.WaitForListening());
  ASSERT_GT(port, 0) << p.stderr_text();

  // A wrong key's 401, replayed with its body and headers.
  auto unauthorized = HttpRequest(port, "GET", "/api/v1/agent/me", "X-API-Key: wrong\r\n");
  EXPECT_EQ(unauthorized.status, 401);
  EXPECT_EQ(unauthorized.body,
            R"({"error":"unauthorized","message":"Invalid or missing API key"})");
  EXPECT_EQ(HeaderValue(unauthorized, "x-request-id"), "req-401");
  auto me = HttpRequest(port, "GET", "/api/v1/agent/me", "X-API-Key: right\r\n");
  EXPECT_EQ(me.status, 200);
  EXPECT_EQ(me.body, R"({"data":{"id":"a1","name":"Agent"}})");

  // Two identical GETs: the recorded 200, then the recorded 204.
  auto first = HttpRequest(port, "GET", std::string(kMessages) + "/next");
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, R"({"data":{"id":"m1","content":"@Agent hi"}})");
  EXPECT_EQ(HeaderValue(first, "content-length"), std::to_string(first.body.size()));
  EXPECT_EQ(HeaderValue(first, "transfer-encoding"), "(absent)");
  auto second = HttpRequest(port, "GET", std::string(kMessages) + "/next");
  EXPECT_EQ(second.status, 204);
  EXPECT_EQ(second.body, "");

  // The LLM wrote something else this time: message content is volatile.
  auto post =
      HttpRequest(port, "POST", kMessages, "Content-Type: application/json\r\n",
                  R"({"message":{"mentions":[{"id":"u1"}],"content":"A different reply"}})");
  EXPECT_EQ(post.status, 201);
  EXPECT_EQ(post.body, R"({"id":"m2","success":true})");

  auto status = nlohmann::json::parse(HttpRequest(port, "GET", "/__wsreplay/status").body);
  EXPECT_EQ(status["http"]["answered"], 5);
  // The status shows the last exchanges served, newest first (the live page lists them).
  ASSERT_EQ(status["http"]["recent"].size(), 5u) << status.dump();
  EXPECT_EQ(status["http"]["recent"][0], std::string("#5 POST ") + kMessages + " -> 201");
  EXPECT_EQ(status["http"]["recent"][4], "#1 GET /api/v1/agent/me -> 401");
  EXPECT_EQ(status["http"]["pending"].size(), 0u);
  EXPECT_EQ(status["http"]["mismatch_count"], 0);
  EXPECT_EQ(status["http"]["unused_count"], 0);
  ExpectStopsWith(p, 0, "http: 5 requests answered from 5 recorded, mismatches 0");
  // One log line per request only under --verbose (ReplayHttp.VerboseLogsEveryRequest).
  EXPECT_EQ(p.stderr_text().find("-> recorded"), std::string::npos) << p.stderr_text();
}

// One keep-alive connection: two GETs sent at once (pipelined), then a POST with a body on
// the same connection: each gets its recorded answer, in order, complete (a response due at
// once is written from the request's own callback, head and body in one write).
// (Not tested: a request *with a body* pipelined behind another one. libwebsockets 4.1 hands
// the server the wrong bytes as its body, so it is answered 501; see replay/README.md.)
TEST(ReplayHttp, KeepAliveAndPipelinedRequestsAnsweredInOrder) {
  TempDir dir;
  Process p(ReplayArgs(RestCassette(dir), {"--speed", "max", "--strict"}));
  int port = PortOf(p.WaitForListening());
  ASSERT_GT(port, 0) << p.stderr_text();
  std::string host = "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  std::string next = "GET " + std::string(kMessages) + "/next HTTP/1.1\r\n" + host + "\r\n";
  int fd = wire::ConnectLoopback(port);
  wire::WriteAll(fd, next + next);
  std::string got;
  EXPECT_TRUE(wire::ReadUntilContains(fd, &got, "HTTP/1.1 204", 5000)) << got;
  std::string body = R"({"message":{"content":"x","mentions":[{"id":"u1"}]}})";
  wire::WriteAll(fd, "POST " + std::string(kMessages) + " HTTP/1.1\r\n" + host +
                         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  bool all = wire::ReadUntilContains(fd, &got, R"({"id":"m2","success":true})", 5000);
  close(fd);
  ASSERT_TRUE(all) << got << p.stderr_text();
  auto first = got.find("HTTP/1.1 200");
  auto second = got.find("HTTP/1.1 204");
  auto third = got.find("HTTP/1.1 201");
  ASSERT_NE(first, std::string::npos) << got;
  EXPECT_LT(first, second) << got;
  EXPECT_LT(second, third) << got;
  EXPECT_NE(got.find(R"({"data":{"id":"m1","content":"@Agent hi"}})"), std::string::npos) << got;
}

TEST(ReplayHttp, VerboseLogsEveryRequest) {
  TempDir dir;
  std::vector<std::string> args = ReplayArgs(RestCassette(dir), {"--speed", "max"});
  args.insert(args.begin() + 1, "-v");
  Process p(args);
  int port = PortOf(p.WaitForListening());
  ASSERT_GT(port, 0) << p.stderr_text();
  EXPECT_EQ(HttpRequest(port, "GET", "/api/v1/agent/me").status, 401);
  ExpectStopsWith(p, 0,
                  "debug: replay: GET /api/v1/agent/me -> recorded #1 GET "
                  "/api/v1/agent/me -> 401");
}

TEST(ReplayHttp, UnrecordedRequestGets501AndFailsStrict) {
  TempDir dir;
  Process p(ReplayArgs(RestCassette(dir), {"--speed", "max", "--strict"}));
  int port = PortOf(p.WaitForListening());
  ASSERT_GT(port, 0) << p.stderr_text();

  auto r = HttpRequest(port, "POST", kMessages, "Content-Type: application/json\r\n",
                       R"({"message":{"content":"hi","mentions":[{"id":"u2"}]}})");
  EXPECT_EQ(r.status, 501);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["error"], "not_in_cassette");
  EXPECT_EQ(j["request"], std::string("POST ") + kMessages);
  EXPECT_EQ(j["nearest"], std::string("#5 POST ") + kMessages);
  EXPECT_EQ(j["difference"], R"(body differs: /message/mentions/0/id: recorded "u1", got "u2")");

  auto status = nlohmann::json::parse(HttpRequest(port, "GET", "/__wsreplay/status").body);
  EXPECT_EQ(status["http"]["mismatch_count"], 1);
  EXPECT_EQ(status["mismatches"], 1);
  auto report = nlohmann::json::parse(HttpRequest(port, "GET", "/__wsreplay/report").body);
  EXPECT_EQ(report["clean"], false);
  ASSERT_EQ(report["http"]["mismatches"].size(), 1u);
  EXPECT_EQ(report["http"]["mismatches"][0]["action"], "answered 501");
  EXPECT_EQ(report["http"]["unused"].size(), 5u);

  ExpectStopsWith(p, 3,
                  "nearest recorded request #5 POST " + std::string(kMessages) +
                      ": body differs: /message/mentions/0/id");
}

TEST(ReplayHttp, OnMismatchCloseClosesTheConnection) {
  TempDir dir;
  Process p(ReplayArgs(RestCassette(dir), {"--on-mismatch", "close"}));
  int port = PortOf(p.WaitForListening());
  ASSERT_GT(port, 0) << p.stderr_text();
  EXPECT_THROW(HttpRequest(port, "GET", "/api/v1/agent/peers"), std::runtime_error);
  // The server goes on serving what it has.
  EXPECT_EQ(HttpRequest(port, "GET", "/api/v1/agent/me").status, 401);
  auto report = nlohmann::json::parse(HttpRequest(port, "GET", "/__wsreplay/report").body);
  ASSERT_EQ(report["http"]["mismatches"].size(), 1u);
  EXPECT_EQ(report["http"]["mismatches"][0]["action"], "closed the connection");
  EXPECT_EQ(report["http"]["mismatches"][0]["request"], "GET /api/v1/agent/peers");
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(), 0);
}

TEST(ReplayHttp, MatchBodyExactAndNone) {
  TempDir dir;
  std::string cassette = RestCassette(dir);
  std::string other = R"({"message":{"content":"A different reply","mentions":[{"id":"u9"}]}})";
  {
    Process p(ReplayArgs(cassette, {"--match-body", "exact"}));
    int port = PortOf(p.WaitForListening());
    ASSERT_GT(port, 0) << p.stderr_text();
    // Only the volatile content differs, but exact compares bytes.
    auto r =
        HttpRequest(port, "POST", kMessages, "",
                    R"({"message":{"content":"Hello from the LLM!","mentions":[{"id":"u1"}]}})");
    EXPECT_EQ(r.status, 501);
    EXPECT_NE(r.body.find("bytes differ"), std::string::npos) << r.body;
  }
  {
    Process p(ReplayArgs(cassette, {"--match-body", "none"}));
    int port = PortOf(p.WaitForListening());
    ASSERT_GT(port, 0) << p.stderr_text();
    EXPECT_EQ(HttpRequest(port, "POST", kMessages, "", other).status, 201);
  }
  auto bad = wsr::testing::Run(ReplayArgs(cassette, {"--match-body", "loose"}), {},
                               std::chrono::seconds(20));
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("--match-body"), std::string::npos) << bad.err;
  EXPECT_EQ(bad.out.find("listening on"), std::string::npos);
}

}  // namespace
}  // namespace wsr::testing

namespace wsr::testing {
namespace {

// A Phoenix connection joining chat_room:c1; a POST at 100 ms (its response ends at 101 ms)
// whose push was recorded at 400 ms; with_delete: a DELETE at 500 ms and its push at 520 ms.
std::string PostThenPushCassette(TempDir& dir, bool with_delete) {
  std::string path = dir.File("causal.db");
  Recording r(path);
  r.Connect();
  r.C(5, R"(["1","1","chat_room:c1","phx_join",{}])");
  r.S(10, R"(["1","1","chat_room:c1","phx_reply",{"status":"ok","response":{}}])");
  r.Http(100, "POST", kMessages, R"({"message":{"content":"hi"}})", 201, R"({"id":"m1"})");
  r.S(400, R"(["1",null,"chat_room:c1","message_created",{"id":"m1"}])");
  if (with_delete) {
    r.Http(500, "DELETE", "/api/v1/agent/chats/c1", "", 204, "", {});
    r.S(520, R"(["1",null,"chat_room:c1","room_deleted",{"id":"c1"}])");
  }
  r.Finish();
  return path;
}

// Joins chat_room:c1 as join_ref "3"; true when the join's reply came.
bool JoinRoom(WsClient& c) {
  if (!c.ok()) return false;
  c.Send(1, R"(["3","3","chat_room:c1","phx_join",{}])");
  auto reply = c.ReadMessage();
  return reply && reply->payload.find("phx_reply") != std::string::npos;
}

// Causality (replay/causal_gate.h): the push recorded 299 ms after the POST's response does not
// arrive before the live client POSTs, whatever the clock says, then arrives after its recorded
// delay; a push whose POST never comes is reported with the request it waited for.
TEST(ReplayHttp, PushRecordedAfterAPostWaitsForThePost) {
  TempDir dir;
  Process p(
      ReplayArgs(PostThenPushCassette(dir, /*with_delete=*/true), {"--speed", "1", "--strict"}));
  int port = PortOf(p.WaitForListening());
  ASSERT_GT(port, 0) << p.stderr_text();
  WsClient c(port, "/socket/websocket?vsn=2.0.0");
  ASSERT_TRUE(JoinRoom(c));
  // Twice the push's recorded time passes: it waits for the POST.
  EXPECT_FALSE(c.ReadMessage(800)) << "a push arrived before its POST";
  auto status = nlohmann::json::parse(HttpRequest(port, "GET", "/__wsreplay/status").body);
  EXPECT_EQ(status["connections"][0]["pending"][0]["waits_for"],
            std::string("request #1 POST ") + kMessages)
      << status.dump();

  auto posted_at = std::chrono::steady_clock::now();
  auto post = HttpRequest(port, "POST", kMessages, "Content-Type: application/json\r\n",
                          R"({"message":{"content":"a different LLM answer"}})");
  EXPECT_EQ(post.status, 201);
  auto push = c.ReadMessage(5000);
  auto waited = std::chrono::steady_clock::now() - posted_at;
  ASSERT_TRUE(push) << p.stderr_text();
  EXPECT_EQ(push->payload, R"(["3",null,"chat_room:c1","message_created",{"id":"m1"}])");
  EXPECT_GE(waited, std::chrono::milliseconds(290));  // recorded: 299 ms after the response
  EXPECT_LT(waited, std::chrono::milliseconds(3000));

  // The DELETE is never made: its push stays undelivered, named in the report; --strict fails.
  EXPECT_FALSE(c.ReadMessage(400));
  c.Close();
  ExpectStopsWith(p, 3,
                  "waited for request #2 DELETE /api/v1/agent/chats/c1, which the "
                  "client never made");
}

// --clock manual treats exchanges like frames: a response waits for `step` (its recorded end
// lies after the connection's replay position), is listed as held, and the push it caused
// then waits for its own step.
TEST(ReplayHttp, ManualClockStepsTheResponseThenItsPush) {
  TempDir dir;
  Process p(ReplayArgs(PostThenPushCassette(dir, /*with_delete=*/false),
                       {"--clock", "manual", "--strict"}));
  int port = PortOf(p.WaitForListening());
  ASSERT_GT(port, 0) << p.stderr_text();
  WsClient c(port, "/socket/websocket?vsn=2.0.0");
  ASSERT_TRUE(JoinRoom(c));  // the join reply goes at once

  HttpResponse post;
  std::thread poster([&] {
    try {
      post = HttpRequest(port, "POST", kMessages, "", R"({"message":{"content":"other"}})");
    } catch (const std::exception&) {
      post.status = -1;
    }
  });
  // Wait (bounded) until the server holds the request.
  auto status =
      WaitForStatus(port, [](const nlohmann::json& s) { return s["http"]["held_count"] == 1; });
  ASSERT_EQ(status["http"]["held_count"], 1) << status.dump();
  // Its recorded end (101 ms) lies after connection 1's replay position (0 ms, manual clock):
  // the pushes recorded before it come first.
  const std::string waits = "connection 1's pushes recorded before it, in 101.000ms";
  EXPECT_EQ(status["http"]["held"][0], std::string("#1 POST ") + kMessages + ": " + waits);
  ASSERT_EQ(status["http"]["pending"].size(), 1u) << status.dump();
  const auto& pending = status["http"]["pending"][0];
  EXPECT_EQ(pending["exchange"], 1);
  EXPECT_EQ(pending["request"], std::string("POST ") + kMessages);
  EXPECT_EQ(pending["status"], 201);
  EXPECT_EQ(pending["waits_for"], waits);
  EXPECT_EQ(pending["connection"], 1);
  EXPECT_EQ(pending["due_in_ms"], 101.0);
  EXPECT_EQ(status["http"]["answered"], 0);
  EXPECT_EQ(status["http"]["recent"].size(), 0u);

  auto step = nlohmann::json::parse(HttpRequest(port, "POST", "/__wsreplay/step").body);
  EXPECT_EQ(step["stepped"], true);
  poster.join();
  EXPECT_EQ(post.status, 201);
  EXPECT_EQ(post.body, R"({"id":"m1"})");
  EXPECT_FALSE(c.ReadMessage(300));  // the push waits for its own step
  step = nlohmann::json::parse(HttpRequest(port, "POST", "/__wsreplay/step").body);
  EXPECT_EQ(step["stepped"], true);
  auto push = c.ReadMessage();
  ASSERT_TRUE(push);
  EXPECT_EQ(push->payload, R"(["3",null,"chat_room:c1","message_created",{"id":"m1"}])");

  status = nlohmann::json::parse(HttpRequest(port, "GET", "/__wsreplay/status").body);
  EXPECT_EQ(status["http"]["pending"].size(), 0u) << status.dump();
  EXPECT_EQ(status["http"]["recent"][0], std::string("#1 POST ") + kMessages + " -> 201");
  auto report = nlohmann::json::parse(HttpRequest(port, "GET", "/__wsreplay/report").body);
  EXPECT_EQ(report["clean"], true) << report.dump();
  EXPECT_EQ(report["http"]["served"][0], std::string("#1 POST ") + kMessages + " -> 201");
  c.Close();
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(), 0) << p.stderr_text();
}

// A held response whose client disconnects before it is due is never sent: the report lists
// it like an undelivered frame, and --strict fails.
TEST(ReplayHttp, HeldResponseWhoseClientLeftIsReportedAndFailsStrict) {
  TempDir dir;
  std::string cassette = dir.File("held.db");
  {
    Recording r(cassette);
    r.Http(100, "POST", kMessages, R"({"message":{"content":"hi"}})", 201, R"({"id":"m1"})");
    r.Finish();
  }
  Process p(ReplayArgs(cassette, {"--clock", "manual", "--strict"}));
  int port = PortOf(p.WaitForListening());
  ASSERT_GT(port, 0) << p.stderr_text();
  std::string body = R"({"message":{"content":"hi"}})";
  int fd = wire::ConnectLoopback(port);
  wire::WriteAll(fd, std::string("POST ") + kMessages +
                         " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  // The manual clock holds its response (its recorded latency never passes).
  auto status =
      WaitForStatus(port, [](const nlohmann::json& s) { return s["http"]["held_count"] == 1; });
  ASSERT_EQ(status["http"]["held_count"], 1) << status.dump();
  EXPECT_EQ(status["http"]["pending"][0]["waits_for"], "its time, in 1.000ms") << status.dump();
  EXPECT_EQ(status["http"]["pending"][0]["connection"], nullptr);
  close(fd);
  status = WaitForStatus(port,
                         [](const nlohmann::json& s) { return s["http"]["abandoned_count"] == 1; });
  const std::string line = std::string("#1 POST ") + kMessages +
                           ": response held, client disconnected before it was due";
  ASSERT_EQ(status["http"]["abandoned_count"], 1) << status.dump();
  EXPECT_EQ(status["http"]["abandoned"][0], line);
  EXPECT_EQ(status["http"]["held_count"], 0);
  EXPECT_EQ(status["http"]["answered"], 0);
  auto report = nlohmann::json::parse(HttpRequest(port, "GET", "/__wsreplay/report").body);
  EXPECT_EQ(report["clean"], false) << report.dump();
  EXPECT_EQ(report["undelivered"], 1) << report.dump();
  ExpectStopsWith(p, 3, "    http " + line);
}

// --causality off: time and joins only (a session of two clients replayed to one of them).
TEST(ReplayHttp, CausalityOffDeliversWithoutTheRequest) {
  TempDir dir;
  std::string cassette = PostThenPushCassette(dir, /*with_delete=*/false);
  {
    Process bad(ReplayArgs(cassette, {"--causality", "maybe"}));
    EXPECT_NE(bad.Wait().value_or(0), 0);
    EXPECT_NE(bad.stderr_text().find("bad --causality 'maybe': use on or off"), std::string::npos)
        << bad.stderr_text();
  }
  Process p(ReplayArgs(cassette, {"--speed", "max", "--causality", "off"}));
  int port = PortOf(p.WaitForListening());
  ASSERT_GT(port, 0) << p.stderr_text();
  WsClient c(port, "/socket/websocket?vsn=2.0.0");
  ASSERT_TRUE(JoinRoom(c));
  auto push = c.ReadMessage();
  ASSERT_TRUE(push) << "no push without the POST under --causality off";
  EXPECT_NE(push->payload.find("message_created"), std::string::npos);
  c.Close();
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(), 0) << p.stderr_text();
}

}  // namespace
}  // namespace wsr::testing
