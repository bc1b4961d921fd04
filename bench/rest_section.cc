// Section "rest": the REST half of a session.
// 1. Replay: `wsreplay replay` answers N recorded `GET /api/v1/agent/me` (the n-th live request
//    gets the n-th recorded answer) on one keep-alive connection, one request at a time:
//    requests/s and the replayer's CPU per request.
// 2. Record: the round-trip time of that GET (one keep-alive connection, one request at a
//    time, over --seconds) direct to `wsreplay sim`, through `wsreplay record` (recording
//    every exchange) and through nginx (a plain reverse proxy with upstream keep-alive): p50,
//    p99, and the p50 each relay adds, with the relay's CPU per request.
#include <unistd.h>

#include <sys/stat.h>
#include <chrono>
#include <cstdio>
#include <fstream>

#include "bench/bench.h"
#include "bench/http_keepalive.h"
#include "bench/proc_stats.h"
#include "bench/report.h"
#include "cassettes/cassette.h"

namespace wsr::bench {
namespace {

constexpr const char* kTarget = "/api/v1/agent/me";
constexpr const char* kKey = "sim-agent-weather";
constexpr int kWarmUp = 100;  // requests before the measured ones

std::string GetRequest(int port) {
  return std::string("GET ") + kTarget + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nX-API-Key: " + kKey + "\r\nAccept: application/json\r\n\r\n";
}

// N recorded GETs of /api/v1/agent/me, each answered 200 with a ~260 B JSON body.
void MakeRestCassette(const std::string& path, int64_t n) {
  unlink(path.c_str());
  auto c = cassette::Cassette::Open(path, cassette::Cassette::Mode::kCreate);
  c->Begin();
  cassette::Session s;
  s.name = "bench";
  s.upstream = "http://127.0.0.1:9";
  s.source = "bench";
  s.tool_version = "bench";
  int64_t sid = c->InsertSession(s);
  for (int64_t i = 0; i < n; i++) {
    cassette::Exchange e;
    e.session_id = sid;
    e.ordinal = static_cast<int>(i + 1);
    e.http_connection = 1;
    e.method = "GET";
    e.path = kTarget;
    e.request_headers = {{"Host", "127.0.0.1:9"}, {"X-API-Key", "redacted:x-api-key:0"}};
    e.status = 200;
    e.response_body =
        R"({"data":{"id":"7d2f4c1e-3b9a-4e8f-9c61-2a5b8d0e4f13","name":"Weather Agent",)"
        R"("description":null,"handle":"weather-agent","owner_uuid":")" +
        std::to_string(i) + R"(","inserted_at":"2026-03-10T09:00:00.000000Z"}})";
    e.response_headers = {{"content-type", "application/json; charset=utf-8"},
                          {"content-length", std::to_string(e.response_body.size())}};
    e.initiator = "upstream";
    e.request_ns = 1'000'000 + i * 1000;
    e.response_ns = e.request_ns + 500;
    c->InsertExchange(e);
    if ((i + 1) % 50'000 == 0) {
      c->Commit();
      c->Begin();
    }
  }
  c->Commit();
  c->FinishSession(sid, 1'000'000 + n * 1000 + 1'000'000);
  c->Seal();
}

int PortOf(const std::string& url) { return std::stoi(url.substr(url.rfind(':') + 1)); }

struct Latency {
  std::string error;
  uint64_t requests = 0;
  double p50_us = 0, p99_us = 0, per_s = 0;
  double relay_cpu_us = -1;  // relay (or replayer) CPU per request
};

// Sequential keep-alive GETs to `port` for `seconds` (after kWarmUp requests), or until
// `max_requests`; relay_pid's CPU is sampled around the measured part.
Latency Measure(int port, double seconds, uint64_t max_requests, pid_t relay_pid) {
  Latency out;
  KeepAliveHttp http(port);
  if (!http.connected()) {
    out.error = "cannot connect to 127.0.0.1:" + std::to_string(port);
    return out;
  }
  const std::string req = GetRequest(port);
  for (int i = 0; i < kWarmUp; i++) {
    if (http.RoundTrip(req) != 200) {
      out.error = "warm-up: " + http.error();
      return out;
    }
  }
  std::vector<double> us;
  // The relay's CPU: the process and its direct children (nginx: master and worker).
  auto tree_cpu = [relay_pid] {
    double sum = 0;
    for (pid_t p : ProcessTree(relay_pid)) sum += CpuSeconds(p);
    return sum;
  };
  double cpu0 = relay_pid > 0 ? tree_cpu() : 0;
  auto start = std::chrono::steady_clock::now();
  auto end = start + std::chrono::duration<double>(seconds);
  while (out.requests < max_requests) {
    auto t0 = std::chrono::steady_clock::now();
    if (t0 >= end) break;
    int status = http.RoundTrip(req);
    auto t1 = std::chrono::steady_clock::now();
    if (status != 200) {
      out.error = "request " + std::to_string(out.requests + 1) + ": " +
                  (status ? "status " + std::to_string(status) : http.error());
      return out;
    }
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    ++out.requests;
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (relay_pid > 0 && out.requests) {
    out.relay_cpu_us = (tree_cpu() - cpu0) * 1e6 / static_cast<double>(out.requests);
  }
  out.per_s = static_cast<double>(out.requests) / wall;
  out.p50_us = Percentile(us, 50);
  out.p99_us = Percentile(us, 99);
  return out;
}

// nginx as a plain HTTP reverse proxy to `upstream_port`, keeping upstream connections alive.
std::optional<Peer> StartNginxHttp(const Env& env, int upstream_port, std::string* why) {
  return StartNginxProxy(env, "nginx-rest",
                         "  keepalive_requests 10000000;\n"
                         "  upstream sim { server 127.0.0.1:" +
                             std::to_string(upstream_port) + "; keepalive 8; }\n",
                         "      proxy_pass http://sim;\n"
                         "      proxy_http_version 1.1;\n"
                         "      proxy_set_header Connection \"\";\n"
                         "      proxy_set_header Host $host;\n",
                         why);
}

std::unique_ptr<ChildProcess> StartListening(const Env& env, std::vector<std::string> argv,
                                             const std::string& log, std::string* url,
                                             std::string* why) {
  auto p = std::make_unique<ChildProcess>(argv, env.Tmp(log));
  auto line = p->WaitForLine("listening on ", std::chrono::seconds(30));
  if (!line) {
    *why = "`" + argv[0] + " " + argv[1] + "` did not start: " + p->FirstErrorLine();
    p->Stop(std::chrono::seconds(2));
    return nullptr;
  }
  *url = *line;
  return p;
}

}  // namespace

