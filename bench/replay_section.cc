// Section "replay": `wsreplay replay` on cassettes generated here with the Cassette API:
// lateness at speed 1 (and drift from the first to the last frames), frames/s at --speed max
// to one client and to 100 clients at once, time from process start to the readiness line,
// and peak RSS while replaying a 1,000,000-frame cassette.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "bench/bench.h"
#include "bench/http_get.h"
#include "bench/load_client.h"
#include "bench/proc_stats.h"
#include "bench/report.h"
#include "cassettes/cassette.h"

namespace wsr::bench {
namespace {

constexpr int64_t kFirstFrameNs = 10'000'000;  // first frame 10 ms after the connection opened

struct CassetteSpec {
  int connections = 1;
  int64_t frames = 0;  // per connection
  int64_t spacing_ns = 0;
  size_t payload = 64;
};

// Server-to-client text frames only, no Phoenix framing: every frame is due at its offset.
void MakeCassette(const std::string& path, const CassetteSpec& spec) {
  unlink(path.c_str());
  auto c = cassette::Cassette::Open(path, cassette::Cassette::Mode::kCreate);
  c->Begin();
  cassette::Session s;
  s.name = "bench";
  s.upstream = "ws://127.0.0.1:9";
  s.started_at_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  s.source = "bench";
  s.tool_version = "bench";
  int64_t sid = c->InsertSession(s);
  int64_t end = 0;
  int64_t pending = 0;
  for (int k = 0; k < spec.connections; k++) {
    cassette::Connection conn;
    conn.session_id = sid;
    conn.ordinal = k + 1;
    conn.path = "/bench";
    conn.upstream_url = s.upstream + conn.path;
    conn.http_status = 101;
    conn.opened_ns = 0;
    conn.id = c->InsertConnection(conn);
    int64_t last = 0;
    for (int64_t i = 0; i < spec.frames; i++) {
      cassette::Frame f;
      f.connection_id = conn.id;
      f.seq = i + 1;
      f.offset_ns = kFirstFrameNs + i * spec.spacing_ns;
      f.direction = cassette::Direction::kServerToClient;
      f.opcode = 1;
      char head[48];
      snprintf(head, sizeof head, "bench frame %d/%09lld ", k, static_cast<long long>(i));
      f.payload = head;
      if (f.payload.size() < spec.payload) f.payload.append(spec.payload - f.payload.size(), '.');
      c->InsertFrame(f);
      last = f.offset_ns;
      if (++pending == 50'000) {
        c->Commit();
        c->Begin();
        pending = 0;
      }
    }
    conn.closed_ns = last + 1'000'000;
    conn.close_code = 1000;
    conn.close_initiator = "upstream";
    c->UpdateConnection(conn);
    end = std::max(end, *conn.closed_ns);
  }
  c->Commit();
  c->FinishSession(sid, end);
  c->Seal();
}

struct Replayer {
  std::unique_ptr<ChildProcess> process;
  std::string url;  // ws://HOST:PORT/bench
  double start_ms = 0;
};

std::optional<Replayer> StartReplay(const Env& env, const std::string& cassette,
                                    const std::vector<std::string>& extra, std::string* why) {
  if (access(env.opt.wsreplay.c_str(), X_OK) != 0) {
    *why = "wsreplay binary not found at " + env.opt.wsreplay + " (use --wsreplay PATH)";
    return std::nullopt;
  }
  std::vector<std::string> argv = {env.opt.wsreplay, "replay",   "--cassette",
                                   cassette,         "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  Replayer r;
  auto t0 = std::chrono::steady_clock::now();
  try {
    r.process = std::make_unique<ChildProcess>(argv, env.Tmp("replay.stderr"));
  } catch (const std::exception& e) {
    *why = e.what();
    return std::nullopt;
  }
  auto line = r.process->WaitForLine("listening on ", std::chrono::seconds(30));
  r.start_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!line) {
    r.process->Stop(std::chrono::seconds(2));
    std::string err = r.process->FirstErrorLine();
    *why = "`wsreplay replay` did not start" + (err.empty() ? std::string() : ": " + err);
    return std::nullopt;
  }
  r.url = *line + "/bench";
  return r;
}

int PortOf(const std::string& url) {
  size_t colon = url.rfind(':');
  return colon == std::string::npos ? 0 : std::atoi(url.c_str() + colon + 1);
}

// The replayer's own view (GET /__wsreplay/report) of its first connection: "" if unavailable.
std::string ReplayerView(const std::string& url) {
  auto body = HttpGet(PortOf(url), "/__wsreplay/report");
  if (!body) return "";
  try {
    auto j = nlohmann::json::parse(*body);
    const auto& c = j.at("connections").at(0);
    const auto& l = c.at("lateness_ms");
    return "delivered " + std::to_string(c.at("delivered").get<int64_t>()) + ", undelivered " +
           std::to_string(c.at("undelivered_count").get<int64_t>()) + ", lateness p50 " +
           Fixed(l.at("p50").get<double>(), 3) + " ms, p99 " + Fixed(l.at("p99").get<double>(), 3) +
           " ms, max " + Fixed(l.at("max").get<double>(), 3) + " ms";
  } catch (const std::exception&) {
    return "";
  }
}

void Skip(Summary* summary, const std::string& what, const std::string& why) {
  printf("  %s skipped: %s\n", what.c_str(), why.c_str());
  summary->skipped.push_back("replay " + what + ": " + why);
}

// Lateness at --speed 1 of the first `spec.frames` frames of the cassette at `path` (recorded
// `spec.spacing_ns` apart), measured at the client: arrival - (handshake done + offset). Adds
// the rows and the replayer's own view to `table`; returns the p99 in ms (nullopt: skipped).
std::optional<double> MeasureLateness(const Env& env, const std::string& path,
                                      const CassetteSpec& spec, const std::string& label,
                                      Table* table, Summary* summary) {
  std::string why;
  auto r = StartReplay(env, path, {"--speed", "1"}, &why);
  if (!r) {
    Skip(summary, "lateness" + label, why);
    return std::nullopt;
  }
  LoadPlan plan;
  plan.url = r->url;
  plan.stop_after_messages = static_cast<uint64_t>(spec.frames);
  plan.record_arrivals = true;
  plan.timeout_seconds = static_cast<double>(spec.frames * spec.spacing_ns) / 1e9 + 30;
  LoadResult res = RunLoad(plan);
  std::string view = ReplayerView(r->url);
  r->process->Stop();
  if (res.arrivals_ns.size() != static_cast<size_t>(spec.frames)) {
    Skip(summary, "lateness" + label,
         "received " + std::to_string(res.arrivals_ns.size()) + " of " +
             std::to_string(spec.frames) + " frames" +
             (res.error.empty() ? "" : " (" + res.error + ")"));
    return std::nullopt;
  }
  std::vector<double> late_ms;
  for (size_t i = 0; i < res.arrivals_ns.size(); i++) {
    int64_t due = res.established_ns + kFirstFrameNs + static_cast<int64_t>(i) * spec.spacing_ns;
    late_ms.push_back(static_cast<double>(res.arrivals_ns[i] - due) / 1e6);
  }
  std::vector<double> first(late_ms.begin(), late_ms.begin() + 100);
  std::vector<double> last(late_ms.end() - 100, late_ms.end());
  double p99 = Percentile(late_ms, 99);
  table->Add({"lateness at speed 1" + label,
              "p50 " + Fixed(Percentile(late_ms, 50), 3) + " ms, p99 " + Fixed(p99, 3) +
                  " ms, max " + Fixed(Percentile(late_ms, 100), 3) + " ms",
              std::to_string(spec.frames) + " frames every " +
                  Fixed(static_cast<double>(spec.spacing_ns) / 1e6, 1) +
                  " ms; arrival - (client handshake done + offset); first frame " +
                  Fixed(late_ms.front(), 3) + " ms"});
  if (label.empty()) {
    double drift = Percentile(last, 50) - Percentile(first, 50);
    summary->replay_drift_ms = drift;
    table->Add({"drift (p50 last 100 - first 100)", Fixed(drift, 3) + " ms",
                "first 100: p50 " + Fixed(Percentile(first, 50), 3) + " ms; last 100: p50 " +
                    Fixed(Percentile(last, 50), 3) + " ms"});
  }
  if (!view.empty()) table->Add({"  replayer's own report", view, "GET /__wsreplay/report"});
  return p99;
}

struct SpeedMax {
  double fps = 0;
  double rss_mib = 0;  // the replayer's VmHWM at the end
};

// `wsreplay replay --speed max` of the one-connection cassette at `path` to one client:
// frames/s from the handshake to the last frame, and the replayer's peak RSS.
std::optional<SpeedMax> MeasureSpeedMax(const Env& env, const std::string& path,
                                        const CassetteSpec& spec, Table* table, Summary* summary) {
  std::string what = "speed max (1 client, " + Thousands(static_cast<double>(spec.frames)) + ")";
  std::string why;
  auto r = StartReplay(env, path, {"--speed", "max"}, &why);
  if (!r) {
    Skip(summary, what, why);
    return std::nullopt;
  }
  pid_t pid = r->process->pid();
  Memory idle = ReadMemory(pid);
  int64_t peak_rss = idle.rss_kib;
  uint64_t count = 0;
  LoadPlan plan;
  plan.url = r->url;
  plan.stop_after_messages = static_cast<uint64_t>(spec.frames);
  plan.timeout_seconds = env.opt.quick ? 60 : 120 + static_cast<double>(spec.frames) / 50'000;
  plan.on_message = [&](uint64_t) {
    if (++count % 20'000 == 0) peak_rss = std::max(peak_rss, ReadMemory(pid).rss_kib);
  };
  double cpu0 = CpuSeconds(pid), client0 = CpuSeconds(getpid());
  LoadResult res = RunLoad(plan);
  double cpu_s = CpuSeconds(pid) - cpu0, client_s = CpuSeconds(getpid()) - client0;
  Memory after = ReadMemory(pid);
  std::string view = ReplayerView(r->url);
  r->process->Stop();
  if (res.messages != static_cast<uint64_t>(spec.frames)) {
    Skip(summary, what,
         "received " + std::to_string(res.messages) + " of " + std::to_string(spec.frames) +
             " frames" + (res.timed_out ? " (timed out)" : ""));
    return std::nullopt;
  }
  SpeedMax m;
  m.fps = res.MessagesPerSecond();
  m.rss_mib = static_cast<double>(after.hwm_kib) / 1024.0;
  table->Add({"speed max, 1 client", Thousands(m.fps) + " frames/s",
              Thousands(static_cast<double>(spec.frames)) + " frames of 64 B in " +
                  Fixed(res.window_seconds, 2) + " s; replayer CPU " +
                  Fixed(cpu_s * 1e6 / static_cast<double>(spec.frames), 2) +
                  " us per frame (client " +
                  Fixed(client_s * 1e6 / static_cast<double>(spec.frames), 2) + " us)"});
  table->Add(
      {"peak RSS replaying " + Thousands(static_cast<double>(spec.frames)) + " frames",
       MiB(after.hwm_kib),
       "VmHWM; idle after start " + MiB(idle.rss_kib) + ", largest VmRSS sample " + MiB(peak_rss)});
  if (!view.empty()) table->Add({"  replayer's own report", view, "GET /__wsreplay/report"});
  return m;
}

}  // namespace

void RunReplaySection(const Env& env, Summary* summary) {
  const bool quick = env.opt.quick;
  printf("\n== Replay: wsreplay replay on generated cassettes ==\n");
  fflush(stdout);

  CassetteSpec timing{1, quick ? 200 : 1000, quick ? 500'000 : 3'000'000, 64};
  CassetteSpec big{1, quick ? 2'000 : 1'000'000, 1000, 64};
  CassetteSpec fan{100, quick ? 5 : 1000, 1000, 64};
  // The same schedule as `timing`, but the connection has 1,000,000 frames (the client stops
  // after the first 1,000).
  CassetteSpec timing_long{1, quick ? 20'000 : 1'000'000, timing.spacing_ns, 64};
  std::string timing_path = env.Tmp("timing.cassette"), big_path = env.Tmp("big.cassette"),
              fan_path = env.Tmp("fanout.cassette"), long_path = env.Tmp("timing-long.cassette");
  try {
    auto t0 = std::chrono::steady_clock::now();
    MakeCassette(timing_path, timing);
    MakeCassette(long_path, timing_long);
    MakeCassette(big_path, big);
    MakeCassette(fan_path, fan);
    printf("  generated cassettes in %s s\n",
           Fixed(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1)
               .c_str());
  } catch (const std::exception& e) {
    Skip(summary, "section", std::string("cannot generate cassettes: ") + e.what());
    return;
  }
  Table table({"measurement", "result", "detail"});

  // 1. Start-up time (median of N starts).
  {
    int n = quick ? 2 : 20;
    std::vector<double> ms;
    std::string why;
    for (int i = 0; i < n; i++) {
      auto r = StartReplay(env, timing_path, {}, &why);
      if (!r) break;
      ms.push_back(r->start_ms);
      r->process->Stop();
    }
    if (ms.size() < static_cast<size_t>(n)) {
      Skip(summary, "start-up", why);
      printf("  (the other replay measurements need it too)\n");
      return;
    }
    double median = Percentile(ms, 50);
    summary->replay_start_ms = median;
    table.Add({"start to readiness line", Fixed(median, 1) + " ms median",
               std::to_string(n) + " starts, min " +
                   Fixed(*std::min_element(ms.begin(), ms.end()), 1) + " ms, max " +
                   Fixed(*std::max_element(ms.begin(), ms.end()), 1) + " ms"});
  }

  // 2. Lateness at speed 1, on a 1,000-frame connection and over the first 1,000 frames of a
  // 1,000,000-frame one (building a replayer must not shift the schedule).
  if (auto p99 = MeasureLateness(env, timing_path, timing, "", &table, summary)) {
    summary->replay_p99_ms = p99;
  }
  if (auto p99 = MeasureLateness(env, long_path, timing, " (1,000,000-frame connection)", &table,
                                 summary)) {
    summary->replay_p99_big_ms = p99;
  }

  // 3. Speed max, one client, the big cassette; peak RSS too.
  if (auto m = MeasureSpeedMax(env, big_path, big, &table, summary)) {
    summary->replay_fps_one = m->fps;
    summary->replay_rss_mib = m->rss_mib;
  }
  if (env.opt.replay_10m) {
    CassetteSpec huge{1, quick ? 20'000 : 10'000'000, 1000, 64};
    std::string huge_path = env.Tmp("huge.cassette");
    try {
      auto t0 = std::chrono::steady_clock::now();
      MakeCassette(huge_path, huge);
      printf("  generated the %s-frame cassette in %s s\n",
             Thousands(static_cast<double>(huge.frames)).c_str(),
             Fixed(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1)
                 .c_str());
      if (auto m = MeasureSpeedMax(env, huge_path, huge, &table, summary)) {
        summary->replay_fps_10m = m->fps;
        summary->replay_rss_10m_mib = m->rss_mib;
      }
    } catch (const std::exception& e) {
      Skip(summary, "speed max (10,000,000 frames)", std::string("cannot generate: ") + e.what());
    }
    unlink(huge_path.c_str());
  }

  // 4. Speed max, 100 clients at once.
  {
    std::string why;
    auto r = StartReplay(env, fan_path, {"--speed", "max"}, &why);
    if (!r) {
      Skip(summary, "speed max (100 clients)", why);
    } else {
      LoadPlan plan;
      plan.url = r->url;
      plan.connections = fan.connections;
      plan.stop_after_messages = static_cast<uint64_t>(fan.frames);
      plan.timeout_seconds = quick ? 60 : 120;
      double cpu0 = CpuSeconds(r->process->pid());
      LoadResult res = RunLoad(plan);
      double cpu_s = CpuSeconds(r->process->pid()) - cpu0;
      r->process->Stop();
      uint64_t expected =
          static_cast<uint64_t>(fan.frames) * static_cast<uint64_t>(fan.connections);
      if (res.messages != expected) {
        Skip(summary, "speed max (100 clients)",
             "received " + std::to_string(res.messages) + " of " + std::to_string(expected) +
                 " frames on " + std::to_string(res.established) + " connections" +
                 (res.error.empty() ? "" : " (" + res.error + ")"));
      } else {
        summary->replay_fps_many = res.MessagesPerSecond();
        table.Add({"speed max, 100 clients", Thousands(res.MessagesPerSecond()) + " frames/s",
                   "100 connections x " + Thousands(static_cast<double>(fan.frames)) +
                       " frames in " + Fixed(res.window_seconds, 2) +
                       " s (all clients); replayer CPU " +
                       Fixed(cpu_s * 1e6 / static_cast<double>(expected), 2) + " us per frame"});
      }
    }
  }
  if (!table.empty()) printf("%s", table.Text().c_str());
  for (auto& p : {timing_path, long_path, big_path, fan_path}) unlink(p.c_str());
  fflush(stdout);
}

}  // namespace wsr::bench
