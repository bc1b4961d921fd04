// Unit tests for the simulator's pure parts: credential resolution, scenario parsing and the
// v1/v2 wire encoding.
#include <gtest/gtest.h>

#include "common/error.h"
#include "sim/keys.h"
#include "sim/protocol.h"
#include "sim/scenario.h"
#include "sim/scripted_client.h"
#include "sim/server.h"
#include "thenvoi/spec.h"

#include <thread>

using namespace wsr::sim;

namespace {

TEST(SimKeys, ResolveCredentials) {
  Keys k = Keys::Default();
  const std::string weather = "7d2f4c1e-3b9a-4e8f-9c61-2a5b8d0e4f13";
  const std::string booking = "9c3e5a71-0d2f-4b84-a6e9-3f1b7d5c2e80";
  ASSERT_NE(k.Resolve("sim-user-alice", "", ""), nullptr);
  EXPECT_EQ(k.Resolve("sim-user-alice", "", "")->type, wsr::thenvoi::Identity::kUser);
  EXPECT_EQ(k.Resolve("", "sim-user-alice", "")->name, "Alice Doe");
  EXPECT_EQ(k.Resolve("sim-user-alice", "", weather)->id, weather);  // owner + agent_id
  EXPECT_EQ(k.Resolve("sim-user-alice", "", booking), nullptr);      // not the owner
  EXPECT_EQ(k.Resolve("sim-agent-weather", "", weather)->id, weather);
  EXPECT_EQ(k.Resolve("sim-agent-weather", "", booking), nullptr);
  EXPECT_EQ(k.Resolve("nope", "", ""), nullptr);
  EXPECT_EQ(k.Resolve("", "", ""), nullptr);
}

TEST(SimKeys, BadFilesNameTheLine) {
  try {
    Keys::Parse("# c\n\n{\"key\":\"k\",\"type\":\"agent\",\"id\":\"a\"}\n", "keys.jsonl");
    FAIL();
  } catch (const wsr::Error& e) {
    EXPECT_STREQ(e.what(), "keys.jsonl:3: missing \"owner_id\"");
  }
  EXPECT_THROW(Keys::Parse("{\"key\":\"k\",\"type\":\"user\",\"id\":\"u\"}\n"
                           "{\"key\":\"k\",\"type\":\"user\",\"id\":\"v\"}\n",
                           "f"),
               wsr::Error);
  EXPECT_THROW(Keys::Parse("", "f"), wsr::Error);
  EXPECT_THROW(Keys::Parse("[1]", "f"), wsr::Error);
}

TEST(SimScenario, ParsesSortsAndWarns) {
  std::vector<std::string> warnings;
  auto sc = Scenario::Parse(
      "{\"at_ms\":5,\"topic\":\"tasks:u\",\"event\":\"task_deleted\",\"payload\":{\"b\":1,\"a\":2}}"
      "\n"
      "{\"at_ms\":1,\"topic\":\"tasks:u\",\"event\":\"task_deleted\",\"payload\":{\"id\":\"x\"}}\n",
      "s", &warnings);
  ASSERT_EQ(sc.pushes().size(), 2u);
  EXPECT_EQ(sc.pushes()[0].at_ms, 1);
  EXPECT_EQ(sc.pushes()[1].payload_text, "{\"b\":1,\"a\":2}");
  ASSERT_EQ(warnings.size(), 1u);  // the first line lacks "id"
  EXPECT_EQ(warnings[0].rfind("s:1: off-spec", 0), 0u) << warnings[0];
  EXPECT_THROW(Scenario::Parse(
                   "{\"at_ms\":1,\"topic\":\"t:1\",\"event\":\"phx_close\",\"payload\":{}}", "s"),
               wsr::Error);
  EXPECT_THROW(
      Scenario::Parse("{\"at_ms\":1.5,\"topic\":\"t:1\",\"event\":\"e\",\"payload\":{}}", "s"),
      wsr::Error);
  EXPECT_THROW(
      Scenario::Parse("{\"at_ms\":1,\"topic\":\"t:1\",\"event\":\"e\",\"payload\":[]}", "s"),
      wsr::Error);
  EXPECT_THROW(Scenario::Parse("not json", "s"), wsr::Error);
  // A time whose timer (at_ms * 10^6 ns) would overflow is refused, naming the line.
  EXPECT_EQ(Scenario::Parse(
                "{\"at_ms\":1152921504606,\"topic\":\"t:1\",\"event\":\"e\",\"payload\":{}}", "s")
                .pushes()[0]
                .at_ms,
            1152921504606);
  try {
    Scenario::Parse("{\"at_ms\":10000000000000,\"topic\":\"t:1\",\"event\":\"e\",\"payload\":{}}",
                    "s");
    ADD_FAILURE() << "accepted";
  } catch (const wsr::Error& e) {
    EXPECT_STREQ(e.what(), "s:1: \"at_ms\" must be an integer from 0 to 1152921504606 (36 years)");
  }
}

TEST(SimProtocol, SerializerSelection) {
  EXPECT_EQ(SerializerFor("2.0.0"), Serializer::kV2);
  EXPECT_EQ(SerializerFor("1.0.0"), Serializer::kV1);
  EXPECT_FALSE(SerializerFor("3.0.0").has_value());
  EXPECT_FALSE(SerializerFor("").has_value());
}

TEST(SimProtocol, DecodeV2KeepsRawRefs) {
  auto in = Decode(Serializer::kV2, R"([1,"2","chat_room:r","phx_join",{"a":1}])");
  ASSERT_TRUE(in);
  EXPECT_EQ(in->join_ref, "1");
  EXPECT_EQ(in->ref, "\"2\"");
  EXPECT_EQ(in->payload, R"({"a":1})");
  EXPECT_FALSE(Decode(Serializer::kV2, R"([null,"1","phoenix","heartbeat",[]])"));
  EXPECT_FALSE(Decode(Serializer::kV2, R"({"topic":"phoenix"})"));
  EXPECT_FALSE(Decode(Serializer::kV2, R"([null,"1","phoenix","heartbeat",{bad])"));
}

TEST(SimProtocol, V1ObjectsAndArraysCrash) {
  auto in =
      Decode(Serializer::kV1, R"({"topic":"phoenix","event":"heartbeat","payload":{},"ref":"3"})");
  ASSERT_TRUE(in);
  EXPECT_EQ(in->join_ref, "null");
  EXPECT_EQ(in->ref, "\"3\"");
  EXPECT_FALSE(Decode(Serializer::kV1, R"([null,"1","phoenix","heartbeat",{}])"));
  EXPECT_EQ(
      EncodeReply(Serializer::kV1, "null", "\"3\"", "phoenix", true, "{}"),
      R"({"topic":"phoenix","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"3"})");
}

