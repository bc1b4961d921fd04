// Integration tests for `wsreplay sim`: the real binary on loopback, driven by the in-process
// ScriptedClient (raw Phoenix v2 frames) and by the official phoenix.js client.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "common/log.h"
#include "sim/keys.h"
#include "sim/scenario.h"
#include "sim/scripted_client.h"
#include "sim/server.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "thenvoi/spec.h"

using nlohmann::json;
using wsr::sim::ScriptedClient;
using wsr::sim::ScriptedClientOptions;
using wsr::sim::ScriptedClientResult;
using wsr::testing::Process;

namespace {

// lws's own notices go through wsreplay's logger (warnings and errors only).
const bool kLoggerInstalled = [] {
  wsr::log::InstallLwsLogger();
  return true;
}();

const std::string kUser = "0b8e5a92-61d4-4c3e-8f7a-9e2c1d4b6a58";
const std::string kWeather = "7d2f4c1e-3b9a-4e8f-9c61-2a5b8d0e4f13";
const std::string kBooking = "9c3e5a71-0d2f-4b84-a6e9-3f1b7d5c2e80";
const std::string kRoom = "5f0c9a3e-2d71-4b8e-a6c4-81e9f2d03b7a";
const std::string kUserKey = "sim-user-alice";
const std::string kWeatherKey = "sim-agent-weather";
const std::string kBookingKey = "sim-agent-booking";

class Sim {
 public:
  explicit Sim(std::vector<std::string> extra = {}, Process::Options options = {}) {
    std::vector<std::string> argv = {wsr::testing::WsreplayBin(), "sim", "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<Process>(argv, options);
    url_ = proc_->WaitForListening();
  }
  const std::string& url() const { return url_; }
  std::string socket_url() const { return url_ + wsr::sim::kSocketPath; }
  Process& proc() { return *proc_; }

 private:
  std::unique_ptr<Process> proc_;
  std::string url_;
};

ScriptedClientOptions Opts(const Sim& sim, const std::string& key, std::vector<std::string> topics,
                           int duration_ms = 600) {
  ScriptedClientOptions o;
  o.url = sim.socket_url();
  o.params = {{"api_key", key}, {"vsn", "2.0.0"}};
  o.topics = std::move(topics);
  o.duration_ms = duration_ms;
  o.heartbeat_ms = 0;
  return o;
}

std::vector<json> Parsed(const ScriptedClientResult& r) {
  std::vector<json> out;
  for (const auto& f : r.frames) out.push_back(json::parse(f.text));
  return out;
}

// The reply whose ref is `ref` ("1", "2", ...).
json ReplyFor(const ScriptedClientResult& r, const std::string& ref) {
  for (const auto& f : Parsed(r)) {
    if (f[3] == "phx_reply" && f[1] == ref) return f;
  }
  return nullptr;
}

TEST(Sim, JoinRulesOfAllChannelsForAUser) {
  Sim sim;
  ASSERT_FALSE(sim.url().empty()) << sim.proc().stderr_text();
  std::vector<std::pair<std::string, std::string>> cases = {
      {"chat_room:" + kRoom, "ok"},
      {"room_participants:" + kRoom, "ok"},
      {"chat_room:00000000-0000-4000-8000-000000000000", "unauthorized"},
      {"user_rooms:" + kUser, "ok"},
      {"user_rooms:" + kWeather, "unauthorized"},
      {"agent_rooms:" + kWeather, "unauthorized"},
      {"user_contacts:" + kUser, "ok"},
      {"agent_contacts:" + kWeather, "unauthorized"},
      {"tasks:" + kUser, "ok"},
      {"bogus:1", "unmatched topic"},
  };
  std::vector<std::string> topics;
  for (auto& c : cases) topics.push_back(c.first);
  auto r = ScriptedClient(Opts(sim, kUserKey, topics, 400)).Run();
  ASSERT_TRUE(r.connected) << r.error;
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string ref = std::to_string(i + 1);
    json reply = ReplyFor(r, ref);
    ASSERT_FALSE(reply.is_null()) << cases[i].first;
    EXPECT_EQ(reply[2], cases[i].first);
    if (cases[i].second == "ok") {
      EXPECT_EQ(reply, json::parse("[\"" + ref + "\",\"" + ref + "\",\"" + cases[i].first +
                                   "\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]"));
    } else {
      EXPECT_EQ(reply[4]["status"], "error");
      EXPECT_EQ(reply[4]["response"]["reason"], cases[i].second) << cases[i].first;
      // unmatched topic replies carry a null join_ref; unauthorized ones the join's.
      if (cases[i].second == "unmatched topic")
        EXPECT_TRUE(reply[0].is_null());
      else
        EXPECT_EQ(reply[0], ref);
    }
  }
}

TEST(Sim, JoinRulesOfAllChannelsForAnAgent) {
  Sim sim;
  std::vector<std::pair<std::string, std::string>> cases = {
      {"chat_room:" + kRoom, "ok"},
      {"room_participants:" + kRoom, "ok"},
      {"room_participants:a7b8c9d0-1e2f-4a3b-8c4d-5e6f7a8b9c0d", "unauthorized"},
      {"agent_rooms:" + kWeather, "ok"},
      {"agent_rooms:" + kBooking, "unauthorized"},
      {"agent_contacts:" + kWeather, "ok"},
      {"user_rooms:" + kWeather, "unauthorized"},
      {"user_contacts:" + kUser, "unauthorized"},
      {"tasks:" + kUser, "unauthorized"},
      {"tasks:" + kWeather, "unauthorized"},
  };
  std::vector<std::string> topics;
  for (auto& c : cases) topics.push_back(c.first);
  auto r = ScriptedClient(Opts(sim, kWeatherKey, topics, 400)).Run();
  ASSERT_TRUE(r.connected) << r.error;
  for (size_t i = 0; i < cases.size(); ++i) {
    json reply = ReplyFor(r, std::to_string(i + 1));
    ASSERT_FALSE(reply.is_null()) << cases[i].first;
    std::string got =
        reply[4]["status"] == "ok" ? "ok" : reply[4]["response"]["reason"].get<std::string>();
    EXPECT_EQ(got, cases[i].second) << cases[i].first;
  }
}

TEST(Sim, OwnerKeyWithAgentIdActsAsTheAgent) {
  Sim sim;
  auto o = Opts(sim, kUserKey, {"agent_rooms:" + kWeather, "user_rooms:" + kUser}, 300);
  o.params.push_back({"agent_id", kWeather});
  auto r = ScriptedClient(o).Run();
  ASSERT_TRUE(r.connected) << r.error;
  EXPECT_EQ(ReplyFor(r, "1")[4]["status"], "ok");
  EXPECT_EQ(ReplyFor(r, "2")[4]["response"]["reason"], "unauthorized");
  // Not the owner of the booking agent: refused at the upgrade.
  auto o2 = Opts(sim, kUserKey, {}, 300);
  o2.params.push_back({"agent_id", kBooking});
  auto r2 = ScriptedClient(o2).Run();
  EXPECT_FALSE(r2.connected);
  EXPECT_EQ(r2.http_status, 403);
}

TEST(Sim, HeartbeatLeaveDuplicateJoinAndUnknownEvent) {
  Sim sim;
  std::string t = "chat_room:" + kRoom;
  std::string tasks = "tasks:" + kUser;
  auto o = Opts(sim, kUserKey, {t, tasks}, 800);
  o.sends = {{50, R"([null,"7","phoenix","heartbeat",{}])"},
             {100, R"(["1","8",")" + t + R"(","phx_leave",{}])"},
             {150, R"(["9","9",")" + tasks + R"(","phx_join",{}])"},
             {200, R"(["9","10",")" + tasks + R"(","shout",{"x":1}])"},
             {250, R"(["1","11",")" + t + R"(","phx_leave",{}])"}};
  auto r = ScriptedClient(o).Run();
  ASSERT_TRUE(r.connected) << r.error;
  std::vector<std::string> sys;
  for (const auto& f : r.frames) {
    if (f.text.find("phx_") != std::string::npos) sys.push_back(f.text);
  }
  std::vector<std::string> want = {
      R"(["1","1",")" + t + R"(","phx_reply",{"status":"ok","response":{}}])",
      R"(["2","2",")" + tasks + R"(","phx_reply",{"status":"ok","response":{}}])",
      R"([null,"7","phoenix","phx_reply",{"status":"ok","response":{}}])",
      R"(["1","8",")" + t + R"(","phx_reply",{"status":"ok","response":{}}])",
      R"(["1","1",")" + t + R"(","phx_close",{}])",
      R"(["2","2",")" + tasks + R"(","phx_close",{}])",
      R"(["9","9",")" + tasks + R"(","phx_reply",{"status":"ok","response":{}}])",
      R"(["9","9",")" + tasks + R"(","phx_error",{}])",
      R"([null,"11",")" + t +
          R"(","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}])",
  };
  EXPECT_EQ(sys, want);
}

