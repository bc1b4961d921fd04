// `wsreplay demo`: the whole record -> replay loop on one machine, with no network and no
// API key. It starts the built-in Thenvoi simulator, records two scripted Phoenix clients
// (an agent and a user, all 7 channels) through the recording proxy into a cassette, shows
// what was recorded, then replays the cassette at --speed max to the same clients and checks
// that they receive the same events in the same order. The agent answers the message that
// mentions it over the Agent REST API (processing, reply, processed; sim/demo_agent.h),
// through the same base URL: recorded as exchanges, then answered from the cassette, where
// the demo checks each call gets its recorded status and body.
//
// Everything runs in this process: the simulator, the relay and the replay server each own
// a libwebsockets context on their own thread; the clients run on the calling thread.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>
#include <thread>
#include <utility>

#include "cassettes/cassette.h"
#include "cassettes/writer.h"
#include "cli/commands.h"
#include "cli/version.h"
#include "common/clock.h"
#include "common/duration.h"
#include "common/error.h"
#include "common/stop_signal.h"
#include "common/terminal_text.h"
#include "phoenix/frame.h"
#include "proxy/relay_server.h"
#include "recorder/redactor.h"
#include "replay/replay_server.h"
#include "sim/demo_agent.h"
#include "sim/http_client.h"
#include "sim/scenario.h"
#include "sim/scripted_client.h"
#include "sim/server.h"

namespace wsr::cli {
namespace {

struct DemoClient {
  const char* who;
  const char* key;
  std::vector<std::string> topics;
  const char* id = nullptr;  // set for the agent, which answers its mentions over REST
};

const std::vector<DemoClient>& Clients() {
  static const std::vector<DemoClient> clients = {
      {"agent \"Weather Agent\"",
       "sim-agent-weather",
       {"agent_rooms:7d2f4c1e-3b9a-4e8f-9c61-2a5b8d0e4f13",
        "chat_room:5f0c9a3e-2d71-4b8e-a6c4-81e9f2d03b7a",
        "room_participants:5f0c9a3e-2d71-4b8e-a6c4-81e9f2d03b7a",
        "agent_contacts:7d2f4c1e-3b9a-4e8f-9c61-2a5b8d0e4f13"},
       "7d2f4c1e-3b9a-4e8f-9c61-2a5b8d0e4f13"},
      {"user \"Alice Doe\"",
       "sim-user-alice",
       {"user_rooms:0b8e5a92-61d4-4c3e-8f7a-9e2c1d4b6a58",
        "user_contacts:0b8e5a92-61d4-4c3e-8f7a-9e2c1d4b6a58",
        "tasks:0b8e5a92-61d4-4c3e-8f7a-9e2c1d4b6a58",
        "chat_room:5f0c9a3e-2d71-4b8e-a6c4-81e9f2d03b7a",
        "room_participants:5f0c9a3e-2d71-4b8e-a6c4-81e9f2d03b7a"}},
  };
  return clients;
}

// The channel events a client received, as "topic event payload" lines (refs left out:
// they are the client's own and replay rewrites them).
std::vector<std::string> Events(const sim::ScriptedClientResult& r) {
  std::vector<std::string> out;
  for (const auto& f : r.frames) {
    auto p = phoenix::Parse(f.text);
    if (!p || p->event.rfind("phx_", 0) == 0) continue;
    out.push_back(p->topic + " " + p->event + " " + std::string(p->payload));
  }
  return out;
}

// One REST call the agent made, and what it got.
struct RestCall {
  std::string line;  // "POST /api/v1/agent/chats/…/processing"
  int status = 0;
  std::string body;
  std::string error;
};

struct ClientRun {
  sim::ScriptedClientResult ws;
  std::vector<RestCall> rest;
};

// Runs one client against `base_url`; the agent answers each mention over REST, through the
// same base URL (the recording proxy, then the replay server), as an SDK pointed at wsreplay
// for both its REST and its WebSocket URL would.
ClientRun RunClient(const DemoClient& c, const std::string& base_url, int duration_ms,
                    int max_events) {
  ClientRun run;
  sim::ScriptedClientOptions o;
  o.url = base_url + sim::kSocketPath;
  o.params = {{"api_key", c.key}, {"vsn", "2.0.0"}};
  o.topics = c.topics;
  o.heartbeat_ms = 500;
  o.duration_ms = duration_ms;
  o.max_events = max_events;
  if (c.id) {
    o.on_frame = [&run, &c, &base_url](const sim::ScriptedFrame& f) {
      for (const auto& call : sim::AnswerMention(f.text, {c.id, c.key})) {
        auto r = sim::HttpCall(base_url, call);
        run.rest.push_back({call.method + " " + call.target, r.status, r.body, r.error});
      }
    };
  }
  // While recording, the client stops once the scenario's last push to its topics arrived
  // (the simulator sends its pushes at fixed times after the socket opened; on a loaded
  // machine a fixed window ended some sessions before their last pushes).
  if (max_events < 0) {
    const sim::Scenario scenario = sim::Scenario::Default();
    std::string topic, event;
    for (const auto& p : scenario.pushes()) {
      if (std::find(c.topics.begin(), c.topics.end(), p.topic) != c.topics.end()) {
        topic = p.topic;
        event = p.event;
      }
    }
    if (!topic.empty()) {
      o.is_last = [topic, event](const sim::ScriptedFrame& f) {
        auto p = phoenix::Parse(f.text);
        return p && p->topic == topic && p->event == event;
      };
    }
  }
  run.ws = sim::ScriptedClient(o).Run();
  return run;
}

// "POST /api/v1/agent/chats/…/processing" with the chat and message ids shortened.
std::string ShortCall(const std::string& line) {
  std::string out;
  size_t i = 0;
  while (i < line.size()) {
    size_t seg = line.find('/', i);
    size_t end = seg == std::string::npos ? line.size() : seg;
    std::string part = line.substr(i, end - i);
    out += part.size() == 36 && std::count(part.begin(), part.end(), '-') == 4 ? "…" : part;
    if (seg == std::string::npos) break;
    out += '/';
    i = seg + 1;
  }
  return out;
}

void PrintRest(const std::vector<RestCall>& calls, const std::vector<RestCall>* recorded) {
  for (size_t i = 0; i < calls.size(); ++i) {
    const auto& c = calls[i];
    std::string verdict;
    if (recorded) {
      bool same = i < recorded->size() && (*recorded)[i].status == c.status &&
                  (*recorded)[i].body == c.body;
      verdict = same ? "  (recorded answer)" : "  DIFFERENT from the recording";
    }
    if (!c.error.empty()) {
      PrintfSafe(stdout, "        REST %s: %s\n", ShortCall(c.line).c_str(),
                 EscapeControls(c.error).c_str());
    } else {
      PrintfSafe(stdout, "        REST %s -> %d%s\n", ShortCall(c.line).c_str(), c.status,
                 verdict.c_str());
    }
  }
}

// True when the replayed calls got the recorded answers, call for call.
bool SameRest(const std::vector<RestCall>& a, const std::vector<RestCall>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].line != b[i].line || a[i].status != b[i].status || a[i].body != b[i].body ||
        !a[i].error.empty()) {
      return false;
    }
  }
  return true;
}

