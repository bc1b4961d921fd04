// Section "scale": 10,000 concurrent Phoenix connections (two topics joined each, a heartbeat
// every 30 s, a push every few seconds) through `wsreplay record` in front of a Phoenix
// upstream (bench/phoenix_load.h, in its own process), then the recorded session served by
// `wsreplay replay --speed 1` to as many live clients. For each: connections established,
// frames sent / expected / recorded or delivered, peak RSS (VmHWM) and CPU seconds of the
// process under test, and its service loop's turn times (WSREPLAY_LOOP_STATS=1 makes it log
// them at stop). PASS/FAIL against the targets, never a non-zero exit.
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "bench/bench.h"
#include "bench/http_get.h"
#include "bench/phoenix_load.h"
#include "bench/proc_stats.h"
#include "bench/report.h"
#include "cassettes/cassette.h"

namespace wsr::bench {
namespace {

constexpr double kRssTargetMiB = 400;
constexpr double kTurnTargetMs = 5;

// Soft RLIMIT_NOFILE to at least `want` (raising the hard limit too when allowed, i.e. as
// root), else to the hard limit. Children inherit it. Returns what happened, for the output.
std::string RaiseFdLimit(rlim_t want) {
  rlimit before{};
  getrlimit(RLIMIT_NOFILE, &before);
  rlimit next = before;
  if (next.rlim_max != RLIM_INFINITY && next.rlim_max < want) next.rlim_max = want;
  next.rlim_cur = next.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &next) != 0) {
    next = before;
    next.rlim_cur = before.rlim_max;
    setrlimit(RLIMIT_NOFILE, &next);
  }
  rlimit after{};
  getrlimit(RLIMIT_NOFILE, &after);
  return "fd limit (RLIMIT_NOFILE, inherited by the children): soft " +
         std::to_string(before.rlim_cur) + " -> " + std::to_string(after.rlim_cur) + ", hard " +
         std::to_string(before.rlim_max) + " -> " + std::to_string(after.rlim_max) +
         (after.rlim_cur < want ? " (below the " + std::to_string(want) + " needed)" : "");
}

struct LoopStats {
  bool found = false;
  long long turns = 0;
  double p50 = 0, p99 = 0, max = 0, total = 0;  // CPU per turn, ms
  double wall_p50 = 0, wall_p99 = 0, wall_max = 0;
  long long slow_turns = 0;  // turns over 5 ms CPU
  double slow_ms = 0;        // their CPU time
};

// The "loop stats: ..." line the process logged at stop (see proxy/relay_server.cc).
LoopStats ReadLoopStats(const std::string& stderr_path) {
  LoopStats s;
  std::ifstream in(stderr_path);
  std::string line;
  while (std::getline(in, line)) {
    size_t at = line.find("loop stats: ");
    if (at == std::string::npos) continue;
    int n =
        sscanf(line.c_str() + at,
               "loop stats: %lld turns, CPU per turn p50 %lf ms p99 %lf ms max %lf ms (total "
               "%lf ms), wall per turn p50 %lf ms p99 %lf ms max %lf ms",
               &s.turns, &s.p50, &s.p99, &s.max, &s.total, &s.wall_p50, &s.wall_p99, &s.wall_max);
    s.found = n == 8;
    size_t slow = line.find("turns over 5 ms CPU: ");
    if (slow != std::string::npos) {
      sscanf(line.c_str() + slow, "turns over 5 ms CPU: %lld (%lf ms CPU)", &s.slow_turns,
             &s.slow_ms);
    }
  }
  return s;
}

std::string Mib(int64_t kib) { return Fixed(static_cast<double>(kib) / 1024.0, 1) + " MiB"; }
std::string N(uint64_t v) { return Thousands(static_cast<double>(v)); }
std::string Verdict(bool pass) { return pass ? "PASS" : "FAIL"; }

struct Measured {
  std::string what;  // "record" / "replay"
  int64_t hwm_kib = 0;
  double cpu_s = 0;
  double run_s = 0;  // the clients' run, over which cpu_s was spent
  LoopStats loop;
  int established = 0, connections = 0;
  std::string refusal;    // why the first connection that failed did
  bool lossless = false;  // every frame of every established connection got through
  std::string loss_note;
};

struct Counts {
  int64_t connections = 0, c2s = 0, s2c = 0, control = 0, pushes = 0;
};