TEST(Sim, UpgradeRefusals) {
  Sim sim;
  auto bad = Opts(sim, "no-such-key", {}, 300);
  auto r = ScriptedClient(bad).Run();
  EXPECT_FALSE(r.connected);
  EXPECT_EQ(r.http_status, 403);
  auto nokey = Opts(sim, "", {}, 300);
  nokey.params = {{"vsn", "2.0.0"}};
  EXPECT_EQ(ScriptedClient(nokey).Run().http_status, 403);
  auto badvsn = Opts(sim, kUserKey, {}, 300);
  badvsn.params[1].second = "3.0.0";
  EXPECT_EQ(ScriptedClient(badvsn).Run().http_status, 403);
  auto token = Opts(sim, "", {"tasks:" + kUser}, 300);
  token.params = {{"token", kUserKey}, {"vsn", "2.0.0"}};
  auto rt = ScriptedClient(token).Run();
  EXPECT_TRUE(rt.connected);
  EXPECT_EQ(ReplyFor(rt, "1")[4]["status"], "ok");
  auto path = Opts(sim, kUserKey, {}, 300);
  path.url = sim.url() + "/socket/websocket";
  EXPECT_EQ(ScriptedClient(path).Run().http_status, 404);
}

TEST(Sim, MissingVsnUsesV1AndTheFirstArrayFrameCloses1011) {
  Sim sim;
  auto o = Opts(sim, kUserKey, {"tasks:" + kUser}, 2000);
  o.params = {{"api_key", kUserKey}};
  auto r = ScriptedClient(o).Run();
  ASSERT_TRUE(r.connected) << r.error;
  EXPECT_TRUE(r.frames.empty());
  EXPECT_TRUE(r.closed_by_server);
  EXPECT_EQ(r.close_code, 1011);
  // A v1 (object) frame is understood on a v1 socket.
  auto v1 = Opts(sim, kUserKey, {}, 300);
  v1.params = {{"api_key", kUserKey}, {"vsn", "1.0.0"}};
  v1.sends = {{0, R"({"topic":"phoenix","event":"heartbeat","payload":{},"ref":"1"})"}};
  auto r1 = ScriptedClient(v1).Run();
  ASSERT_EQ(r1.frames.size(), 1u);
  json reply = json::parse(r1.frames[0].text);
  EXPECT_EQ(reply["event"], "phx_reply");
  EXPECT_EQ(reply["ref"], "1");
  EXPECT_EQ(reply["payload"]["status"], "ok");
}