std::string DemoSessionName() {
  std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof buf, "demo-%Y%m%d-%H%M%S", std::gmtime(&t));
  return buf;
}

int RunDemo(const std::string& cassette_path, std::string session) {
  if (session.empty()) session = DemoSessionName();
  PrintfSafe(
      stdout,
      "wsreplay demo: record a Thenvoi session from the built-in simulator, then replay it.\n\n");

  SteadyClock clock;
  Redactor redactor;
  cassette::Session s;
  s.name = session;
  s.started_at_ns = WallClockNs();
  s.upstream = "wsreplay sim (in-process)";
  s.source = "record";
  s.tool_version = kVersion;
  std::vector<std::vector<std::string>> recorded;
  std::vector<std::vector<RestCall>> recorded_rest;
  {
    // Opened first: a taken session name or a foreign file is refused before anything runs.
    cassette::CassetteWriter writer(cassette_path, s);
    // 1. The simulator.
    sim::SimOptions sim_opts;
    sim_opts.listen = ParseListenAddr("127.0.0.1:0");
    sim::SimServer sim(sim_opts);
    sim.Listen();
    std::thread sim_thread([&] { sim.Run(); });
    // Whatever happens below, the service threads are stopped before they are destroyed, the
    // last one started first: the relay drains before the simulator behind it stops.
    struct Joiner {
      std::vector<std::pair<std::function<void()>, std::thread*>> stops;
      ~Joiner() {
        for (auto it = stops.rbegin(); it != stops.rend(); ++it) {
          if (!it->second->joinable()) continue;
          it->first();
          it->second->join();
        }
      }
    } joiner{{{[&sim] { sim.Stop(); }, &sim_thread}}};
    PrintfSafe(
        stdout,
        "[1/4] simulator      %s (built-in keys and scenario: every event of the 7 channels)\n",
        sim.url().c_str());

    // 2. The recording proxy in front of it.
    recorder::RecordingContext rec;
    rec.redactor = &redactor;
    rec.session_start_ns = clock.NowNs();
    proxy::RelayServer::Options relay_opts;
    relay_opts.listen = ParseListenAddr("127.0.0.1:0");
    relay_opts.upstream = ParseWsUrl(sim.url());
    proxy::RelayServer relay(relay_opts, rec);
    relay.Start();
    relay.SetRecording(&writer, rec.session_start_ns);
    std::thread relay_thread([&] { relay.Run(); });
    joiner.stops.emplace_back([&relay] { relay.Stop(); }, &relay_thread);
    PrintfSafe(stdout, "[2/4] recording      %s -> simulator, into %s (session %s)\n",
               relay.url().c_str(), cassette_path.c_str(), session.c_str());
    for (const auto& c : Clients()) {
      auto r = RunClient(c, relay.url(), 10000, -1);
      if (!r.ws.connected) {
        throw Error("demo client could not connect through the proxy: " + r.ws.error);
      }
      recorded.push_back(Events(r.ws));
      PrintfSafe(stdout, "      %-22s joined %zu topics, received %zu events\n", c.who,
                 c.topics.size(), recorded.back().size());
      if (!r.rest.empty()) {
        PrintfSafe(stdout, "        answered its mention over the REST API, through the proxy:\n");
      }
      PrintRest(r.rest, nullptr);
      recorded_rest.push_back(std::move(r.rest));
    }
    // The relay first, the simulator once the relay has drained: stopped together, the
    // simulator's 1001 could reach the relay before a closing handshake the relay still carries.
    relay.Stop();
    relay_thread.join();
    sim.Stop();
    sim_thread.join();
    int64_t duration = clock.NowNs() - rec.session_start_ns;
    if (!writer.Stop(duration)) throw Error("writing the cassette failed: " + writer.error());
  }

  // 3. What the cassette holds.
  {
    auto c = cassette::Cassette::Open(cassette_path, cassette::Cassette::Mode::kReadOnly);
    auto sess = c->ResolveSession(session);
    auto conns = c->Connections(sess.id);
    PrintfSafe(stdout, "[3/4] cassette       %s: session %s, %s, %zu connections\n",
               cassette_path.c_str(), sess.name.c_str(),
               FormatDurationNs(sess.duration_ns.value_or(0)).c_str(), conns.size());
    for (const auto& conn : conns) {
      int64_t up = c->CountFrames({.connection_id = conn.id});
      PrintfSafe(stdout, "      #%d %s?%s  status %d  %lld frames  closed %d (%s)\n", conn.ordinal,
                 conn.path.c_str(), conn.query.c_str(), conn.http_status.value_or(0),
                 static_cast<long long>(up), conn.close_code.value_or(0),
                 conn.close_initiator.c_str());
    }
    for (const auto& e : c->Exchanges(sess.id)) {
      PrintfSafe(stdout, "      REST %s  %d  %s\n", ShortCall(e.method + " " + e.path).c_str(),
                 e.status.value_or(0),
                 FormatDurationNs(e.response_ns.value_or(e.request_ns) - e.request_ns).c_str());
    }
    PrintfSafe(stdout,
               "      (api_key and X-API-Key values are stored as redaction placeholders, never in "
               "clear)\n");
  }

  // 4. Replay to the same clients, offline, as fast as order allows.
  replay::ServerOptions ro;
  ro.replay.session = session;
  ro.replay.speed = 0;
  auto server = replay::ReplayServer::Start(cassette_path, ro);
  PrintfSafe(stdout, "[4/4] replaying      %s at --speed max (no network)\n",
             server->url().c_str());
  bool same = true;
  for (size_t i = 0; i < Clients().size(); ++i) {
    const auto& c = Clients()[i];
    auto r = RunClient(c, server->url(), 10000, static_cast<int>(recorded[i].size()));
    auto events = Events(r.ws);
    bool ok = events == recorded[i];
    bool rest_ok = SameRest(r.rest, recorded_rest[i]);
    same = same && ok && rest_ok;
    PrintfSafe(stdout, "      %-22s received %zu events: %s\n", c.who, events.size(),
               ok ? "same events, same order as recorded" : "DIFFERENT from the recording");
    if (!r.rest.empty() || !recorded_rest[i].empty()) {
      PrintfSafe(stdout, "        %s\n",
                 rest_ok ? "its REST calls were answered from the cassette:"
                         : "its REST calls were NOT answered as recorded:");
    }
    PrintRest(r.rest, &recorded_rest[i]);
  }
  auto report = server->Stop();
  PrintfSafe(stdout, "\n%s\n", report.ToText().c_str());
  PrintfSafe(stdout, "Result: %s\n", same ? "replay matched the recording" : "replay differed");
  PrintfSafe(stdout,
             "\nLook closer:  wsreplay ls %s\n              wsreplay show %s --session %s\n",
             cassette_path.c_str(), cassette_path.c_str(), session.c_str());
  PrintfSafe(stdout, "Replay it:    wsreplay replay --cassette %s --session %s\n",
             cassette_path.c_str(), session.c_str());
  return same ? 0 : 1;
}

}  // namespace

void AddDemo(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "demo", "Record a session from the built-in Thenvoi simulator and replay it (no network)");
  static std::string cassette = "wsreplay-demo.cassette";
  static std::string session;
  cmd->add_option("--cassette", cassette,
                  "Cassette to record into (created if missing; each run adds a session)")
      ->capture_default_str();
  cmd->add_option("--session", session, "Session name (default demo-YYYYmmdd-HHMMSS)");
  cmd->callback([exit_code] {
    InstallStopSignals();
    *exit_code = RunDemo(cassette, session);
  });
}

}  // namespace wsr::cli
