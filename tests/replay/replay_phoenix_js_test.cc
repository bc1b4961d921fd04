// The official `phoenix` npm client (Node 20, tests/js/phoenix_client.mjs) against
// `wsreplay replay` and `wsreplay exec`: the same events in the same order at speed 1, 10 and
// max, with the client joining in a different order and with another heartbeat interval than
// recorded; 20 replays at max giving identical sequences; exec exit statuses.
#include <gtest/gtest.h>

#include "tests/replay/recording.h"
#include "tests/support/phoenix_js.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace wsr::testing {
namespace {

const char* kPath = "/api/v1/socket/websocket";
const char* kQuery = "vsn=2.0.0&api_key=redacted:api_key:5eb63bbb";

// What phoenix.js did when recorded: join A then B (refs 1, 2), heartbeats every 30 ms,
// five pushes interleaved across the two topics.
void RecordChat(Recording& r, int64_t t0) {
  r.Connect(t0, kPath, kQuery);
  r.C(t0 + 5, R"(["1","1","chat_room:A","phx_join",{}])");
  r.C(t0 + 6, R"(["2","2","chat_room:B","phx_join",{}])");
  r.S(t0 + 10, R"(["1","1","chat_room:A","phx_reply",{"status":"ok","response":{}}])");
  r.S(t0 + 11, R"(["2","2","chat_room:B","phx_reply",{"status":"ok","response":{}}])");
  r.S(t0 + 100, R"(["1",null,"chat_room:A","message_created",{"id":"m1","n":1}])");
  r.C(t0 + 120, R"([null,"3","phoenix","heartbeat",{}])");
  r.S(t0 + 121, R"([null,"3","phoenix","phx_reply",{"status":"ok","response":{}}])");
  r.S(t0 + 150, R"(["2",null,"chat_room:B","message_created",{"id":"m2","n":2}])");
  r.S(t0 + 200, R"(["1",null,"chat_room:A","message_updated",{"id":"m1","n":3}])");
  r.S(t0 + 250, R"(["2",null,"chat_room:B","message_created",{"id":"m4","n":4}])");
  r.S(t0 + 300, R"(["1",null,"chat_room:A","message_created",{"id":"m5","n":5}])");
  r.Close(t0 + 400, 1000, "", "client");
}

const char* kExpected =
    "chat_room:A message_created {\"id\":\"m1\",\"n\":1}\n"
    "chat_room:B message_created {\"id\":\"m2\",\"n\":2}\n"
    "chat_room:A message_updated {\"id\":\"m1\",\"n\":3}\n"
    "chat_room:B message_created {\"id\":\"m4\",\"n\":4}\n"
    "chat_room:A message_created {\"id\":\"m5\",\"n\":5}\n";

std::vector<std::string> ClientArgs(const std::string& url) {
  return {"node",
          PhoenixJsClient(),
          "--url",
          url + "/api/v1/socket",
          "--params",
          R"({"api_key":"live-key"})",
          "--join",
          "chat_room:B",  // recorded: A first
          "--join",
          "chat_room:A",
          "--heartbeat-ms",
          "40",  // recorded: 30 ms
          "--until-events",
          "5",
          "--timeout-ms",
          "5000"};
}

std::string RunClient(const std::string& url) {
  auto r = testing::Run(ClientArgs(url), {}, std::chrono::seconds(30));
  EXPECT_EQ(r.status, 0) << r.err;
  return ReadPhoenixJsOutput(r.out).EventLines();
}

class ReplayPhoenixJs : public ::testing::TestWithParam<std::string> {};

TEST_P(ReplayPhoenixJs, SameEventsSameOrderWhateverJoinOrderAndHeartbeat) {
  TempDir dir;
  std::string cassette = dir.File("chat.db");
  {
    Recording r(cassette, "chat");
    RecordChat(r, 0);
    r.Finish();
  }
  Process p({WsreplayBin(), "replay", "--cassette", cassette, "--listen", "127.0.0.1:0", "--speed",
             GetParam(), "--strict"});
  std::string url = p.WaitForListening();
  ASSERT_FALSE(url.empty()) << p.stderr_text();
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(RunClient(url), kExpected);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  if (GetParam() == "1") {
    EXPECT_GE(ms, 290);  // the last push is 300 ms after the open
  }
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(), 0) << p.stderr_text();  // --strict: no mismatch, nothing undelivered
  EXPECT_NE(p.stderr_text().find("mismatches 0"), std::string::npos) << p.stderr_text();
}

INSTANTIATE_TEST_SUITE_P(Speeds, ReplayPhoenixJs, ::testing::Values("1", "10", "max"));

TEST(ReplayPhoenixJsRepeat, TwentyReplaysAtMaxGiveIdenticalSequences) {
  TempDir dir;
  std::string cassette = dir.File("chat20.db");
  {
    // Twenty recorded connections of the same conversation: each live run gets the next one.
    Recording r(cassette, "chat");
    for (int i = 0; i < 20; ++i) RecordChat(r, i * 1000);
    r.Finish(20000);
  }
  Process p({WsreplayBin(), "replay", "--cassette", cassette, "--listen", "127.0.0.1:0", "--speed",
             "max"});
  std::string url = p.WaitForListening();
  ASSERT_FALSE(url.empty()) << p.stderr_text();
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(RunClient(url), kExpected) << "run " << i;
  }
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(), 0);
}

TEST(ReplayExec, RunsTheCommandWithTheUrlAndExitsWithItsStatus) {
  TempDir dir;
  std::string cassette = dir.File("chat.db");
  {
    Recording r(cassette, "chat");
    RecordChat(r, 0);
    r.Finish();
  }
  std::string client;  // the phoenix.js client as a shell command reading $WSREPLAY_URL
  for (const auto& a : ClientArgs("\"$WSREPLAY_URL\"")) {
    client += (client.empty() ? "" : " ") + (a.front() == '{' ? "'" + a + "'" : a);
  }
  auto pass =
      testing::Run({WsreplayBin(), "exec", "--cassette", cassette, "--speed", "max", "--strict",
                    "--", "sh", "-c", client + " > " + dir.File("events.jsonl")});
  EXPECT_EQ(pass.status, 0) << pass.err;
  EXPECT_EQ(ReadPhoenixJsOutput(ReadFile(dir.File("events.jsonl"))).EventLines(), kExpected);
  EXPECT_NE(pass.err.find("replay report"), std::string::npos);

  auto fail =
      testing::Run({WsreplayBin(), "exec", "--cassette", cassette, "--", "sh", "-c", "exit 7"});
  EXPECT_EQ(fail.status, 7);

  // The command passed but never connected: --strict turns the undelivered frames into 3.
  auto strict =
      testing::Run({WsreplayBin(), "exec", "--cassette", cassette, "--strict", "--", "true"});
  EXPECT_EQ(strict.status, 3) << strict.err;
  EXPECT_NE(strict.err.find("never opened"), std::string::npos) << strict.err;

  auto missing =
      testing::Run({WsreplayBin(), "exec", "--cassette", dir.File("nope.db"), "--", "true"});
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.err.find("does not exist"), std::string::npos);
}

}  // namespace
}  // namespace wsr::testing