TEST(Sim, IdleCloseAfterTheTimeoutUnlessHeartbeating) {
  Sim sim({"--idle-timeout", "300"});
  auto quiet = Opts(sim, kUserKey, {}, 3000);
  auto r = ScriptedClient(quiet).Run();
  ASSERT_TRUE(r.connected);
  EXPECT_TRUE(r.closed_by_server);
  EXPECT_EQ(r.close_code, 1000);
  auto busy = Opts(sim, kUserKey, {}, 900);
  busy.heartbeat_ms = 100;
  auto rb = ScriptedClient(busy).Run();
  EXPECT_FALSE(rb.closed_by_server) << rb.close_code;
  EXPECT_GE(rb.frames.size(), 5u);  // heartbeat replies
}

// sim runs libwebsockets on an epoll loop (libev), so a turn does not scan every socket;
// WSREPLAY_EVENT_LOOP=poll selects lws's poll() loop. Both serve, time idle connections out
// and stop cleanly.
TEST(Sim, ServesOnAnEpollLoopAndOnPollWhenAskedTo) {
  for (const char* loop : {"", "poll"}) {
    SCOPED_TRACE(std::string("WSREPLAY_EVENT_LOOP=") + loop);
    Process::Options env;
    env.env["WSREPLAY_EVENT_LOOP"] = loop;
    Sim sim({"--idle-timeout", "300"}, env);
    ASSERT_FALSE(sim.url().empty()) << sim.proc().stderr_text();
    EXPECT_EQ(wsr::testing::EpollDescriptors(sim.proc().pid()), *loop ? 0 : 1);
    auto quiet = Opts(sim, kUserKey, {"tasks:" + kUser}, 5000);
    auto r = ScriptedClient(quiet).Run();
    ASSERT_TRUE(r.connected);
    ASSERT_TRUE(ReplyFor(r, "1").is_array()) << r.frames.size();
    EXPECT_EQ(ReplyFor(r, "1")[4]["status"], "ok");
    EXPECT_TRUE(r.closed_by_server);  // the idle timer
    EXPECT_EQ(r.close_code, 1000);
    auto o = Opts(sim, kUserKey, {}, 5000);
    o.on_open = [&] { sim.proc().Signal(SIGINT); };
    auto stopped = ScriptedClient(o).Run();
    EXPECT_EQ(stopped.close_code, 1001);
    EXPECT_EQ(sim.proc().Wait(), 0);
    EXPECT_EQ(sim.proc().stderr_text().find("poll()"), std::string::npos);
  }
}

