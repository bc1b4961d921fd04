// Section "rss": peak memory of `wsreplay record` while it relays (and records) 1 GiB of
// 64 KiB messages each way, sampled at 25/50/75/100 % to show whether it grows with bytes
// relayed. The cassette is read back afterwards to check every message was recorded.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "bench/bench.h"
#include "bench/load_client.h"
#include "bench/proc_stats.h"
#include "bench/report.h"
#include "cassettes/cassette.h"

namespace wsr::bench {

void RunRssSection(const Env& env, Summary* summary) {
  const uint64_t total_bytes = env.opt.quick ? (16ull << 20) : (1ull << 30);
  const size_t size = 65536;
  const uint64_t messages = total_bytes / size;
  printf("\n== Memory: wsreplay record relaying %s MiB of 64 KiB messages (64 in flight) ==\n",
         Thousands(static_cast<double>(total_bytes >> 20)).c_str());
  fflush(stdout);
  std::string cassette = env.Tmp("rss.cassette");
  std::string url, why;
  auto proc = StartRecord(env, cassette, &url, &why);
  if (!proc) {
    printf("  skipped: %s\n", why.c_str());
    summary->skipped.push_back("rss: " + why);
    return;
  }
  pid_t pid = proc->pid();
  Memory start = ReadMemory(pid);
  std::vector<std::pair<int, Memory>> samples;
  int next_quarter = 1;
  LoadPlan plan;
  plan.url = url;
  plan.message_size = size;
  plan.in_flight = 64;
  plan.stop_after_messages = messages;
  plan.timeout_seconds = env.opt.quick ? 60 : 600;
  plan.on_message = [&](uint64_t bytes) {
    while (next_quarter <= 4 && bytes >= total_bytes * static_cast<uint64_t>(next_quarter) / 4) {
      samples.push_back({next_quarter * 25, ReadMemory(pid)});
      next_quarter++;
    }
  };
  auto t0 = std::chrono::steady_clock::now();
  LoadResult r = RunLoad(plan);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  proc->Signal(SIGINT);
  auto st = proc->Wait(std::chrono::seconds(120));
  if (!st) proc->Stop();
  if (r.established == 0 || samples.size() < 4) {
    std::string err = r.established == 0 ? r.error : "relayed only " + std::to_string(r.bytes >> 20) + " MiB";
    if (r.timed_out) err += " (timed out)";
    printf("  skipped: %s\n", err.c_str());
    summary->skipped.push_back("rss: " + err);
    return;
  }
  Table t({"relayed", "VmRSS", "VmHWM (peak)"});
  t.Add({"0 % (idle)", MiB(start.rss_kib), MiB(start.hwm_kib)});
  for (auto& [pct, m] : samples) t.Add({std::to_string(pct) + " %", MiB(m.rss_kib), MiB(m.hwm_kib)});
  printf("%s", t.Text().c_str());
  printf("  %s MiB each way in %s s (%s MiB/s); exit status after SIGINT: %s\n",
         Thousands(static_cast<double>(total_bytes >> 20)).c_str(), Fixed(secs, 1).c_str(),
         Fixed(static_cast<double>(total_bytes >> 20) / secs, 0).c_str(),
         st ? std::to_string(*st).c_str() : "killed (no exit)");
  try {
    auto c = cassette::Cassette::Open(cassette, cassette::Cassette::Mode::kReadOnly);
    int64_t frames = c->CountFrames({});
    printf("  cassette: %s frames (expected %s: every message both ways)\n",
           Thousands(static_cast<double>(frames)).c_str(), Thousands(2.0 * static_cast<double>(messages)).c_str());
  } catch (const std::exception& e) {
    printf("  cassette unreadable: %s\n", e.what());
  }
  unlink(cassette.c_str());
  unlink((cassette + "-wal").c_str());
  unlink((cassette + "-shm").c_str());
  // Flat: the peak at 100 % is within 10 % (or 8 MiB) of the peak at 25 %.
  int64_t q1 = samples[0].second.hwm_kib, q4 = samples[3].second.hwm_kib;
  summary->rss_flat = q4 <= q1 + std::max<int64_t>(q1 / 10, 8 * 1024);
  summary->rss_note = "peak " + MiB(q1) + " at 25 %, " + MiB(q4) + " at 100 %";
  fflush(stdout);
}

}  // namespace wsr::bench