Counts CountCassette(const std::string& path) {
  Counts k;
  auto c = cassette::Cassette::Open(path, cassette::Cassette::Mode::kReadOnly);
  for (const auto& s : c->Sessions()) {
    for (const auto& conn : c->Connections(s.id)) k.connections += conn.http_status == 101;
  }
  const auto c2s = cassette::Direction::kClientToServer, s2c = cassette::Direction::kServerToClient;
  k.c2s = c->CountFrames({.direction = c2s});
  k.s2c = c->CountFrames({.direction = s2c});
  k.control = c->CountFrames({.include_control = true}) - k.c2s - k.s2c;
  for (const char* event : {"message_created", "task_updated"}) {
    k.pushes += c->CountFrames({.event = event, .direction = s2c, .without_ref = true});
  }
  return k;
}

// When `wsreplay record` could hold fewer than `want` connections (the fd limit), replaces its
// refused upgrades by copies of recorded connections (with all their frames) until the session
// has `want` upgraded ones, so replay can still serve that many live clients. Returns how many
// were added.
int64_t TopUpRecording(const std::string& path, int64_t want) {
  auto c = cassette::Cassette::Open(path, cassette::Cassette::Mode::kEdit);
  cassette::Session session = c->ResolveSession("scale");
  c->Begin();
  // Upgrades the proxy refused (503: no descriptor left for the upstream) would be replayed as
  // refusals: they go, and copies of upgraded connections take their place.
  for (const auto& s : c->Sessions()) {
    for (const auto& conn : c->Connections(s.id)) {
      if (conn.http_status != 101) c->DeleteConnection(conn.id);
    }
  }
  std::vector<cassette::Connection> conns = c->Connections(session.id);
  int64_t have = static_cast<int64_t>(conns.size());
  if (have == 0 || have >= want) {
    c->Commit();
    c->Seal();
    return 0;
  }
  int next_ordinal = 0;
  for (auto& conn : conns) next_ordinal = std::max(next_ordinal, conn.ordinal);
  for (int64_t i = have; i < want; i++) {
    cassette::Connection copy = conns[static_cast<size_t>(i % have)];
    int64_t from = copy.id;
    copy.ordinal = ++next_ordinal;
    copy.id = c->InsertConnection(copy);
    std::vector<cassette::Frame> frames;
    cassette::FrameCursor cursor = c->ConnectionFrames(from, {.include_control = true});
    cassette::Frame f;
    while (cursor.Next(&f)) frames.push_back(f);
    for (auto& fr : frames) {
      fr.connection_id = copy.id;
      c->InsertFrame(fr);
    }
  }
  c->Commit();
  c->Seal();
  return want - have;
}

void Skip(Summary* summary, const std::string& why) {
  printf("  skipped: %s\n", why.c_str());
  summary->skipped.push_back("scale: " + why);
}

// Starts wsreplay with the loop statistics switched on; waits for its readiness line.
std::unique_ptr<ChildProcess> StartWsreplay(const Env& env, std::vector<std::string> args,
                                            const std::string& stderr_path, std::string* url,
                                            std::string* why) {
  if (access(env.opt.wsreplay.c_str(), X_OK) != 0) {
    *why = "wsreplay binary not found at " + env.opt.wsreplay + " (use --wsreplay PATH)";
    return nullptr;
  }
  args.insert(args.begin(), env.opt.wsreplay);
  setenv("WSREPLAY_LOOP_STATS", "1", 1);
  std::unique_ptr<ChildProcess> p;
  try {
    p = std::make_unique<ChildProcess>(args, stderr_path);
  } catch (const std::exception& e) {
    *why = e.what();
  }
  unsetenv("WSREPLAY_LOOP_STATS");
  if (!p) return nullptr;
  auto line = p->WaitForLine("listening on ", std::chrono::seconds(30));
  if (!line) {
    p->Stop(std::chrono::seconds(2));
    *why = "`wsreplay " + args[1] + "` did not start: " + p->FirstErrorLine();
    return nullptr;
  }
  *url = *line;
  return p;
}

FleetPlan BasePlan(const Env& env, int port, int pushes) {
  FleetPlan plan;
  plan.port = port;
  plan.connections = env.opt.connections;
  plan.lifetime_s = env.opt.scale_seconds;
  plan.heartbeat_s = env.opt.quick ? 2 : 30;
  plan.pushes_expected = pushes;
  plan.grace_s = env.opt.quick ? 5 : 15;
  plan.progress_s = env.opt.quick ? 2 : 10;
  // The ramp can be slow when the server's work per event grows with its connections.
  plan.timeout_s = plan.lifetime_s + plan.grace_s + 1200;
  return plan;
}

