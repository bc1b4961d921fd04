// The official phoenix.js client (tests/js/phoenix_client.mjs, on Node with `ws`) receives
// every default-scenario event of all 7 channels from `wsreplay sim`: the user key for the
// user channels, the agent key for the agent channels. Expected events are derived from the
// scenario and the spec table's delivery rules.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "sim/scenario.h"
#include "tests/support/phoenix_js.h"
#include "tests/support/process.h"
#include "thenvoi/spec.h"

using nlohmann::json;

namespace {

using PerTopic = std::map<std::string, std::vector<json>>;  // topic -> [{event,payload}]

PerTopic Expected(const std::vector<std::string>& topics, wsr::thenvoi::Identity who,
                  const std::string& id, int* count) {
  PerTopic out;
  *count = 0;
  const wsr::sim::Scenario scenario = wsr::sim::Scenario::Default();
  for (const auto& p : scenario.pushes()) {
    if (std::find(topics.begin(), topics.end(), p.topic) == topics.end()) continue;
    const auto* ch = wsr::thenvoi::FindChannel(p.topic);
    const auto* ev = wsr::thenvoi::FindEvent(*ch, p.event);
    bool ok = who == wsr::thenvoi::Identity::kUser
                  ? ev->to_users
                  : wsr::thenvoi::AgentReceives(*ch, *ev, p.payload, id);
    if (!ok) continue;
    out[p.topic].push_back(json{{"event", p.event}, {"payload", p.payload}});
    ++*count;
  }
  return out;
}

void RunAndCompare(const std::string& key, const std::vector<std::string>& topics,
                   wsr::thenvoi::Identity who, const std::string& id) {
  wsr::testing::Process sim({wsr::testing::WsreplayBin(), "sim", "--listen", "127.0.0.1:0"});
  std::string url = sim.WaitForListening();
  ASSERT_FALSE(url.empty()) << sim.stderr_text();
  int count = 0;
  PerTopic want = Expected(topics, who, id, &count);
  ASSERT_GT(count, 0);
  std::vector<std::string> argv = {"node",           wsr::testing::PhoenixJsClient(),
                                   "--url",          url + "/api/v1/socket",
                                   "--params",       json{{"api_key", key}}.dump(),
                                   "--until-events", std::to_string(count),
                                   "--duration-ms",  "15000",
                                   "--heartbeat-ms", "1000"};
  for (const auto& t : topics) {
    argv.push_back("--join");
    argv.push_back(t);
  }
  auto r = wsr::testing::Run(argv, {}, std::chrono::seconds(30));
  ASSERT_EQ(r.status, 0) << r.err;
  auto out = wsr::testing::ReadPhoenixJsOutput(r.out);
  EXPECT_TRUE(out.unparsed.empty()) << r.out;
  ASSERT_FALSE(out.lines.empty()) << r.out;
  PerTopic got;
  for (const json& j : out.lines) {
    if (j["kind"] == "event")
      got[j["topic"]].push_back(json{{"event", j["event"]}, {"payload", j["payload"]}});
  }
  const json& last = out.lines.back();
  EXPECT_EQ(out.joins_ok, static_cast<int>(topics.size())) << r.out;
  EXPECT_EQ(last["kind"], "done");
  EXPECT_EQ(last["events"], count);
  for (const auto& t : topics) EXPECT_EQ(got[t], want[t]) << t;
}

TEST(SimJsClient, UserReceivesEveryEventOfTheUserChannels) {
  const std::string u = "0b8e5a92-61d4-4c3e-8f7a-9e2c1d4b6a58";
  const std::string room = "5f0c9a3e-2d71-4b8e-a6c4-81e9f2d03b7a";
  RunAndCompare("sim-user-alice",
                {"chat_room:" + room, "room_participants:" + room, "user_rooms:" + u,
                 "user_contacts:" + u, "tasks:" + u},
                wsr::thenvoi::Identity::kUser, u);
}

TEST(SimJsClient, AgentReceivesEveryEventOfTheAgentChannels) {
  const std::string a = "7d2f4c1e-3b9a-4e8f-9c61-2a5b8d0e4f13";
  const std::string room = "5f0c9a3e-2d71-4b8e-a6c4-81e9f2d03b7a";
  RunAndCompare(
      "sim-agent-weather",
      {"chat_room:" + room, "room_participants:" + room, "agent_rooms:" + a, "agent_contacts:" + a},
      wsr::thenvoi::Identity::kAgent, a);
}

}  // namespace
