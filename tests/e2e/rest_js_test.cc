// Both halves of a Thenvoi session through the real binaries, with real JavaScript clients:
// the official `phoenix` client for pushes and Node's `fetch` for REST (tests/js/
// agent_rest_client.mjs), an agent and a user on one chat. Recorded against `wsreplay sim`
// through `wsreplay record`, then replayed with no simulator: a REST call causes a push (the
// user's post reaches the agent), a push causes REST calls (the agent answers), two identical
// GETs are answered in recorded order, a wrong key's 401 is replayed, an unrecorded request
// gets a 501 that explains itself, and --strict fails on it. No secret reaches the cassette.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace wsr::testing {
namespace {

using nlohmann::json;

const std::string kAgent = "7d2f4c1e-3b9a-4e8f-9c61-2a5b8d0e4f13";
const std::string kRoom = "5f0c9a3e-2d71-4b8e-a6c4-81e9f2d03b7a";

struct Seen {
  // "who METHOD path" -> (status, body) in the order that client made them.
  std::map<std::string, std::vector<std::pair<int, std::string>>> http;
  std::map<std::string, std::vector<std::string>> events;  // who -> "topic event payload"
  bool ok = false;
  std::string text;
};

Seen RunAgentAndUser(const std::string& ws_url, std::vector<std::string> extra = {}) {
  std::string base = "http" + ws_url.substr(2);  // ws://127.0.0.1:P -> http://127.0.0.1:P
  std::vector<std::string> argv = {"node",       SourceDir() + "/tests/js/agent_rest_client.mjs",
                                   "--base",     base,
                                   "--room",     kRoom,
                                   "--agent-id", kAgent};
  for (const auto& e : extra) argv.insert(argv.end(), {"--extra", e});
  auto r = Run(argv, {}, std::chrono::seconds(30));
  Seen s;
  s.text = r.out + r.err;
  for (size_t at = 0; at < r.out.size();) {
    size_t nl = r.out.find('\n', at);
    if (nl == std::string::npos) nl = r.out.size();
    json j = json::parse(r.out.substr(at, nl - at), nullptr, false);
    at = nl + 1;
    if (!j.is_object()) continue;
    if (j["kind"] == "http") {
      s.http[j["who"].get<std::string>() + " " + j["method"].get<std::string>() + " " +
             j["path"].get<std::string>()]
          .emplace_back(j["status"].get<int>(), j["body"].get<std::string>());
    } else if (j["kind"] == "event") {
      s.events[j["who"]].push_back(j["topic"].get<std::string>() + " " +
                                   j["event"].get<std::string>() + " " + j["payload"].dump());
    } else if (j["kind"] == "done") {
      s.ok = j["ok"] == true && r.status == 0;
    }
  }
  return s;
}

TEST(RestWithPhoenixJs, AgentAndUserRecordedThenReplayedWithBothHalves) {
  TempDir dir;
  const std::string cassette = dir.File("rest.cassette");
  WriteFile(dir.File("empty.jsonl"), "");  // every push is caused by a REST call
  Seen recorded;
  {
    Process sim(
        {WsreplayBin(), "sim", "--listen", "127.0.0.1:0", "--scenario", dir.File("empty.jsonl")});
    std::string sim_url = sim.WaitForListening();
    ASSERT_FALSE(sim_url.empty()) << sim.stderr_text();
    Process rec({WsreplayBin(), "record", "--upstream", sim_url, "--cassette", cassette, "--listen",
                 "127.0.0.1:0", "--session", "rest"});
    std::string rec_url = rec.WaitForListening();
    ASSERT_FALSE(rec_url.empty()) << rec.stderr_text();
    recorded = RunAgentAndUser(rec_url);
    ASSERT_TRUE(recorded.ok) << recorded.text;
    rec.Signal(SIGINT);
    EXPECT_EQ(rec.Wait(), 0) << rec.stderr_text();
    sim.Signal(SIGTERM);
    sim.Wait();
  }
  // What happened live, as the clients saw it.
  const std::string me = "agent GET /api/v1/agent/me";
  ASSERT_EQ(recorded.http[me].size(), 3u) << recorded.text;
  EXPECT_EQ(recorded.http[me][0].first, 200);
  EXPECT_EQ(recorded.http[me][1].first, 200);
  EXPECT_EQ(recorded.http[me][2].first, 401);
  EXPECT_EQ(recorded.http["user POST /api/v1/me/chats/" + kRoom + "/messages"].at(0).first, 201);
  EXPECT_EQ(recorded.http["agent POST /api/v1/agent/chats/" + kRoom + "/messages"].at(0).first,
            201);
  ASSERT_EQ(recorded.events["agent"].size(), 1u) << "the user's post, pushed to the agent";
  ASSERT_EQ(recorded.events["user"].size(), 2u) << "the user's own post, then the reply";

  // lint sees both halves consistent: each post's message_created reached the user's socket
  // (the agent's own reply is not expected on the agent's socket: same key as its REST calls).
  auto lint = testing::Run({WsreplayBin(), "lint", cassette}, {}, std::chrono::seconds(60));
  EXPECT_EQ(lint.status, 0) << lint.out << lint.err;
  EXPECT_NE(lint.out.find("lint: 0 error(s), 0 warning(s) in "), std::string::npos) << lint.out;

  // The file holds no key: not the socket's api_key, not X-API-Key, not the wrong one.
  std::string bytes = ReadFile(cassette);
  for (const char* secret : {"sim-agent-weather", "sim-user-alice", "wrong-key"}) {
    EXPECT_EQ(bytes.find(secret), std::string::npos) << secret;
  }

  // Replay, no simulator: the same answers and pushes, plus one request never recorded.
  Process rep({WsreplayBin(), "replay", "--cassette", cassette, "--session", "rest", "--listen",
               "127.0.0.1:0", "--strict"});
  std::string rep_url = rep.WaitForListening();
  ASSERT_FALSE(rep_url.empty()) << rep.stderr_text();
  Seen replayed = RunAgentAndUser(rep_url, {"GET:/api/v1/agent/peers?not_in_chat=" + kRoom});
  ASSERT_TRUE(replayed.ok) << replayed.text;
  EXPECT_EQ(replayed.events, recorded.events);
  const std::string extra = "agent GET /api/v1/agent/peers?not_in_chat=" + kRoom;
  ASSERT_EQ(replayed.http[extra].size(), 1u);
  auto [status, body] = replayed.http[extra][0];
  EXPECT_EQ(status, 501);
  json why = json::parse(body, nullptr, false);
  EXPECT_EQ(why["error"], "not_in_cassette") << body;
  EXPECT_EQ(why["request"], "GET /api/v1/agent/peers?not_in_chat=" + kRoom) << body;
  replayed.http.erase(extra);
  EXPECT_EQ(replayed.http, recorded.http) << "every other call: recorded status and body";

  rep.Signal(SIGTERM);
  auto code = rep.Wait();
  EXPECT_EQ(code, 3) << "--strict fails on the unrecorded request\n" << rep.stderr_text();
  EXPECT_NE(rep.stderr_text().find("GET /api/v1/agent/peers"), std::string::npos)
      << rep.stderr_text();
}

}  // namespace
}  // namespace wsr::testing
