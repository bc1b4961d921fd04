// Fault injection and breakpoints against the real binary and the official `phoenix` npm
// client with its own reconnect logic (tests/js/phoenix_client.mjs --reconnect): close:1012
// and drop mid-session, a stall ending in the client's heartbeat timeout, each followed by a
// resumed session in which every recorded push arrives exactly once and in recorded order;
// refuse:429 then success (with Retry-After); delay and duplicate seen at the client; a
// breakpoint that pauses before an event and a step that releases exactly it; bad specs.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/replay/recording.h"
#include "tests/replay/wire_client.h"
#include "tests/support/phoenix_js.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace wsr::testing {
namespace {

const char* kPath = "/api/v1/socket/websocket";
const char* kQuery = "vsn=2.0.0&api_key=redacted:api_key:5eb63bbb";

// Joins A and B, five pushes interleaved across them (as replay_phoenix_js_test.cc).
void RecordConnection(Recording& r, int64_t t) {
  r.Connect(t, kPath, kQuery);
  r.C(t + 5, R"(["1","1","chat_room:A","phx_join",{}])");
  r.C(t + 6, R"(["2","2","chat_room:B","phx_join",{}])");
  r.S(t + 10, R"(["1","1","chat_room:A","phx_reply",{"status":"ok","response":{}}])");
  r.S(t + 11, R"(["2","2","chat_room:B","phx_reply",{"status":"ok","response":{}}])");
  r.S(t + 100, R"(["1",null,"chat_room:A","message_created",{"id":"m1","n":1}])");
  r.S(t + 150, R"(["2",null,"chat_room:B","message_created",{"id":"m2","n":2}])");
  r.S(t + 200, R"(["1",null,"chat_room:A","message_updated",{"id":"m1","n":3}])");
  r.S(t + 250, R"(["2",null,"chat_room:B","message_created",{"id":"m4","n":4}])");
  r.S(t + 300, R"(["1",null,"chat_room:A","message_created",{"id":"m5","n":5}])");
  r.Close(t + 400, 1000, "", "client");
}

std::string RecordChat(TempDir& dir, int connections = 1) {
  std::string path = dir.File("chat.db");
  Recording r(path, "chat");
  for (int i = 0; i < connections; ++i) RecordConnection(r, i * 1000);
  r.Finish(connections * 1000);
  return path;
}

const char* kExpected =
    "chat_room:A message_created {\"id\":\"m1\",\"n\":1}\n"
    "chat_room:B message_created {\"id\":\"m2\",\"n\":2}\n"
    "chat_room:A message_updated {\"id\":\"m1\",\"n\":3}\n"
    "chat_room:B message_created {\"id\":\"m4\",\"n\":4}\n"
    "chat_room:A message_created {\"id\":\"m5\",\"n\":5}\n";

std::vector<std::string> ClientArgs(const std::string& url, int events, int heartbeat_ms) {
  return {"node",           PhoenixJsClient(),
          "--url",          url + "/api/v1/socket",
          "--params",       R"({"api_key":"live-key"})",
          "--join",         "chat_room:B",
          "--join",         "chat_room:A",
          "--heartbeat-ms", std::to_string(heartbeat_ms),
          "--until-events", std::to_string(events),
          "--timeout-ms",   "5000",
          "--reconnect"};
}

struct Replay {
  TempDir dir;
  std::string cassette;
  std::string report_path = dir.File("report.json");
  std::unique_ptr<Process> server;
  std::string url;

