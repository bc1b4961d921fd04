// Section "relay": messages/s (pipelined, 64 in flight) and round-trip latency (one in
// flight) for 64 B, 4 KiB and 64 KiB messages: direct to the echo server, through
// `wsreplay record`, nginx and mitmdump. CPU of generator, echo and relay is shown so a
// saturated generator or echo cannot pass unnoticed.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <functional>

#include "bench/bench.h"
#include "bench/load_client.h"
#include "bench/proc_stats.h"
#include "bench/report.h"
#include "cassettes/cassette.h"

namespace wsr::bench {

std::unique_ptr<ChildProcess> StartRecord(const Env& env, const std::string& cassette,
                                          std::string* url, std::string* why) {
  if (access(env.opt.wsreplay.c_str(), X_OK) != 0) {
    *why = "wsreplay binary not found at " + env.opt.wsreplay + " (use --wsreplay PATH)";
    return nullptr;
  }
  std::unique_ptr<ChildProcess> p;
  try {
    p = std::make_unique<ChildProcess>(
        std::vector<std::string>{env.opt.wsreplay, "record", "--upstream", env.echo_url,
                                 "--cassette", cassette, "--listen", "127.0.0.1:0"},
        cassette + ".stderr");
  } catch (const std::exception& e) {
    *why = e.what();
    return nullptr;
  }
  auto line = p->WaitForLine("listening on ", std::chrono::seconds(15));
  if (!line) {
    p->Stop(std::chrono::seconds(2));
    std::string err = p->FirstErrorLine();
    *why = "`wsreplay record` did not start" + (err.empty() ? std::string() : ": " + err);
    return nullptr;
  }
  *url = *line;
  return p;
}

namespace {

std::string SizeName(size_t size) {
  if (size >= 1024) return std::to_string(size / 1024) + " KiB";
  return std::to_string(size) + " B";
}

struct Measured {
  RelayFigures fig;
  std::string error;
};

Measured MeasureOne(const Env& env, const std::string& url, size_t size, pid_t proxy_pid) {
  Measured m;
  double warmup = env.opt.quick ? 0.05 : 0.3;
  LoadPlan thr;
  thr.url = url;
  thr.message_size = size;
  thr.in_flight = 64;
  thr.warmup_seconds = warmup;
  thr.seconds = env.opt.seconds;
  thr.timeout_seconds = env.opt.seconds + warmup + 30;
  CpuMeter gen(getpid()), echo(env.echo_pid);
  std::optional<CpuMeter> proxy;
  if (proxy_pid > 0) proxy.emplace(proxy_pid, true);
  LoadResult r = RunLoad(thr);
  m.fig.gen_cpu = gen.Percent();
  m.fig.echo_cpu = echo.Percent();
  m.fig.gen_wait = gen.WaitPercent();
  m.fig.echo_wait = echo.WaitPercent();
  if (proxy) {
    m.fig.proxy_cpu = proxy->Percent();
    m.fig.proxy_wait = proxy->WaitPercent();
  }
  if (r.established == 0) {
    m.error = r.error.empty() ? "no connection" : r.error;
    return m;
  }
  m.fig.msgs_per_s = r.MessagesPerSecond();

  LoadPlan lat = thr;
  lat.in_flight = 1;
  lat.record_rtt = true;
  LoadResult l = RunLoad(lat);
  if (l.established == 0) {
    m.error = l.error.empty() ? "no connection" : l.error;
    return m;
  }
  m.fig.p50_us = Percentile(l.rtt_us, 50);
  m.fig.p99_us = Percentile(l.rtt_us, 99);
  return m;
}

void MeasureTarget(const Env& env, RelayTarget* target, const std::string& url, pid_t proxy_pid,
                   const RelayTarget* direct) {
  for (size_t size : kSizes) {
    Measured m = MeasureOne(env, url, size, proxy_pid);
    if (!m.error.empty()) {
      target->unavailable = "failed at " + SizeName(size) + ": " + m.error;
      return;
    }
    if (direct != nullptr && direct->by_size.count(size) &&
        direct->by_size.at(size).msgs_per_s > 0) {
      m.fig.ratio = m.fig.msgs_per_s / direct->by_size.at(size).msgs_per_s;
    } else {
      m.fig.ratio = 1.0;
    }
    target->by_size[size] = m.fig;
    fprintf(stderr, "bench: %-16s %6s  %12s msgs/s  p50 %.0f us  p99 %.0f us\n",
            target->name.c_str(), SizeName(size).c_str(), Thousands(m.fig.msgs_per_s).c_str(),
            m.fig.p50_us, m.fig.p99_us);
  }
  if (proxy_pid > 0) target->rss_after_kib = ReadTreeMemory(proxy_pid).rss_kib;
}

}  // namespace

void RunRelaySection(const Env& env, Summary* summary) {
  printf(
      "\n== Relay: throughput (64 in flight) and round-trip latency (1 in flight), %s s each ==\n",
      Fixed(env.opt.seconds, 1).c_str());
  fflush(stdout);
  summary->relays.clear();
  summary->relays.reserve(4);  // `base` points into it

  RelayTarget direct{"direct", "", {}, -1};
  MeasureTarget(env, &direct, env.echo_url, -1, nullptr);
  summary->relays.push_back(direct);
  const RelayTarget* base = direct.unavailable.empty() ? &summary->relays[0] : nullptr;

  // wsreplay record
  {
    RelayTarget t{"wsreplay record", "", {}, -1};
    std::string url, why;
    std::string cassette = env.Tmp("relay.cassette");
    auto proc = StartRecord(env, cassette, &url, &why);
    if (!proc) {
      t.unavailable = "skipped: " + why;
    } else {
      MeasureTarget(env, &t, url, proc->pid(), base);
      proc->Signal(SIGINT);
      auto st = proc->Wait(std::chrono::seconds(60));
      if (!st) {
        proc->Stop();
        t.unavailable +=
            (t.unavailable.empty() ? "" : "; ") + std::string("did not exit 60 s after SIGINT");
      } else if (*st != 0) {
        printf("  note: wsreplay record exited with status %d after SIGINT\n", *st);
      }
      try {
        auto c = cassette::Cassette::Open(cassette, cassette::Cassette::Mode::kReadOnly);
        struct stat sb {};
        stat(cassette.c_str(), &sb);
        printf("  wsreplay record wrote %s frames (%s MiB) to its cassette\n",
               Thousands(static_cast<double>(c->CountFrames({}))).c_str(),
               Fixed(static_cast<double>(sb.st_size) / 1048576.0, 0).c_str());
      } catch (const std::exception& e) {
        printf("  note: cannot read the cassette wsreplay record wrote: %s\n", e.what());
      }
      unlink(cassette.c_str());
      unlink((cassette + "-wal").c_str());
      unlink((cassette + "-shm").c_str());
    }
    summary->relays.push_back(t);
  }

  using Starter = std::function<std::optional<Peer>(const Env&, std::string*)>;
  std::vector<std::pair<std::string, Starter>> peers = {{"nginx", StartNginx},
                                                        {"mitmdump -w", StartMitmdump}};
  for (auto& [name, start] : peers) {
    RelayTarget t{name, "", {}, -1};
    std::string key = name == "nginx" ? "nginx" : "mitmdump";
    if (!env.opt.peers.count(key)) {
      t.unavailable = "not measured (--peers)";
    } else {
      std::string why;
      auto peer = start(env, &why);
      if (!peer) {
        t.unavailable = why;
      } else {
        MeasureTarget(env, &t, peer->url, peer->process->pid(), base);
        peer->process->Stop();
      }
    }
    summary->relays.push_back(t);
  }

  Table table({"relay", "size", "msgs/s", "MiB/s", "vs direct", "RTT p50", "RTT p99", "added p50",
               "relay CPU/msg", "CPU gen/echo/relay", "CPU wait gen/echo/relay"});
  for (auto& t : summary->relays) {
    for (size_t size : kSizes) {
      if (!t.by_size.count(size)) continue;
      const RelayFigures& f = t.by_size.at(size);
      std::string added = "-";
      if (base != nullptr && base->by_size.count(size) && &t != base) {
        added = Fixed(f.p50_us - base->by_size.at(size).p50_us, 0) + " us";
      }
      std::string per_msg = f.proxy_us_per_msg() < 0 ? "-" : Fixed(f.proxy_us_per_msg(), 1) + " us";
      if (base != nullptr && base->by_size.count(size) && f.proxy_us_per_msg() >= 0) {
        // Side by side with nginx at the same size, when it was measured.
        for (const auto& other : summary->relays) {
          if (other.name == "nginx" && &other != &t && other.by_size.count(size) &&
              other.by_size.at(size).proxy_us_per_msg() > 0) {
            per_msg += " (" +
                       Fixed(f.proxy_us_per_msg() / other.by_size.at(size).proxy_us_per_msg(), 2) +
                       "x nginx)";
          }
        }
      }
      table.Add({t.name, SizeName(size), Thousands(f.msgs_per_s),
                 Fixed(f.msgs_per_s * static_cast<double>(size) / 1048576.0, 1),
                 Fixed(f.ratio, 2) + "x", Fixed(f.p50_us, 0) + " us", Fixed(f.p99_us, 0) + " us",
                 added, per_msg,
                 Fixed(f.gen_cpu, 0) + "/" + Fixed(f.echo_cpu, 0) + "/" +
                     (f.proxy_cpu < 0 ? "-" : Fixed(f.proxy_cpu, 0)) + " %",
                 Fixed(f.gen_wait, 0) + "/" + Fixed(f.echo_wait, 0) + "/" +
                     (f.proxy_wait < 0 ? "-" : Fixed(f.proxy_wait, 0)) + " %"});
    }
  }
  printf("%s", table.Text().c_str());
  for (auto& t : summary->relays) {
    if (!t.unavailable.empty()) printf("  %s: %s\n", t.name.c_str(), t.unavailable.c_str());
  }
  for (auto& t : summary->relays) {
    if (t.rss_after_kib >= 0)
      printf("  %s RSS after the runs: %s\n", t.name.c_str(), MiB(t.rss_after_kib).c_str());
  }
  printf(
      "  (relay CPU/msg: the relay process's CPU time, all threads, per echoed message (one frame\n"
      "   each way) in the throughput run, warm-up included: what relaying costs, independent of\n"
      "   how the 2 cores are shared with the load generator and the echo server.\n"
      "   CPU: %% of one core used during the throughput run; CPU wait: %% of that time the\n"
      "   process was runnable but waiting for a core -- high values mean other load on the\n"
      "   machine distorted the figure. The machine has %ld cores.)\n",
      sysconf(_SC_NPROCESSORS_ONLN));
  fflush(stdout);
}

}  // namespace wsr::bench
