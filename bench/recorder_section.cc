// Section "recorder": how many frames per second CassetteWriter commits, driven directly
// (no sockets), at three frame sizes (~60 B: the 500,000 frames/s target; 4 KiB and 64 KiB: the
// relay section's sizes, to show what recording alone costs there): N Phoenix frames enqueued as
// fast as the writer lets a relay go (the producer pauses when AddFrame returns false, until the
// drained callback), then Stop(); the cassette is read back to check every frame is there. CPU: the
// bench process's (producer and writer threads; nothing else runs in it meanwhile), steadier than
// frames/s on a busy machine.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

#include "bench/bench.h"
#include "bench/report.h"
#include "cassettes/cassette.h"
#include "cassettes/writer.h"

namespace wsr::bench {
namespace {

struct RecorderRun {
  int64_t frames = 0;
  size_t size = 0;  // payload bytes per frame
  double enqueue_s = 0, total_s = 0, cpu_s = 0;
  cassette::CassetteWriter::Stats stats;
  int64_t read_back = -1;
  std::string error;  // empty when it ran
};

double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// A Phoenix push of `size` bytes (at least the ~60 bytes of its fixed part): the writer parses
// its columns as it does a real one.
std::string PushOfSize(int64_t i, size_t size) {
  static const std::string kFill = [] {
    std::string f(1 << 16, ' ');
    for (size_t k = 0; k < f.size(); ++k) f[k] = static_cast<char>('a' + k % 26);
    return f;
  }();
  std::string p = "[null,null,\"room:42\",\"message_created\",{\"n\":" + std::to_string(i);
  const std::string_view tail = "}]";
  if (p.size() + tail.size() + 10 < size) {
    p.reserve(size);
    p += ",\"text\":\"";
    p.append(kFill, 0, std::min(kFill.size(), size - p.size() - tail.size() - 1));
    p += '"';
  }
  p += tail;
  return p;
}

RecorderRun Measure(const Env& env, int64_t n, size_t size) {
  RecorderRun r;
  r.frames = n;
  r.size = size;
  std::string path = env.Tmp("writer.cassette");
  using SteadyClock = std::chrono::steady_clock;
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
    const double cpu0 = ProcessCpuSeconds();
    for (int64_t i = 0; i < n; i++) {
      cassette::Frame f;
      f.connection_id = 1;
      f.seq = i + 1;
      f.offset_ns = i * 1000;
      f.direction = (i % 2 == 0) ? cassette::Direction::kServerToClient
                                 : cassette::Direction::kClientToServer;
      f.opcode = 1;
      f.payload = PushOfSize(i, size);
      if (!writer.AddFrame(std::move(f))) {  // what a relay does: pause until drained
        std::unique_lock<std::mutex> lock(mu);
        drained_cv.wait(lock, [&] { return drained || writer.failed(); });
        drained = false;
      }
    }
    auto t1 = SteadyClock::now();
    bool ok = writer.Stop(n * 1000);
    auto t2 = SteadyClock::now();
    r.cpu_s = ProcessCpuSeconds() - cpu0;
    r.enqueue_s = std::chrono::duration<double>(t1 - t0).count();
    r.total_s = std::chrono::duration<double>(t2 - t0).count();
    r.stats = writer.stats();
    if (!ok) {
      r.error = "CassetteWriter failed: " + writer.error();
    } else {
      auto c = cassette::Cassette::Open(path, cassette::Cassette::Mode::kReadOnly);
      r.read_back = c->CountFrames({.include_control = true});
    }
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  for (const char* suffix : {"", "-wal", "-shm"}) unlink((path + suffix).c_str());
  return r;
}

}  // namespace

void RunRecorderSection(const Env& env, Summary* summary) {
  // The target's row (~60 B, as most Phoenix pushes), then the relay section's two larger sizes:
  // what recording alone costs per frame there, to set beside a relay's CPU per message (two
  // frames each).
  const bool quick = env.opt.quick;
  const struct {
    int64_t frames;
    size_t size;
  } runs[] = {
      {quick ? 5'000 : 1'000'000, 64}, {quick ? 500 : 100'000, 4096}, {quick ? 50 : 8'000, 65536}};
  printf("\n== Recorder: CassetteWriter commit rate by frame size (no sockets) ==\n");
  fflush(stdout);
  Table t({"frame", "frames", "enqueue", "enqueue+commit", "committed frames/s", "MiB/s",
           "CPU per frame", "transactions", "read back"});
  for (const auto& run : runs) {
    RecorderRun r = Measure(env, run.frames, run.size);
    const std::string name = run.size >= 1024 ? std::to_string(run.size / 1024) + " KiB"
                                              : std::to_string(run.size) + " B";
    if (!r.error.empty()) {
      printf("  %s: skipped: %s\n", name.c_str(), r.error.c_str());
      summary->skipped.push_back("recorder (" + name + "): " + r.error);
      continue;
    }
    const double fps = static_cast<double>(r.frames) / r.total_s;
    if (run.size == 64) summary->recorder_fps = fps;
    t.Add({name, Thousands(static_cast<double>(r.frames)), Fixed(r.enqueue_s, 2) + " s",
           Fixed(r.total_s, 2) + " s", Thousands(fps),
           Fixed(fps * static_cast<double>(run.size) / 1048576.0, 1),
           Fixed(r.cpu_s * 1e6 / static_cast<double>(r.frames), 2) + " us",
           Thousands(static_cast<double>(r.stats.transactions)),
           Thousands(static_cast<double>(r.read_back)) +
               (r.read_back == r.frames ? " (all)" : " (MISSING FRAMES)")});
    if (r.read_back != r.frames) {
      summary->skipped.push_back("recorder (" + name + "): read back " +
                                 std::to_string(r.read_back) + " of " + std::to_string(r.frames) +
                                 " frames");
    }
  }
  printf("%s", t.Text().c_str());
  printf(
      "  (CPU per frame: the bench process's CPU, all threads -- the producer, the writer and\n"
      "   its checkpointer -- over enqueue and commit. A relayed message is two frames, so twice\n"
      "   this is what recording adds to a relay's CPU per message at that size.)\n");
  fflush(stdout);
}

}  // namespace wsr::bench
