// Section "rss": peak memory of `wsreplay record` while it relays (and records) 1 GiB of
// 64 KiB messages each way, sampled at 25/50/75/100 % to show whether it grows with bytes
// relayed. The cassette is read back afterwards to check every message was recorded.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "bench/bench.h"
#include "bench/load_client.h"
#include "bench/proc_stats.h"
#include "bench/report.h"
#include "cassettes/cassette.h"

namespace wsr::bench {

void RunRssSection(const Env& env, Summary* summary) {
  const uint64_t total_bytes = env.opt.quick ? (4ull << 20) : (1ull << 30);
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
  int64_t quarter_peak[4] = {0, 0, 0, 0};  // largest VmRSS seen within each quarter
  uint64_t seen = 0;
  int next_quarter = 1;
  LoadPlan plan;
  plan.url = url;
  plan.message_size = size;
  plan.in_flight = 64;
  plan.stop_after_messages = messages;
  plan.timeout_seconds = env.opt.quick ? 60 : 600;
  plan.on_message = [&](uint64_t bytes) {
    if (++seen % 16 == 0) {  // every 1 MiB
      int q = static_cast<int>(std::min<uint64_t>(3, bytes * 4 / total_bytes));
      quarter_peak[q] = std::max(quarter_peak[q], ReadMemory(pid).rss_kib);
    }
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
    std::string err =
        r.established == 0 ? r.error : "relayed only " + std::to_string(r.bytes >> 20) + " MiB";
    if (r.timed_out) err += " (timed out)";
    printf("  skipped: %s\n", err.c_str());
    summary->skipped.push_back("rss: " + err);
    return;
  }
  Table t({"relayed", "VmRSS", "VmHWM (peak so far)", "largest VmRSS in the quarter before"});
  t.Add({"0 % (idle)", MiB(start.rss_kib), MiB(start.hwm_kib), "-"});
  for (size_t i = 0; i < samples.size(); i++) {
    auto& [pct, m] = samples[i];
    quarter_peak[i] = std::max(quarter_peak[i], m.rss_kib);
    t.Add({std::to_string(pct) + " %", MiB(m.rss_kib), MiB(m.hwm_kib), MiB(quarter_peak[i])});
  }
  printf("%s", t.Text().c_str());
  printf("  %s MiB each way in %s s (%s MiB/s); exit status after SIGINT: %s\n",
         Thousands(static_cast<double>(total_bytes >> 20)).c_str(), Fixed(secs, 1).c_str(),
         Fixed(static_cast<double>(total_bytes >> 20) / secs, 0).c_str(),
         st ? std::to_string(*st).c_str() : "killed (no exit)");
  try {
    auto c = cassette::Cassette::Open(cassette, cassette::Cassette::Mode::kReadOnly);
    int64_t frames = c->CountFrames({});
    printf("  cassette: %s frames (expected %s: every message both ways)\n",
           Thousands(static_cast<double>(frames)).c_str(),
           Thousands(2.0 * static_cast<double>(messages)).c_str());
  } catch (const std::exception& e) {
    printf("  cassette unreadable: %s\n", e.what());
  }
  unlink(cassette.c_str());
  unlink((cassette + "-wal").c_str());
  unlink((cassette + "-shm").c_str());
  // Flat: the largest RSS of the second half is within 10 % (or 8 MiB) of the first half's.
  // (The recorder's queue is bounded, by default 8 MiB, and may fill whenever the disk is
  // slower than the relay; a process that keeps what it relays grows quarter after quarter.)
  int64_t first = std::max(quarter_peak[0], quarter_peak[1]);
  int64_t second = std::max(quarter_peak[2], quarter_peak[3]);
  summary->rss_flat = second <= first + std::max<int64_t>(first / 10, 8 * 1024);
  summary->rss_note = "largest RSS " + MiB(first) + " in the first half, " + MiB(second) +
                      " in the second; peak " + MiB(samples[3].second.hwm_kib);
  fflush(stdout);
}

}  // namespace wsr::bench