TEST(Sim, AgentLastConnectionWins) {
  for (int code : {1000, 1001}) {
    Sim sim({"--kick-code", std::to_string(code)});
    ScriptedClientResult second;
    std::thread t2;
    auto first = Opts(sim, kWeatherKey, {"agent_rooms:" + kWeather}, 5000);
    first.on_open = [&] {
      t2 = std::thread([&] {
        second = ScriptedClient(Opts(sim, kWeatherKey, {"agent_rooms:" + kWeather}, 500)).Run();
      });
    };
    auto r1 = ScriptedClient(first).Run();
    if (t2.joinable()) t2.join();
    EXPECT_TRUE(r1.closed_by_server);
    EXPECT_EQ(r1.close_code, code);
    EXPECT_TRUE(second.connected);
    EXPECT_FALSE(second.closed_by_server);
  }
  // Users have no such limit.
  Sim sim;
  ScriptedClientResult other;
  std::thread t;
  auto u = Opts(sim, kUserKey, {}, 600);
  u.on_open = [&] {
    t = std::thread([&] { other = ScriptedClient(Opts(sim, kUserKey, {}, 300)).Run(); });
  };
  auto ru = ScriptedClient(u).Run();
  if (t.joinable()) t.join();
  EXPECT_FALSE(ru.closed_by_server);
  EXPECT_TRUE(other.connected);
}

std::vector<std::string> MessageIds(const ScriptedClientResult& r, const std::string& event) {
  std::vector<std::string> ids;
  for (const auto& f : Parsed(r)) {
    if (f[3] == event) ids.push_back(f[4]["id"]);
  }
  return ids;
}