TEST(SimProtocol, EncodeV2) {
  EXPECT_EQ(
      EncodeReply(Serializer::kV2, "\"1\"", "\"1\"", "t:1", false, R"({"reason":"unauthorized"})"),
      R"(["1","1","t:1","phx_reply",{"status":"error","response":{"reason":"unauthorized"}}])");
  EXPECT_EQ(EncodePush(Serializer::kV2, "\"4\"", "t:1", "e", R"({"x":1})"),
            R"(["4",null,"t:1","e",{"x":1}])");
  EXPECT_EQ(EncodeSystem(Serializer::kV2, "7", "t:1", "phx_close"),
            R"([7,7,"t:1","phx_close",{}])");
}

TEST(SimServerInProcess, ServesAScriptedClientAndStops) {
  SimOptions opt;
  opt.listen.port = 0;
  SimServer server(std::move(opt));
  server.Listen();
  ASSERT_GT(server.port(), 0);
  std::thread loop([&] { server.Run(); });
  ScriptedClientOptions o;
  o.url = server.url() + kSocketPath;
  o.params = {{"api_key", "sim-agent-weather"}, {"vsn", "2.0.0"}};
  o.topics = {"agent_rooms:7d2f4c1e-3b9a-4e8f-9c61-2a5b8d0e4f13"};
  o.max_events = 2;
  o.duration_ms = 10000;
  o.heartbeat_ms = 50;
  auto r = ScriptedClient(o).Run();
  server.Stop();
  loop.join();
  ASSERT_TRUE(r.connected) << r.error;
  EXPECT_EQ(r.events, 2);  // room_added, room_removed
  EXPECT_FALSE(r.closed_by_server);
}

}  // namespace

namespace {

// Spec 3.5: the official SDKs silently drop pushes that fail their schemas. Every push the
// simulator sends must pass the spec table and be accepted by both SDKs, or an agent tested
// against it would miss events that production delivers.
TEST(SimScenario, EveryDefaultPushSatisfiesTheSpecAndBothSdks) {
  using wsr::thenvoi::Sdk;
  Scenario sc = Scenario::Default();
  ASSERT_FALSE(sc.pushes().empty());
  size_t agent_channel_pushes = 0;
  for (const auto& p : sc.pushes()) {
    SCOPED_TRACE("default_scenario.jsonl line " + std::to_string(p.line) + ": " + p.topic + " " +
                 p.event);
    auto findings = wsr::thenvoi::CheckPayload(p.topic, p.event, p.payload);
    for (const auto& f : findings) ADD_FAILURE() << f.path << ": " << f.message;
    const auto* channel = wsr::thenvoi::FindChannel(p.topic);
    ASSERT_NE(channel, nullptr);
    if (channel->agents_may_join) ++agent_channel_pushes;
    for (Sdk sdk : {Sdk::kPython, Sdk::kTypeScript}) {
      auto missing = wsr::thenvoi::SdkRejects(sdk, *channel, p.event, p.payload);
      EXPECT_TRUE(missing.empty()) << wsr::thenvoi::SdkName(sdk) << " drops it; missing "
                                   << ::testing::PrintToString(missing);
    }
  }
  EXPECT_GE(agent_channel_pushes, 10u);
}

}  // namespace
