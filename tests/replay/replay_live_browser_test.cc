// The live page (GET /__wsreplay/) in headless Chromium driven by puppeteer-core
// (tests/js/live_page_check.mjs), with the official `phoenix` client connected under
// --clock manual: one click on Step delivers exactly one push to the client and the page
// shows it lit; held HTTP responses are listed with what they wait for, then as served; no
// console errors; nothing requested from anywhere but the replay server.
// Set WSR_LIVE_SCREENSHOT=FILE.png to keep a screenshot of the page.

#include <cstdlib>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/replay/recording.h"
#include "tests/support/chromium.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace wsr::testing {
namespace {

TEST(ReplayLiveBrowser, OneClickOnStepDeliversExactlyOnePushAndLightsIt) {
  std::string chromium = FindChromium();
  if (chromium.empty()) {
    GTEST_SKIP() << "chromium is not installed (apt-get install -y chromium)";
  }
  TempDir dir;
  std::string cassette = dir.File("live.db");
  {
    Recording r(cassette);
    r.Connect();
    r.C(5, R"(["1","1","room:A","phx_join",{}])");
    r.S(10, R"(["1","1","room:A","phx_reply",{"status":"ok","response":{}}])");
    r.S(1000, R"(["1",null,"room:A","message_created",{"id":"m1","text":"hello"}])");
    r.S(1500, R"(["1",null,"room:A","message_created",{"id":"m2","text":"again"}])");
    r.S(2500, R"(["1",null,"room:A","typing",{"who":"bob"}])");
    r.Http(6, "GET", "/api/v1/agent/me", "", 200, R"({"data":{"id":"a1"}})");
    r.Http(3000, "POST", "/api/v1/agent/chats/A/messages", R"({"message":{"content":"hi"}})", 201,
           R"({"data":{"id":"m3"}})");
    r.Finish();
  }
  Process server({WsreplayBin(), "replay", "--cassette", cassette, "--listen", "127.0.0.1:0",
                  "--clock", "manual"});
  int port = PortOf(server.WaitForListening());
  ASSERT_GT(port, 0) << server.stderr_text();
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  std::vector<std::string> argv = {
      "node", std::string(WSREPLAY_SOURCE_DIR) + "/tests/js/live_page_check.mjs", chromium, base,
      "room:A"};
  if (const char* shot = std::getenv("WSR_LIVE_SCREENSHOT"); shot && *shot) argv.push_back(shot);
  auto r = wsr::testing::Run(argv, {}, std::chrono::seconds(120));
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(), 0);
  ASSERT_EQ(r.status, 0) << r.err << "\nserver: " << server.stderr_text();
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out << r.err;
  EXPECT_EQ(j["pushes_before"], 0) << j.dump();
  EXPECT_EQ(j["pushes_after_step"], 1) << j.dump();
  EXPECT_EQ(j["push"]["event"], "message_created") << j.dump();
  EXPECT_EQ(j["push"]["payload"]["id"], "m1") << j.dump();
  EXPECT_EQ(j["lit"], 1) << j.dump();
  EXPECT_EQ(j["lit_events"][0], "message_created");
  EXPECT_NE(j["detail"].get<std::string>().find("\"hello\""), std::string::npos) << j.dump();
  EXPECT_EQ(j["msg"], "stepped: released one frame");
  EXPECT_NE(j["fault_error"].get<std::string>().find("HTTP 400 from /__wsreplay/fault"),
            std::string::npos)
      << j.dump();
  // The REST half: held responses with what they wait for, then served.
  EXPECT_EQ(j["http_held_get"][0],
            "held #1 GET /api/v1/agent/me \u2014 waits for its time, in 1.000ms")
      << j.dump();
  EXPECT_EQ(j["rest_status"], 200) << j.dump();
  EXPECT_EQ(j["http_served"][0], "served #1 GET /api/v1/agent/me -> 200") << j.dump();
  ASSERT_EQ(j["http_held"].size(), 1u) << j.dump();
  EXPECT_NE(j["http_held"][0].get<std::string>().find(
                "held #2 POST /api/v1/agent/chats/A/messages \u2014 waits for connection 1's "
                "pushes recorded before it, in "),
            std::string::npos)
      << j.dump();
  ASSERT_EQ(j["pending_http"].size(), 1u) << j.dump();
  EXPECT_NE(j["pending_http"][0].get<std::string>().find("HTTP response #2 to POST"),
            std::string::npos)
      << j.dump();
  EXPECT_EQ(j["errors"].size(), 0u) << j.dump();
  EXPECT_EQ(j["foreign_requests"].size(), 0u) << j.dump();
}

}  // namespace
}  // namespace wsr::testing