TEST(Sim, ChatRoomDeliveryRulesAndHeldPushes) {
  Sim sim;
  std::string t = "chat_room:" + kRoom;
  // The user joins late (after every push is due): held pushes arrive after its join reply.
  auto late = Opts(sim, kUserKey, {}, 2600);
  late.sends = {{1700, R"(["1","1",")" + t + R"(","phx_join",{}])"}};
  late.max_events = 5;
  ScriptedClientResult user, weather, booking;
  std::thread tu([&] { user = ScriptedClient(late).Run(); });
  std::thread tw([&] { weather = ScriptedClient(Opts(sim, kWeatherKey, {t}, 1800)).Run(); });
  booking = ScriptedClient(Opts(sim, kBookingKey, {t}, 1800)).Run();
  tu.join();
  tw.join();
  EXPECT_EQ(MessageIds(user, "message_created"),
            (std::vector<std::string>{"c41e7b20-9f3a-4d6e-8b15-3a0d92e6f4c7",
                                      "d52f8c31-0a4b-4e7f-9c26-4b1ea3f7a5d8",
                                      "e63a9d42-1b5c-4f80-8d37-5c2fb4a8b6e9"}));
  EXPECT_EQ(MessageIds(user, "message_updated").size(), 1u);
  EXPECT_EQ(MessageIds(user, "message_deleted").size(), 1u);
  ASSERT_FALSE(user.frames.empty());
  EXPECT_NE(user.frames[0].text.find("phx_reply"), std::string::npos);
  // Pushes carry the join's join_ref and a null ref.
  EXPECT_EQ(Parsed(user)[1][0], "1");
  EXPECT_TRUE(Parsed(user)[1][1].is_null());
  // Agents: only message_created, only when mentioned and not the sender.
  EXPECT_EQ(MessageIds(weather, "message_created"),
            std::vector<std::string>{"c41e7b20-9f3a-4d6e-8b15-3a0d92e6f4c7"});
  EXPECT_EQ(MessageIds(booking, "message_created"),
            std::vector<std::string>{"d52f8c31-0a4b-4e7f-9c26-4b1ea3f7a5d8"});
  EXPECT_EQ(weather.events, 1);
  EXPECT_EQ(booking.events, 1);
}

TEST(Sim, CustomScenarioAndKeys) {
  wsr::testing::TempDir dir;
  wsr::testing::WriteFile(dir.File("keys.jsonl"),
                          R"({"key":"k1","type":"user","id":"u-1","name":"U"})"
                          "\n");
  wsr::testing::WriteFile(
      dir.File("s.jsonl"),
      "# comment\n"
      R"({"at_ms":20,"topic":"tasks:u-1","event":"task_deleted","payload":{"id":"t2"}})"
      "\n"
      R"({"at_ms":10,"topic":"tasks:u-1","event":"task_deleted","payload":{"z":1,"id":"t1"}})"
      "\n");
  Sim sim({"--keys", dir.File("keys.jsonl"), "--scenario", dir.File("s.jsonl")});
  auto o = Opts(sim, "k1", {"tasks:u-1"}, 2000);
  o.max_events = 2;
  auto r = ScriptedClient(o).Run();
  ASSERT_EQ(r.frames.size(), 3u);
  // Sorted by time, payload bytes as written (key order kept).
  EXPECT_EQ(r.frames[1].text, R"(["1",null,"tasks:u-1","task_deleted",{"z":1,"id":"t1"}])");
  EXPECT_EQ(r.frames[2].text, R"(["1",null,"tasks:u-1","task_deleted",{"id":"t2"}])");
  EXPECT_EQ(ScriptedClient(Opts(sim, kUserKey, {}, 300)).Run().http_status, 403);
}