void RunRestSection(const Env& env, Summary* summary) {
  const bool quick = env.opt.quick;
  printf("\n== REST: replayed and recorded HTTP exchanges ==\n");
  fflush(stdout);
  Table table({"measurement", "result", "detail"});
  auto skip = [&](const std::string& what, const std::string& why) {
    printf("  %s skipped: %s\n", what.c_str(), why.c_str());
    summary->skipped.push_back("rest " + what + ": " + why);
  };

  // 1. Replay throughput on one keep-alive connection.
  const int64_t n = quick ? 2'000 : 200'000;
  const std::string path = env.Tmp("rest.cassette");
  try {
    MakeRestCassette(path, n);
    std::string url, why;
    auto replay = StartListening(env,
                                 {env.opt.wsreplay, "replay", "--cassette", path, "--listen",
                                  "127.0.0.1:0", "--speed", "max"},
                                 "rest-replay.stderr", &url, &why);
    if (!replay) {
      skip("replay", why);
    } else {
      Latency l =
          Measure(PortOf(url), quick ? 30 : 60, static_cast<uint64_t>(n) - kWarmUp, replay->pid());
      replay->Stop();
      if (!l.error.empty()) {
        skip("replay", l.error);
      } else {
        summary->rest_replay_rps = l.per_s;
        table.Add({"replay, 1 keep-alive connection", Thousands(l.per_s) + " requests/s",
                   Thousands(static_cast<double>(l.requests)) +
                       " recorded GETs answered in order; "
                       "p50 " +
                       Fixed(l.p50_us, 1) + " us, p99 " + Fixed(l.p99_us, 1) +
                       " us; replayer CPU " + Fixed(l.relay_cpu_us, 1) + " us/request"});
      }
    }
  } catch (const std::exception& e) {
    skip("replay", e.what());
  }
  unlink(path.c_str());

  // 2. Latency a relay adds to a REST GET (upstream: wsreplay sim).
  std::string sim_url, why;
  std::ofstream(env.Tmp("empty-scenario.jsonl")).close();
  auto sim = StartListening(env,
                            {env.opt.wsreplay, "sim", "--listen", "127.0.0.1:0", "--scenario",
                             env.Tmp("empty-scenario.jsonl")},
                            "rest-sim.stderr", &sim_url, &why);
  if (!sim) {
    skip("latency", why);
  } else {
    const double secs = env.opt.seconds;
    Latency direct = Measure(PortOf(sim_url), secs, UINT64_MAX, -1);
    if (!direct.error.empty()) {
      skip("latency", "direct to wsreplay sim: " + direct.error);
    } else {
      table.Add({"GET direct to wsreplay sim", "p50 " + Fixed(direct.p50_us, 1) + " us",
                 "p99 " + Fixed(direct.p99_us, 1) + " us, " +
                     Thousands(static_cast<double>(direct.requests)) + " requests"});
      auto row = [&](const std::string& name, const Latency& l) {
        if (!l.error.empty()) {
          skip(name, l.error);
          return;
        }
        table.Add(
            {"GET through " + name,
             "p50 " + Fixed(l.p50_us, 1) + " us (+" + Fixed(l.p50_us - direct.p50_us, 1) + ")",
             "p99 " + Fixed(l.p99_us, 1) + " us, relay CPU " + Fixed(l.relay_cpu_us, 1) +
                 " us/request, " + Thousands(static_cast<double>(l.requests)) + " requests"});
      };
      std::string rec_url;
      auto rec = StartListening(env,
                                {env.opt.wsreplay, "record", "--upstream", sim_url, "--cassette",
                                 env.Tmp("rest-rec.cassette"), "--listen", "127.0.0.1:0"},
                                "rest-record.stderr", &rec_url, &why);
      if (!rec) {
        skip("wsreplay record", why);
      } else {
        Latency l = Measure(PortOf(rec_url), secs, UINT64_MAX, rec->pid());
        rec->Stop();
        row("wsreplay record", l);
        if (l.error.empty()) summary->rest_record_added_us = l.p50_us - direct.p50_us;
      }
      if (env.opt.peers.count("nginx")) {
        auto nginx = StartNginxHttp(env, PortOf(sim_url), &why);
        if (!nginx) {
          skip("nginx", why);
        } else {
          Latency l = Measure(PortOf(nginx->url), secs, UINT64_MAX, nginx->process->pid());
          nginx->process->Stop();
          row("nginx", l);
          if (l.error.empty()) summary->rest_nginx_added_us = l.p50_us - direct.p50_us;
        }
      }
    }
    sim->Stop();
  }
  if (!table.empty()) printf("%s", table.Text().c_str());
  fflush(stdout);
}

}  // namespace wsr::bench