void PrintFleet(const char* what, const FleetResult& r, int connections) {
  printf(
      "  %s: %d of %d connections established in %s s (%d failed%s), %d open at once at the "
      "peak, run %s s\n",
      what, r.established, connections, Fixed(r.ramp_s, 1).c_str(), r.failed,
      r.first_error.empty() ? "" : (": " + r.first_error).c_str(), r.peak_open,
      Fixed(r.total_s, 1).c_str());
  printf("  %s: closed cleanly %d, otherwise %d%s, incomplete at the deadline %d%s\n", what,
         r.closed_clean, r.closed_unclean,
         r.first_close_error.empty() ? "" : (" (" + r.first_close_error + ")").c_str(),
         r.incomplete, r.timed_out ? ", TIMED OUT" : "");
}

std::string TurnText(const LoopStats& l) {
  if (!l.found) return "no loop stats line (is the binary built with WSREPLAY_LOOP_STATS?)";
  return "p50 " + Fixed(l.p50, 3) + " ms, p99 " + Fixed(l.p99, 3) + " ms, max " + Fixed(l.max, 3) +
         " ms over " + N(static_cast<uint64_t>(l.turns)) + " turns (CPU per turn; wall p50 " +
         Fixed(l.wall_p50, 3) + " / p99 " + Fixed(l.wall_p99, 3) + " / max " +
         Fixed(l.wall_max, 3) + " ms); loop CPU " + Fixed(l.total / 1000, 1) + " s, of which " +
         Fixed(l.total > 0 ? l.slow_ms / l.total * 100 : 0, 0) + " % in the " +
         N(static_cast<uint64_t>(l.slow_turns)) + " turns over 5 ms";
}

void AddTargets(const Measured& m, Summary* summary) {
  const std::string who = "scale " + m.what;
  double rss = static_cast<double>(m.hwm_kib) / 1024.0;
  summary->scale_targets.push_back(
      {who + ": peak RSS <= 400 MiB", Fixed(rss, 1) + " MiB", Verdict(rss <= kRssTargetMiB)});
  summary->scale_targets.push_back(
      {who + ": loop turn p99 <= 5 ms",
       m.loop.found ? Fixed(m.loop.p99, 3) + " ms (max " + Fixed(m.loop.max, 1) + " ms)" : "-",
       m.loop.found ? Verdict(m.loop.p99 <= kTurnTargetMs) : "not measured"});
  summary->scale_targets.push_back(
      {who + ": connections established",
       N(static_cast<uint64_t>(m.established)) + " of " + N(static_cast<uint64_t>(m.connections)),
       Verdict(m.established == m.connections)});
  summary->scale_targets.push_back(
      {who + ": nothing lost (established connections)", m.loss_note, Verdict(m.lossless)});
}

void PrintMeasured(const Measured& m) {
  Table t({"measurement", "figure", "target"});
  double rss = static_cast<double>(m.hwm_kib) / 1024.0;
  t.Add({"peak RSS (VmHWM)", Mib(m.hwm_kib), "<= 400 MiB: " + Verdict(rss <= kRssTargetMiB)});
  t.Add({"CPU (user + system, all threads)",
         Fixed(m.cpu_s, 1) + " s (" + Fixed(m.run_s > 0 ? m.cpu_s / m.run_s * 100 : 0, 0) +
             " % of one core over the " + Fixed(m.run_s, 0) + " s run)",
         "-"});
  t.Add({"service loop turn", TurnText(m.loop),
         m.loop.found ? "p99 <= 5 ms: " + Verdict(m.loop.p99 <= kTurnTargetMs) : "-"});
  t.Add({"connections established",
         N(static_cast<uint64_t>(m.established)) + " of " +
             N(static_cast<uint64_t>(m.connections)) +
             (m.refusal.empty() ? "" : " (first failure: " + m.refusal + ")"),
         "all: " + Verdict(m.established == m.connections)});
  t.Add({"frames", m.loss_note, "nothing lost: " + Verdict(m.lossless)});
  printf("%s", t.Text().c_str());
}

}  // namespace

