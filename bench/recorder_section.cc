// Section "recorder": how many frames per second CassetteWriter commits, driven directly
// (no sockets): N small Phoenix frames enqueued as fast as the writer lets a relay go (the
// producer pauses when AddFrame returns false, until the drained callback), then Stop(); the
// cassette is read back to check every frame is there. CPU: the bench process's (producer and
// writer threads; nothing else runs in it meanwhile), steadier than frames/s on a busy machine.
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>

#include "bench/bench.h"
#include "bench/report.h"
#include "cassettes/cassette.h"
#include "cassettes/writer.h"

namespace wsr::bench {

void RunRecorderSection(const Env& env, Summary* summary) {
  const int64_t n = env.opt.quick ? 5'000 : 1'000'000;
  printf("\n== Recorder: CassetteWriter commit rate, %s frames of ~60 B ==\n",
         Thousands(static_cast<double>(n)).c_str());
  fflush(stdout);
  std::string path = env.Tmp("writer.cassette");
  using SteadyClock = std::chrono::steady_clock;
  double enqueue_s = 0, total_s = 0, cpu_s = 0;
  auto process_cpu_s = [] {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
  };
  cassette::CassetteWriter::Stats stats;
  int64_t read_back = -1;
  try {
    cassette::Session session;
    session.name = "bench";
    session.upstream = "ws://bench.invalid";
    session.started_at_ns = 0;
    cassette::CassetteWriter writer(path, session);
    std::mutex mu;
    std::condition_variable drained_cv;
    bool drained = false;
    writer.SetDrainedCallback([&] {
      std::lock_guard<std::mutex> lock(mu);
      drained = true;
      drained_cv.notify_one();
    });
    cassette::Connection conn;
    conn.ordinal = 1;
    conn.path = "/socket/websocket";
    conn.upstream_url = session.upstream + conn.path;
    conn.http_status = 101;
    writer.OpenConnection(conn);
    auto t0 = SteadyClock::now();
    const double cpu0 = process_cpu_s();
    for (int64_t i = 0; i < n; i++) {
      cassette::Frame f;
      f.connection_id = 1;
      f.seq = i + 1;
      f.offset_ns = i * 1000;
      f.direction = (i % 2 == 0) ? cassette::Direction::kServerToClient
                                 : cassette::Direction::kClientToServer;
      f.opcode = 1;
      f.payload = "[null,null,\"room:42\",\"message_created\",{\"n\":" + std::to_string(i) + "}]";
      if (!writer.AddFrame(std::move(f))) {  // what a relay does: pause until drained
        std::unique_lock<std::mutex> lock(mu);
        drained_cv.wait(lock, [&] { return drained || writer.failed(); });
        drained = false;
      }
    }
    auto t1 = SteadyClock::now();
    bool ok = writer.Stop(n * 1000);
    auto t2 = SteadyClock::now();
    cpu_s = process_cpu_s() - cpu0;
    enqueue_s = std::chrono::duration<double>(t1 - t0).count();
    total_s = std::chrono::duration<double>(t2 - t0).count();
    stats = writer.stats();
    if (!ok) {
      printf("  skipped: CassetteWriter failed: %s\n", writer.error().c_str());
      summary->skipped.push_back("recorder: " + writer.error());
      return;
    }
    auto c = cassette::Cassette::Open(path, cassette::Cassette::Mode::kReadOnly);
    read_back = c->CountFrames({.include_control = true});
  } catch (const std::exception& e) {
    printf("  skipped: %s\n", e.what());
    summary->skipped.push_back(std::string("recorder: ") + e.what());
    return;
  }
  unlink(path.c_str());
  double fps = static_cast<double>(n) / total_s;
  summary->recorder_fps = fps;
  Table t({"frames", "enqueue", "enqueue+commit", "committed frames/s", "CPU per frame",
           "transactions", "read back"});
  t.Add({Thousands(static_cast<double>(n)), Fixed(enqueue_s, 2) + " s", Fixed(total_s, 2) + " s",
         Thousands(fps), Fixed(cpu_s * 1e6 / static_cast<double>(n), 2) + " us",
         Thousands(static_cast<double>(stats.transactions)),
         Thousands(static_cast<double>(read_back)) +
             (read_back == n ? " (all)" : " (MISSING FRAMES)")});
  printf("%s", t.Text().c_str());
  if (read_back != n)
    summary->skipped.push_back("recorder: read back " + std::to_string(read_back) + " of " +
                               std::to_string(n) + " frames");
  fflush(stdout);
}

}  // namespace wsr::bench