TEST(Sim, BadFilesAndBusyPortFailWithOneLine) {
  wsr::testing::TempDir dir;
  wsr::testing::WriteFile(dir.File("s.jsonl"),
                          "\n"
                          R"({"at_ms":-1,"topic":"t","event":"e","payload":{}})"
                          "\n");
  auto r = wsr::testing::Run({wsr::testing::WsreplayBin(), "sim", "--listen", "127.0.0.1:0",
                              "--scenario", dir.File("s.jsonl")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(dir.File("s.jsonl") + ":2:"), std::string::npos) << r.err;
  wsr::testing::WriteFile(dir.File("k.jsonl"), R"({"key":"k","type":"robot","id":"x"})"
                                               "\n");
  r = wsr::testing::Run({wsr::testing::WsreplayBin(), "sim", "--listen", "127.0.0.1:0", "--keys",
                         dir.File("k.jsonl")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(dir.File("k.jsonl") + ":1:"), std::string::npos) << r.err;
  r = wsr::testing::Run({wsr::testing::WsreplayBin(), "sim", "--scenario", dir.File("missing")});
  EXPECT_EQ(r.status, 1);
  Sim sim;
  int port = wsr::testing::PortOf(sim.url());
  r = wsr::testing::Run(
      {wsr::testing::WsreplayBin(), "sim", "--listen", "127.0.0.1:" + std::to_string(port)});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("cannot listen"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(Sim, SigintClosesConnectionsWith1001AndExitsZero) {
  Sim sim;
  auto o = Opts(sim, kUserKey, {"tasks:" + kUser}, 5000);
  o.on_open = [&] { sim.proc().Signal(SIGINT); };
  auto r = ScriptedClient(o).Run();
  EXPECT_TRUE(r.closed_by_server);
  EXPECT_EQ(r.close_code, 1001);
  EXPECT_EQ(sim.proc().Wait(), 0);
}

TEST(Sim, HelpExplainsEveryFlagAndDefaultsPrint) {
  auto r = wsr::testing::Run({wsr::testing::WsreplayBin(), "sim", "--help"});
  EXPECT_EQ(r.status, 0);
  for (const char* flag : {"--listen", "--scenario", "--keys", "--idle-timeout", "--kick-code",
                           "--print-default-scenario", "--print-default-keys"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
  }
  r = wsr::testing::Run({wsr::testing::WsreplayBin(), "sim", "--print-default-scenario"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(wsr::sim::Scenario::Parse(r.out, "out").pushes().size(),
            wsr::sim::Scenario::Default().pushes().size());
  r = wsr::testing::Run({wsr::testing::WsreplayBin(), "sim", "--print-default-keys"});
  EXPECT_EQ(wsr::sim::Keys::Parse(r.out, "out").identities().size(), 3u);
}

TEST(Sim, DefaultScenarioCoversEveryEventAndFollowsTheSpec) {
  std::vector<std::string> warnings;
  auto sc = wsr::sim::Scenario::Parse(wsr::sim::Scenario::DefaultText(), "default", &warnings);
  std::set<std::string> seen;
  for (const auto& p : sc.pushes()) {
    seen.insert(std::string(wsr::thenvoi::FindChannel(p.topic)->prefix) + "/" + p.event);
    for (const auto& f : wsr::thenvoi::CheckPayload(p.topic, p.event, p.payload)) {
      EXPECT_FALSE(f.is_error()) << p.line << ": " << f.path << " " << f.message;
    }
    if (p.event.rfind("message_", 0) == 0 && p.event != "message_deleted") {
      EXPECT_TRUE(p.payload.contains("sender_name"));
    }
  }
  for (const auto& ch : wsr::thenvoi::Channels()) {
    for (const auto& e : ch.events) {
      EXPECT_TRUE(seen.count(std::string(ch.prefix) + "/" + std::string(e.name)))
          << ch.prefix << "/" << e.name;
    }
  }
  EXPECT_LE(sc.pushes().back().at_ms, 2000);
}

}  // namespace