  explicit Replay(std::vector<std::string> flags, int recorded_connections = 1)
      : cassette(RecordChat(dir, recorded_connections)) {
    std::vector<std::string> argv = {WsreplayBin(), "replay",        "--cassette",
                                     cassette,      "--listen",      "127.0.0.1:0",
                                     "--strict",    "--report-json", report_path};
    argv.insert(argv.end(), flags.begin(), flags.end());
    server = std::make_unique<Process>(argv);
    url = server->WaitForListening();
    EXPECT_FALSE(url.empty()) << server->stderr_text();
  }
  PhoenixJsOutput RunClient(int events, int heartbeat_ms = 30000) {
    auto r = testing::Run(ClientArgs(url, events, heartbeat_ms), {}, std::chrono::seconds(30));
    EXPECT_EQ(r.status, 0) << r.err;
    return ReadPhoenixJsOutput(r.out);
  }
  // Stops the server (SIGTERM) and returns the JSON report; EXPECTs the exit status.
  nlohmann::json Stop(int expected_exit = 0) {
    server->Signal(SIGTERM);
    EXPECT_EQ(server->Wait(), expected_exit) << server->stderr_text();
    std::ifstream in(report_path);
    std::stringstream ss;
    ss << in.rdbuf();
    return nlohmann::json::parse(ss.str());
  }
};

std::vector<nlohmann::json> Kind(const PhoenixJsOutput& out, const std::string& kind) {
  std::vector<nlohmann::json> v;
  for (const auto& l : out.lines) {
    if (l.value("kind", "") == kind) v.push_back(l);
  }
  return v;
}

// Every recorded push exactly once, in recorded order, across both connections; the fault
// in the report with the reconnect, the rejoined topics and the frames after it; clean.
void ExpectResumedCleanly(Replay& replay, const PhoenixJsOutput& out, int close_code,
                          int frames_after) {
  EXPECT_EQ(out.EventLines(), kExpected);
  auto closes = Kind(out, "close");
  ASSERT_GE(closes.size(), 1u);
  EXPECT_EQ(closes[0]["code"], close_code);
  EXPECT_EQ(Kind(out, "open").size(), 2u);
  auto report = replay.Stop(0);  // --strict: nothing undelivered, no mismatch
  ASSERT_EQ(report["faults"].size(), 1u) << report.dump(2);
  const auto& hit = report["faults"][0];
  EXPECT_EQ(hit["connection"], 1);
  EXPECT_EQ(hit["next_connection"], 2);
  EXPECT_TRUE(hit["reconnect_after_ms"].is_number()) << hit.dump();
  auto rejoined = hit["rejoined"].get<std::vector<std::string>>();
  std::sort(rejoined.begin(), rejoined.end());
  EXPECT_EQ(rejoined, (std::vector<std::string>{"chat_room:A", "chat_room:B"}));
  EXPECT_EQ(hit["frames_after"], frames_after);
  ASSERT_EQ(report["connections"].size(), 2u);
  EXPECT_EQ(report["connections"][0]["resumed_by"], 2);
  EXPECT_EQ(report["connections"][1]["resumes"], 1);
  EXPECT_EQ(report["connections"][1]["recorded_connection"], 1);
  EXPECT_TRUE(report["clean"]) << report.dump(2);
}

TEST(ReplayFaults, Close1012BeforeAnEventThenTheReconnectResumes) {
  Replay replay({"--speed", "max", "--fault", "close:1012:restart@event:message_updated"});
  auto out = replay.RunClient(5);
  ExpectResumedCleanly(replay, out, 1012, 3);
}

TEST(ReplayFaults, DropAtFrameNThenTheReconnectResumes) {
  // Frames: two join replies, then pushes: the drop comes before the second push.
  Replay replay({"--speed", "max", "--fault", "drop@frame:4"});
  auto out = replay.RunClient(5);
  ExpectResumedCleanly(replay, out, 1006, 4);
}

TEST(ReplayFaults, StallEndsInTheClientsHeartbeatTimeoutThenResumes) {
  Replay replay({"--speed", "max", "--fault", "stall@frame:5"});
  auto start = std::chrono::steady_clock::now();
  auto out = replay.RunClient(5, /*heartbeat_ms=*/300);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  auto closes = Kind(out, "close");
  ASSERT_GE(closes.size(), 1u);
  EXPECT_EQ(closes[0]["reason"], "heartbeat timeout");
  ExpectResumedCleanly(replay, out, 1000, 3);
}

TEST(ReplayFaults, AfterFaultNextServesTheNextRecordedConnection) {
  Replay replay({"--speed", "max", "--after-fault", "next", "--fault", "close:1012@frame:5"},
                /*recorded_connections=*/2);
  // Two pushes from recorded #1, then all five again from recorded #2.
  auto out = replay.RunClient(7);
  auto lines = out.EventLines();
  EXPECT_EQ(lines.substr(lines.size() - std::string(kExpected).size()), kExpected) << lines;
  EXPECT_EQ(out.events.size(), 7u);
  auto report = replay.Stop(3);  // --strict: recorded #1's last three pushes never went out
  EXPECT_EQ(report["connections"][0]["undelivered_count"], 3);
  EXPECT_EQ(report["connections"][1]["recorded_connection"], 2);
  EXPECT_EQ(report["connections"][0]["undelivered"][0]["reason"],
            "not sent: fault close:1012@frame:5: closed 1012");
}

TEST(ReplayFaults, Refuse429OnTheFirstAttemptThenSuccess) {
  Replay replay({"--speed", "max", "--fault", "refuse:429@connect:1"});
  // A plain upgrade attempt sees the status and Retry-After.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(PortOf(replay.url)));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  std::string req =
      std::string("GET ") + kPath + "?vsn=2.0.0&api_key=k HTTP/1.1\r\n" +
      "Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  ASSERT_EQ(write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
  std::string head;
  char buf[4096];
  ssize_t n;
  while (head.find("\r\n\r\n") == std::string::npos && (n = read(fd, buf, sizeof buf)) > 0) {
    head.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  EXPECT_EQ(head.rfind("HTTP/1.", 0), 0u) << head;
  EXPECT_EQ(head.substr(8, 5), " 429 ") << head;
  std::string lower = head;
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  EXPECT_NE(lower.find("retry-after: 1\r\n"), std::string::npos) << head;
  // The phoenix client's own attempt is the second: it succeeds.
  auto out = replay.RunClient(5);
  EXPECT_EQ(out.EventLines(), kExpected);
  auto report = replay.Stop(0);
  ASSERT_EQ(report["faults"].size(), 1u);
  EXPECT_EQ(report["faults"][0]["effect"], "refused with HTTP 429");
  EXPECT_EQ(report["faults"][0]["next_connection"], 2);
  EXPECT_EQ(report["connections"][0]["mode"], "refused");
  EXPECT_EQ(report["connections"][0]["http_status"], 429);
}

TEST(ReplayFaults, RefusedAttemptIsRetriedByThePhoenixClient) {
  Replay replay({"--speed", "max", "--fault", "refuse:503@connect:1"});
  auto out = replay.RunClient(5);
  EXPECT_EQ(out.EventLines(), kExpected);
  EXPECT_EQ(Kind(out, "open").size(), 1u);
  EXPECT_GE(Kind(out, "close").size(), 1u);  // the refused attempt
  replay.Stop(0);
}

TEST(ReplayFaults, DelayIsSeenAtTheClient) {
  // At --speed max only the delay separates the pushes. The delay moves the push's due time,
  // not its gap to the push before it: when that one reached a loaded client (ASan, 2 cores,
  // node starting beside it) late, the gap is shorter by that much (1,966 ms for 2 s seen), and
  // undelayed gaps have stretched past 700 ms. Hence a 2 s delay, a delayed gap of at least
  // 1.6 s and undelayed gaps under 1.2 s.
  Replay replay({"--speed", "max", "--fault", "delay:2s@event:message_updated"});
  auto out = replay.RunClient(5);
  EXPECT_EQ(out.EventLines(), kExpected);
  auto events = Kind(out, "event");
  ASSERT_EQ(events.size(), 5u);
  EXPECT_GE(events[2]["ms"].get<int64_t>() - events[1]["ms"].get<int64_t>(), 1600);
  EXPECT_LT(events[1]["ms"].get<int64_t>() - events[0]["ms"].get<int64_t>(), 1200);
  EXPECT_LT(events[4]["ms"].get<int64_t>() - events[2]["ms"].get<int64_t>(), 1200);
  replay.Stop(0);
}

TEST(ReplayFaults, DuplicateIsSeenAtTheClient) {
  Replay replay({"--speed", "max", "--fault", "duplicate@event:message_created:chat_room:B"});
  auto out = replay.RunClient(6);
  EXPECT_EQ(out.EventLines(),
            "chat_room:A message_created {\"id\":\"m1\",\"n\":1}\n"
            "chat_room:B message_created {\"id\":\"m2\",\"n\":2}\n"
            "chat_room:B message_created {\"id\":\"m2\",\"n\":2}\n"
            "chat_room:A message_updated {\"id\":\"m1\",\"n\":3}\n"
            "chat_room:B message_created {\"id\":\"m4\",\"n\":4}\n"
            "chat_room:A message_created {\"id\":\"m5\",\"n\":5}\n");
  auto report = replay.Stop(0);
  EXPECT_EQ(report["connections"][0]["delivered"], 7);  // 2 replies + 5 recorded pushes
}

std::string ReadFileText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::json Control(int port, const std::string& method, const std::string& target) {
  auto r = wire::HttpRequest(port, method, target);
  EXPECT_EQ(r.status, 200) << method << " " << target << ": " << r.body;
  return nlohmann::json::parse(r.body);
}

// Waits until `pred(status)` holds (or 10 s pass); returns the last status.
template <typename Pred>
nlohmann::json WaitForStatus(int port, Pred pred) {
  nlohmann::json s;
  for (int i = 0; i < 1000; ++i) {
    s = Control(port, "GET", "/__wsreplay/status");
    if (pred(s)) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "status never satisfied the condition: " << s.dump(2);
  return s;
}

size_t ClientEvents(const std::string& path) {
  return ReadPhoenixJsOutput(ReadFileText(path)).events.size();
}

TEST(ReplayFaults, BreakpointPausesBeforeTheEventAndStepReleasesExactlyIt) {
  Replay replay({"--speed", "max", "--break", "event:message_updated"});
  int port = PortOf(replay.url);
  std::string events_path = replay.dir.File("events.jsonl");
  std::string cmd;
  for (const auto& a : ClientArgs(replay.url, 5, 30000)) {
    cmd += (cmd.empty() ? "" : " ") + (a.front() == '{' ? "'" + a + "'" : a);
  }
  Process client({"sh", "-c", "exec " + cmd + " > " + events_path});
  auto at_break = [](const nlohmann::json& s) {
    for (const auto& c : s["connections"]) {
      if (c["fault_stage"]["state"] == "at breakpoint") return true;
    }
    return false;
  };
  auto s = WaitForStatus(port, at_break);
  EXPECT_TRUE(s["clock"]["paused"]);
  ASSERT_EQ(s["faults"]["hits"].size(), 1u);
  EXPECT_EQ(s["faults"]["hits"][0]["spec"], "break event:message_updated");
  // The client has exactly the two pushes before it, and nothing comes while paused.
  for (int i = 0; i < 100 && ClientEvents(events_path) < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(ClientEvents(events_path), 2u);
  auto step = Control(port, "POST", "/__wsreplay/step");
  EXPECT_TRUE(step["stepped"]);
  for (int i = 0; i < 200 && ClientEvents(events_path) < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto got = ReadPhoenixJsOutput(ReadFileText(events_path));
  ASSERT_EQ(got.events.size(), 3u);
  EXPECT_EQ(got.events[2], "chat_room:A message_updated {\"id\":\"m1\",\"n\":3}");
  // Resume lets the rest go.
  Control(port, "POST", "/__wsreplay/resume");
  EXPECT_EQ(client.Wait(std::chrono::seconds(20)), 0);
  EXPECT_EQ(ReadPhoenixJsOutput(ReadFileText(events_path)).EventLines(), kExpected);
  replay.Stop(0);
}

TEST(ReplayFaults, FaultsAndBreakpointsThroughTheControlEndpoint) {
  Replay replay({"--clock", "manual"});
  int port = PortOf(replay.url);
  auto added = Control(port, "POST", "/__wsreplay/fault?spec=skip@frame:3,conn=1");
  EXPECT_EQ(added["fault"], "skip@frame:3,conn=1");
  Control(port, "POST", "/__wsreplay/break?spec=event:message_created:chat_room:A");
  auto s = Control(port, "GET", "/__wsreplay/status");
  EXPECT_EQ(s["faults"]["faults"][0]["spec"], "skip@frame:3,conn=1");
  EXPECT_EQ(s["faults"]["faults"][0]["fired"], false);
  EXPECT_EQ(s["faults"]["breakpoints"][0], "event:message_created:chat_room:A");
  auto removed =
      Control(port, "DELETE", "/__wsreplay/break?spec=event:message_created:chat_room:A");
  EXPECT_EQ(removed["removed"], "event:message_created:chat_room:A");
  EXPECT_TRUE(Control(port, "GET", "/__wsreplay/status")["faults"]["breakpoints"].empty());

  auto bad = wire::HttpRequest(port, "POST", "/__wsreplay/fault?spec=explode@frame:1");
  EXPECT_EQ(bad.status, 400);
  auto err = nlohmann::json::parse(bad.body)["error"].get<std::string>();
  EXPECT_NE(err.find("unknown action 'explode'"), std::string::npos) << err;
  EXPECT_NE(err.find("grammar: ACTION@TRIGGER"), std::string::npos) << err;
  EXPECT_EQ(wire::HttpRequest(port, "POST", "/__wsreplay/fault").status, 400);
  EXPECT_EQ(wire::HttpRequest(port, "GET", "/__wsreplay/fault?spec=drop@frame:1").status, 405);
  EXPECT_EQ(wire::HttpRequest(port, "DELETE", "/__wsreplay/break?spec=frame:9").status, 404);
  EXPECT_EQ(wire::HttpRequest(port, "POST", "/__wsreplay/break?spec=connect:1").status, 400);
  replay.Stop(3);  // nobody connected: undelivered
}

TEST(ReplayFaults, BadSpecsOnTheCommandLineExit2WithTheGrammar) {
  TempDir dir;
  std::string cassette = RecordChat(dir);
  for (std::vector<std::string> flags : {std::vector<std::string>{"--fault", "close:99@frame:1"},
                                         {"--fault", "drop@frame"},
                                         {"--break", "connect:2"},
                                         {"--after-fault", "later"}}) {
    std::vector<std::string> argv = {WsreplayBin(), "replay",   "--cassette",
                                     cassette,      "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    auto r = testing::Run(argv, {}, std::chrono::seconds(10));
    EXPECT_NE(r.status, 0) << flags[1];
    EXPECT_EQ(r.out.find("listening"), std::string::npos);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    if (flags[0] != "--after-fault") {
      EXPECT_EQ(r.status, 2) << r.err;
      EXPECT_NE(r.err.find("grammar:"), std::string::npos) << r.err;
    }
  }
}

}  // namespace
}  // namespace wsr::testing
