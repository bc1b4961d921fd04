// Test helper: one ConnectionReplayer (PhoenixReplayer or RawReplayer, as MakeReplayer picks
// for the recorded connection) driven by a ManualClock in milliseconds, with the actions it
// emits collected in `out`. No sockets, no files (the Recording is in memory). Not thread-safe.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "replay/engine.h"
#include "tests/replay/recording.h"

namespace wsr::replay {

inline constexpr int64_t kMs = 1'000'000;

struct Harness {
  ManualClock clock;
  std::unique_ptr<ConnectionReplayer> rep;
  std::vector<Action> out;

  // `gate` (may be null): the session's causal gate, which must outlive the harness.
  explicit Harness(testing::Recording& r, ReplayOptions o, CausalGate* gate = nullptr)
      : gate(gate) {
    rep = MakeReplayer(r.source(), r.connection(), o, nullptr, gate);
    rep->Start(clock.NowNs());
  }
  CausalGate* gate = nullptr;
  // The live client's HTTP request matched recorded exchange `index` and was answered now
  // (what the server does in http_replay.cc), then the replayer is polled.
  void Answer(int index) {
    gate->Answered(index, clock.NowNs());
    rep->OnExchangeAnswered(clock.NowNs(), index);
    rep->Poll(clock.NowNs(), &out);
  }
  // The client sends a message now (opcode 1 text, 2 binary).
  void Send(const std::string& data, int opcode = 1) {
    rep->OnClientMessage(clock.NowNs(), opcode, data, &out);
  }
  // Sets the clock to `ms` and polls once.
  void At(int64_t ms) {
    clock.Set(ms * kMs);
    rep->Poll(clock.NowNs(), &out);
  }
  // Runs time forward to every deadline until `until_ms`, noting release times (what `out`
  // already held is noted at the current time).
  std::vector<std::pair<int64_t, std::string>> RunUntil(int64_t until_ms) {
    std::vector<std::pair<int64_t, std::string>> seen;
    for (auto& a : out) seen.emplace_back(clock.NowNs() / kMs, a.payload);
    out.clear();
    while (true) {
      auto d = rep->NextDeadline();
      if (!d || *d > until_ms * kMs) break;
      clock.Set(std::max(*d, clock.NowNs()));
      rep->Poll(clock.NowNs(), &out);
      for (auto& a : out) seen.emplace_back(clock.NowNs() / kMs, a.payload);
      out.clear();
    }
    return seen;
  }
  // The payloads emitted so far, in order; clears `out`.
  std::vector<std::string> Take() {
    std::vector<std::string> v;
    for (auto& a : out) v.push_back(a.payload);
    out.clear();
    return v;
  }
};

}  // namespace wsr::replay