void RunScaleSection(const Env& env, Summary* summary) {
  const int n = env.opt.connections;
  const int interval_ms = env.opt.push_interval_ms;
  const double seconds = env.opt.scale_seconds;
  // Pushes start one interval after the second join; the last one is due a second before the
  // client's lifetime ends.
  const int pushes = std::max(1, static_cast<int>((seconds * 1000 - 1000) / interval_ms));
  printf(
      "\n== Scale: %s Phoenix connections through wsreplay record, then served by wsreplay "
      "replay ==\n",
      N(static_cast<uint64_t>(n)).c_str());
  printf(
      "  each connection: 2 topics joined, heartbeat every %s s, %d pushes (one every %s s), "
      "open %s s\n",
      env.opt.quick ? "2" : "30", pushes, Fixed(interval_ms / 1000.0, 1).c_str(),
      Fixed(seconds, 0).c_str());
  printf("  %s\n", RaiseFdLimit(static_cast<rlim_t>(2 * n + 1024)).c_str());
  rlimit fds{};
  getrlimit(RLIMIT_NOFILE, &fds);
  if (fds.rlim_cur < static_cast<rlim_t>(2 * n + 64)) {
    printf(
        "  WARNING: wsreplay record holds 2 descriptors per connection (client + upstream) plus "
        "about 20; a limit of %llu leaves room for about %llu connections, the rest will be "
        "refused and counted as lost. Raising the hard limit needs CAP_SYS_RESOURCE (e.g. "
        "`prlimit --pid $$ --nofile=65536:65536` as root outside a container).\n",
        static_cast<unsigned long long>(fds.rlim_cur),
        static_cast<unsigned long long>((fds.rlim_cur - 32) / 2));
  }
  fflush(stdout);

  auto upstream = std::make_unique<ChildProcess>(
      std::vector<std::string>{env.opt.self, "--serve-phoenix", "0", "--push-interval-ms",
                               std::to_string(interval_ms), "--pushes", std::to_string(pushes)},
      env.Tmp("phoenix.stderr"));
  auto up_line = upstream->WaitForLine("listening on ", std::chrono::seconds(10));
  if (!up_line) {
    Skip(summary, "the Phoenix upstream did not start: " + upstream->FirstErrorLine());
    return;
  }
  printf("  Phoenix upstream: %s (pid %d), load generator: pid %d (one epoll loop)\n",
         up_line->c_str(), upstream->pid(), getpid());

  // ---------------------------------------------------------------- record
  const std::string cassette = env.Tmp("scale.cassette");
  printf("\n  -- wsreplay record --upstream %s --cassette %s\n", up_line->c_str(),
         cassette.c_str());
  fflush(stdout);
  std::string url, why;
  const std::string rec_err = env.Tmp("scale-record.stderr");
  auto rec = StartWsreplay(env,
                           {"record", "--upstream", *up_line, "--cassette", cassette, "--session",
                            "scale", "--listen", "127.0.0.1:0"},
                           rec_err, &url, &why);
  if (!rec) {
    Skip(summary, "record: " + why);
    return;
  }
  pid_t rec_pid = rec->pid();
  double cpu0 = CpuSeconds(rec_pid);
  FleetPlan plan = BasePlan(env, std::stoi(url.substr(url.rfind(':') + 1)), pushes);
  plan.push_latency = true;
  plan.on_progress = [&](const FleetProgress& p) {
    printf("  record  %5.0f s: %s open, %s pushes received, wsreplay RSS %s\n", p.elapsed_s,
           N(static_cast<uint64_t>(p.open)).c_str(), N(p.pushes).c_str(),
           Mib(ReadMemory(rec_pid).rss_kib).c_str());
    fflush(stdout);
  };
  FleetResult fr = RunPhoenixFleet(plan);
  Measured mr;
  mr.what = "record";
  mr.hwm_kib = ReadMemory(rec_pid).hwm_kib;
  mr.cpu_s = CpuSeconds(rec_pid) - cpu0;
  mr.run_s = fr.total_s;
  rec->Signal(SIGINT);
  auto rec_status = rec->Wait(std::chrono::seconds(180));
  if (!rec_status) rec_status = rec->Stop();
  mr.loop = ReadLoopStats(rec_err);
  upstream->Signal(SIGTERM);
  auto stats = upstream->WaitForLine("stats ", std::chrono::seconds(10));
  upstream->Wait(std::chrono::seconds(10));
  unsigned long long up_sent = 0, up_received = 0, up_conns = 0;
  if (stats)
    sscanf(stats->c_str(), "sent=%llu received=%llu connections=%llu", &up_sent, &up_received,
           &up_conns);
  PrintFleet("clients", fr, n);
  Counts rc;
  try {
    rc = CountCassette(cassette);
  } catch (const std::exception& e) {
    printf("  cassette unreadable: %s\n", e.what());
  }
  // Due: every push the upstream owes the connections that were established.
  const uint64_t expected_pushes =
      static_cast<uint64_t>(pushes) * static_cast<uint64_t>(fr.established);
  Table ft({"frames (text)", "client -> upstream", "upstream -> client", "pushes"});
  ft.Add({"sent", N(fr.text_sent) + " (clients)", N(up_sent) + " (upstream)",
          N(expected_pushes) + " due"});
  ft.Add({"arrived", N(up_received) + " (upstream)", N(fr.text_received) + " (clients)",
          N(fr.pushes)});
  ft.Add({"recorded", N(static_cast<uint64_t>(rc.c2s)), N(static_cast<uint64_t>(rc.s2c)),
          N(static_cast<uint64_t>(rc.pushes))});
  printf("%s", ft.Text().c_str());
  printf(
      "  cassette: %s connections, %s control frames (close both ways: %s expected); "
      "joins ok %s of %s, heartbeat replies %s of %s; wsreplay record exit status %d\n",
      N(static_cast<uint64_t>(rc.connections)).c_str(),
      N(static_cast<uint64_t>(rc.control)).c_str(), N(2ull * static_cast<uint64_t>(n)).c_str(),
      N(fr.join_ok).c_str(), N(fr.joins_sent).c_str(), N(fr.heartbeat_replies).c_str(),
      N(fr.heartbeats_sent).c_str(), *rec_status);
  if (!fr.push_latency_ms.empty()) {
    printf(
        "  push delivery latency (upstream send -> client receive, through record): p50 %s ms, "
        "p99 %s ms, max %s ms\n",
        Fixed(Percentile(fr.push_latency_ms, 50), 3).c_str(),
        Fixed(Percentile(fr.push_latency_ms, 99), 3).c_str(),
        Fixed(Percentile(fr.push_latency_ms, 100), 3).c_str());
  }
  mr.established = fr.established;
  mr.connections = n;
  mr.refusal = fr.first_error;
  mr.lossless = fr.incomplete == 0 && fr.closed_unclean == 0 && fr.pushes == expected_pushes &&
                up_sent == fr.text_received && up_received == fr.text_sent &&
                static_cast<uint64_t>(rc.c2s) == fr.text_sent &&
                static_cast<uint64_t>(rc.s2c) == up_sent &&
                rc.connections == static_cast<int64_t>(fr.established);
  mr.loss_note = N(static_cast<uint64_t>(rc.c2s + rc.s2c)) + " recorded of " +
                 N(fr.text_sent + up_sent) + " sent; " + N(fr.pushes) + " of " +
                 N(expected_pushes) + " pushes delivered";
  PrintMeasured(mr);
  AddTargets(mr, summary);
  fflush(stdout);
  if (env.opt.scale_record_only) {
    printf("  replay not run (--scale-record-only)\n");
    return;
  }
  if (rc.connections < n) {
    try {
      int64_t added = TopUpRecording(cassette, n);
      printf(
          "  the recording has %s of %s connections: %s copies of recorded ones added, so "
          "replay serves %s\n",
          N(static_cast<uint64_t>(rc.connections)).c_str(), N(static_cast<uint64_t>(n)).c_str(),
          N(static_cast<uint64_t>(added)).c_str(), N(static_cast<uint64_t>(n)).c_str());
      rc = CountCassette(cassette);
    } catch (const std::exception& e) {
      printf("  cannot complete the recording for replay: %s\n", e.what());
    }
  }
  if (rc.connections < n) {
    Skip(summary, "replay: the recording has " + std::to_string(rc.connections) + " of " +
                      std::to_string(n) + " connections");
    return;
  }

  // ---------------------------------------------------------------- replay
  printf("\n  -- wsreplay replay --cassette %s --session scale --speed 1\n", cassette.c_str());
  fflush(stdout);
  const std::string rep_err = env.Tmp("scale-replay.stderr");
  auto rep = StartWsreplay(env,
                           {"replay", "--cassette", cassette, "--session", "scale", "--listen",
                            "127.0.0.1:0", "--speed", "1"},
                           rep_err, &url, &why);
  if (!rep) {
    Skip(summary, "replay: " + why);
    return;
  }
  pid_t rep_pid = rep->pid();
  cpu0 = CpuSeconds(rep_pid);
  int rep_port = std::stoi(url.substr(url.rfind(':') + 1));
  FleetPlan rplan = BasePlan(env, rep_port, static_cast<int>(rc.pushes / n));
  rplan.on_progress = [&](const FleetProgress& p) {
    printf("  replay  %5.0f s: %s open, %s pushes received, wsreplay RSS %s\n", p.elapsed_s,
           N(static_cast<uint64_t>(p.open)).c_str(), N(p.pushes).c_str(),
           Mib(ReadMemory(rep_pid).rss_kib).c_str());
    fflush(stdout);
  };
  FleetResult fp = RunPhoenixFleet(rplan);
  Measured mp;
  mp.what = "replay";
  mp.hwm_kib = ReadMemory(rep_pid).hwm_kib;
  mp.cpu_s = CpuSeconds(rep_pid) - cpu0;
  mp.run_s = fp.total_s;
  uint64_t delivered = 0, undelivered = 0, mismatches = 0, heartbeats = 0;
  std::vector<double> late_p99;
  double late_max = 0;
  if (auto body = HttpGet(rep_port, "/__wsreplay/report", 60000)) {
    try {
      auto j = nlohmann::json::parse(*body);
      undelivered = j.at("undelivered").get<uint64_t>();
      mismatches = j.at("mismatches").get<uint64_t>();
      for (auto& c : j.at("connections")) {
        delivered += c.value("delivered", 0ull);
        heartbeats += c.value("heartbeats_answered", 0ull);
        late_p99.push_back(c.at("lateness_ms").at("p99").get<double>());
        late_max = std::max(late_max, c.at("lateness_ms").at("max").get<double>());
      }
    } catch (const std::exception& e) {
      printf("  replayer's report unreadable: %s\n", e.what());
    }
  } else {
    printf("  GET /__wsreplay/report failed\n");
  }
  rep->Signal(SIGINT);
  auto rep_status = rep->Wait(std::chrono::seconds(180));
  if (!rep_status) rep_status = rep->Stop();
  mp.loop = ReadLoopStats(rep_err);
  PrintFleet("clients", fp, n);
  Table rt({"frames (text)", "client -> replayer", "replayer -> client", "pushes"});
  rt.Add({"recorded", N(static_cast<uint64_t>(rc.c2s)), N(static_cast<uint64_t>(rc.s2c)),
          N(static_cast<uint64_t>(rc.pushes))});
  rt.Add({"live", N(fp.text_sent) + " sent", N(fp.text_received) + " received",
          N(fp.pushes) + " received"});
  printf("%s", rt.Text().c_str());
  printf(
      "  joins ok %s of %s, heartbeat replies %s of %s; replayer's report: delivered %s, "
      "undelivered %s, mismatches %s, heartbeats answered %s, lateness p99 (median "
      "connection) %s ms, max %s ms; exit status %d\n",
      N(fp.join_ok).c_str(), N(fp.joins_sent).c_str(), N(fp.heartbeat_replies).c_str(),
      N(fp.heartbeats_sent).c_str(), N(delivered).c_str(), N(undelivered).c_str(),
      N(mismatches).c_str(), N(heartbeats).c_str(), Fixed(Percentile(late_p99, 50), 3).c_str(),
      Fixed(late_max, 3).c_str(), *rep_status);
  mp.established = fp.established;
  mp.connections = n;
  mp.refusal = fp.first_error;
  mp.lossless = fp.incomplete == 0 && fp.closed_unclean == 0 &&
                fp.pushes == static_cast<uint64_t>(rc.pushes) &&
                fp.join_ok == 2ull * static_cast<uint64_t>(fp.established) &&
                fp.heartbeat_replies == fp.heartbeats_sent && undelivered == 0 && mismatches == 0;
  mp.loss_note = N(fp.pushes) + " of " + N(static_cast<uint64_t>(rc.pushes)) +
                 " recorded pushes delivered; " + N(undelivered) + " undelivered, " +
                 N(mismatches) + " mismatches";
  PrintMeasured(mp);
  AddTargets(mp, summary);
  for (const char* suffix : {"", "-wal", "-shm"}) unlink((cassette + suffix).c_str());
  fflush(stdout);
}

}  // namespace wsr::bench
