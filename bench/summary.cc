// The closing summary: the side-by-side relay table in Markdown (for the README) and every
// target of issues 2 and 3 marked met / not met / not measured.
#include <cstdio>

#include "bench/bench.h"
#include "bench/report.h"

namespace wsr::bench {
namespace {

const RelayTarget* Find(const Summary& s, const std::string& name) {
  for (auto& t : s.relays)
    if (t.name == name && !t.by_size.empty()) return &t;
  return nullptr;
}

std::string Verdict(std::optional<bool> met) {
  if (!met) return "not measured";
  return *met ? "met" : "NOT met";
}

}  // namespace

void PrintSummary(const Env& env, const Summary& s) {
  printf("\n== Summary ==\n");
  const RelayTarget* direct = Find(s, "direct");
  if (!s.relays.empty()) {
    Table t({"relay", "64 B msgs/s", "4 KiB msgs/s", "64 KiB msgs/s", "RTT p50 / p99 (64 B)",
             "added p50 (64 B)"});
    for (auto& r : s.relays) {
      if (r.by_size.size() != kSizes.size()) {
        t.Add({r.name, r.unavailable, "", "", "", ""});
        continue;
      }
      std::vector<std::string> row = {r.name};
      for (size_t size : kSizes) {
        const RelayFigures& f = r.by_size.at(size);
        row.push_back(Thousands(f.msgs_per_s) + " (" + Fixed(f.ratio, 2) + "x)");
      }
      const RelayFigures& small = r.by_size.at(64);
      row.push_back(Fixed(small.p50_us, 0) + " / " + Fixed(small.p99_us, 0) + " us");
      row.push_back(direct != nullptr && &r != direct
                        ? "+" + Fixed(small.p50_us - direct->by_size.at(64).p50_us, 0) + " us"
                        : "-");
      t.Add(row);
    }
    printf(
        "\nRelay comparison (loopback, %s s per measurement; msgs/s pipelined with 64 in flight, "
        "ratio vs direct; RTT with one in flight):\n\n%s",
        Fixed(env.opt.seconds, 1).c_str(), t.Markdown().c_str());
  }

  Table targets({"target", "figure", "verdict"});
  const RelayTarget* rec = Find(s, "wsreplay record");
  const RelayTarget* nginx = Find(s, "nginx");
  if (rec != nullptr) {
    double ratio = rec->by_size.at(64).ratio;
    targets.Add(
        {"record throughput >= 0.8x direct (64 B)", Fixed(ratio, 2) + "x", Verdict(ratio >= 0.8)});
  } else {
    targets.Add({"record throughput >= 0.8x direct (64 B)", "-", Verdict(std::nullopt)});
  }
  if (rec != nullptr && nginx != nullptr) {
    double a = rec->by_size.at(64).ratio, b = nginx->by_size.at(64).ratio;
    targets.Add({"record throughput ahead of nginx (64 B)",
                 Fixed(a, 2) + "x vs " + Fixed(b, 2) + "x", Verdict(a > b)});
    double da = rec->by_size.at(64).p50_us, db = nginx->by_size.at(64).p50_us;
    double pa = rec->by_size.at(64).p99_us, pb = nginx->by_size.at(64).p99_us;
    targets.Add(
        {"record latency no worse than nginx (64 B p50, p99)",
         Fixed(da, 0) + "/" + Fixed(pa, 0) + " us vs " + Fixed(db, 0) + "/" + Fixed(pb, 0) + " us",
         Verdict(da <= db && pa <= pb)});
  } else {
    targets.Add({"record throughput ahead of nginx (64 B)", "-", Verdict(std::nullopt)});
    targets.Add({"record latency no worse than nginx (64 B p50, p99)", "-", Verdict(std::nullopt)});
  }
  // Issue 8: the relay's CPU per echoed message (all threads) next to nginx's, and
  // throughput at least nginx's at every size.
  if (rec != nullptr && nginx != nullptr) {
    double a = rec->by_size.at(64).proxy_us_per_msg(), b = nginx->by_size.at(64).proxy_us_per_msg();
    targets.Add({"record CPU per message <= 1.5x nginx's (64 B)",
                 Fixed(a, 1) + " vs " + Fixed(b, 1) + " us (" + Fixed(a / b, 2) + "x)",
                 Verdict(a > 0 && b > 0 ? std::optional<bool>(a <= 1.5 * b) : std::nullopt)});
    for (size_t size : kSizes) {
      double ra = rec->by_size.at(size).msgs_per_s, rb = nginx->by_size.at(size).msgs_per_s;
      std::string label = size >= 1024 ? std::to_string(size / 1024) + " KiB"  // as the table
                                       : std::to_string(size) + " B";
      targets.Add({"record throughput >= nginx's (" + label + ")",
                   Thousands(ra) + " vs " + Thousands(rb) + " msgs/s", Verdict(ra >= rb)});
    }
  } else {
    targets.Add({"record CPU per message <= 1.5x nginx's (64 B)", "-", Verdict(std::nullopt)});
  }
  targets.Add(
      {"recorder commits >= 500,000 frames/s",
       s.recorder_fps ? Thousands(*s.recorder_fps) + " frames/s" : "-",
       Verdict(s.recorder_fps ? std::optional<bool>(*s.recorder_fps >= 500000) : std::nullopt)});
  targets.Add(
      {"record RSS flat while relaying", s.rss_flat ? s.rss_note : "-", Verdict(s.rss_flat)});
  auto opt = [](std::optional<double> v, auto pred) {
    return v ? std::optional<bool>(pred(*v)) : std::nullopt;
  };
  auto ms_or_dash = [](std::optional<double> v, const char* unit = " ms") {
    return v ? Fixed(*v, 3) + unit : std::string("-");
  };
  // Issue 10: the schedule anchored at the handshake, --speed max >= 500,000 frames/s.
  targets.Add({"replay lateness p99 <= 0.250 ms at the client (1,000 frames, speed 1)",
               ms_or_dash(s.replay_p99_ms),
               Verdict(opt(s.replay_p99_ms, [](double v) { return v <= 0.25; }))});
  targets.Add({"replay lateness p99 <= 0.250 ms at the client (1,000,000-frame connection)",
               ms_or_dash(s.replay_p99_big_ms),
               Verdict(opt(s.replay_p99_big_ms, [](double v) { return v <= 0.25; }))});
  targets.Add({"replay: no drift first -> last frames (<= 1 ms)", ms_or_dash(s.replay_drift_ms),
               Verdict(opt(s.replay_drift_ms, [](double v) { return v <= 1.0 && v >= -1.0; }))});
  targets.Add({"replay start to readiness <= 20 ms",
               s.replay_start_ms ? Fixed(*s.replay_start_ms, 1) + " ms" : "-",
               Verdict(opt(s.replay_start_ms, [](double v) { return v <= 20.0; }))});
  auto fps = [&](const std::string& what, std::optional<double> v) {
    targets.Add({"replay speed max >= 500,000 frames/s, " + what,
                 v ? Thousands(*v) + " frames/s" : "-",
                 Verdict(opt(v, [](double x) { return x >= 500000.0; }))});
  };
  fps("1 client", s.replay_fps_one);
  fps("100 clients", s.replay_fps_many);
  targets.Add({"replay peak RSS <= 64 MiB (1,000,000 frames)",
               s.replay_rss_mib ? Fixed(*s.replay_rss_mib, 1) + " MiB" : "-",
               Verdict(opt(s.replay_rss_mib, [](double v) { return v <= 64.0; }))});
  targets.Add({"replay peak RSS <= 64 MiB (10,000,000 frames; --replay-10m)",
               s.replay_rss_10m_mib
                   ? Fixed(*s.replay_rss_10m_mib, 1) + " MiB" +
                         (s.replay_fps_10m ? ", " + Thousands(*s.replay_fps_10m) + " frames/s"
                                           : std::string())
                   : "-",
               Verdict(opt(s.replay_rss_10m_mib, [](double v) { return v <= 64.0; }))});
  targets.Add({"REST replay >= 20,000 requests/s (1 keep-alive connection)",
               s.rest_replay_rps ? Thousands(*s.rest_replay_rps) + " requests/s" : "-",
               Verdict(opt(s.rest_replay_rps, [](double v) { return v >= 20000.0; }))});
  std::optional<double> rest_margin;
  if (s.rest_record_added_us && s.rest_nginx_added_us) {
    rest_margin = *s.rest_record_added_us - *s.rest_nginx_added_us;
  }
  targets.Add({"REST: record adds <= nginx's latency (p50)",
               s.rest_record_added_us
                   ? "+" + Fixed(*s.rest_record_added_us, 1) + " us vs nginx " +
                         (s.rest_nginx_added_us ? "+" + Fixed(*s.rest_nginx_added_us, 1) + " us"
                                                : std::string("-"))
                   : "-",
               Verdict(opt(rest_margin, [](double v) { return v <= 0.0; }))});
  printf("\nTargets (issues 2, 3 and 9)%s:\n\n%s",
         env.opt.quick ? " -- QUICK MODE, figures not meaningful" : "", targets.Markdown().c_str());
  if (!s.scale_targets.empty()) {
    Table scale({"scale target", "figure", "verdict"});
    for (auto& row : s.scale_targets) scale.Add(row);
    printf("\nScale (%s connections, %s s)%s:\n\n%s", Thousands(env.opt.connections).c_str(),
           Fixed(env.opt.scale_seconds, 0).c_str(),
           env.opt.quick ? " -- QUICK MODE, figures not meaningful" : "", scale.Markdown().c_str());
  }
  if (!s.skipped.empty()) {
    printf("\nNot measured / problems:\n");
    for (auto& w : s.skipped) printf("  - %s\n", w.c_str());
  }
  fflush(stdout);
}

}  // namespace wsr::bench
