// The official phoenix.js client (Node 20, `ws` transport) receives every pushed event of
// all 7 Thenvoi channels through `wsreplay record` exactly as it does directly from the
// simulator, and the cassette holds exactly those events (same payload bytes).
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <set>

#include "cassettes/cassette.h"
#include "phoenix/frame.h"
#include "tests/support/phoenix_js.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace wsr::testing {
namespace {

using nlohmann::json;

const std::string kUser = "0b8e5a92-61d4-4c3e-8f7a-9e2c1d4b6a58";
const std::string kAgent = "7d2f4c1e-3b9a-4e8f-9c61-2a5b8d0e4f13";
const std::string kRoom = "5f0c9a3e-2d71-4b8e-a6c4-81e9f2d03b7a";

struct Received {
  std::vector<std::string> events;  // "topic event payload-json", in arrival order
  int joins_ok = 0;
};

Received RunClient(const std::string& base, const std::string& key,
                   const std::vector<std::string>& topics) {
  std::vector<std::string> argv = {"node",           PhoenixJsClient(),
                                   "--url",          base + "/api/v1/socket",
                                   "--params",       json{{"api_key", key}}.dump(),
                                   "--duration-ms",  "2500",
                                   "--heartbeat-ms", "400"};
  for (const auto& t : topics) argv.insert(argv.end(), {"--join", t});
  auto r = Run(argv, {}, std::chrono::seconds(30));
  EXPECT_EQ(r.status, 0) << r.err;
  auto out = ReadPhoenixJsOutput(r.out);
  EXPECT_TRUE(out.unparsed.empty()) << r.out;
  return {out.events, out.joins_ok};
}

TEST(RecordWithPhoenixJs, EveryChannelEventArrivesThroughTheProxyAsItDoesDirectly) {
  TempDir dir;
  std::string cassette = dir.File("js.cassette");
  Process sim({WsreplayBin(), "sim", "--listen", "127.0.0.1:0"});
  std::string sim_url = sim.WaitForListening();
  ASSERT_FALSE(sim_url.empty()) << sim.stderr_text();
  Process rec({WsreplayBin(), "record", "--upstream", sim_url, "--cassette", cassette, "--listen",
               "127.0.0.1:0", "--session", "js"});
  std::string rec_url = rec.WaitForListening();
  ASSERT_FALSE(rec_url.empty()) << rec.stderr_text();

  const std::vector<std::pair<std::string, std::vector<std::string>>> clients = {
      {"sim-user-alice",
       {"user_rooms:" + kUser, "user_contacts:" + kUser, "tasks:" + kUser, "chat_room:" + kRoom,
        "room_participants:" + kRoom}},
      {"sim-agent-weather",
       {"agent_rooms:" + kAgent, "agent_contacts:" + kAgent, "chat_room:" + kRoom,
        "room_participants:" + kRoom}},
  };
  std::vector<std::string> through_proxy;
  std::set<std::string> channels;
  for (const auto& [key, topics] : clients) {
    Received direct = RunClient(sim_url, key, topics);
    Received proxied = RunClient(rec_url, key, topics);
    EXPECT_EQ(direct.joins_ok, static_cast<int>(topics.size()));
    EXPECT_EQ(proxied.joins_ok, static_cast<int>(topics.size()));
    ASSERT_FALSE(direct.events.empty());
    EXPECT_EQ(proxied.events, direct.events) << key;
    through_proxy.insert(through_proxy.end(), proxied.events.begin(), proxied.events.end());
    for (const auto& e : proxied.events) channels.insert(e.substr(0, e.find(':')));
  }
  EXPECT_EQ(channels.size(), 7u) << "every channel carried events";

  rec.Signal(SIGINT);
  auto st = rec.Wait();
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(*st, 0) << rec.stderr_text();

  // The cassette holds every event the client got through the proxy, in order, same bytes.
  auto c = cassette::Cassette::Open(cassette, cassette::Cassette::Mode::kReadOnly);
  auto s = c->ResolveSession(std::string("js"));
  std::vector<std::string> recorded;
  for (const auto& conn : c->Connections(s.id)) {
    EXPECT_EQ(conn.http_status, 101);
    EXPECT_EQ(conn.query.find("sim-"), std::string::npos) << "api_key redacted";
    auto cur = c->Frames({.connection_id = conn.id});
    cassette::Frame f;
    while (cur.Next(&f)) {
      if (f.direction != cassette::Direction::kServerToClient || !f.event ||
          f.event->rfind("phx_", 0) == 0) {
        continue;
      }
      auto p = phoenix::Parse(f.payload);
      ASSERT_TRUE(p);
      recorded.push_back(*f.topic + " " + *f.event + " " + json::parse(p->payload).dump());
    }
  }
  EXPECT_EQ(recorded, through_proxy);
}

}  // namespace
}  // namespace wsr::testing
