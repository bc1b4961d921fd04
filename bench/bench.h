// The benchmark's shared pieces: run options, the environment every section uses (temp dir,
// echo upstream), the figures collected for the final summary, and the sections themselves.
//
// Each section prints its own table and fills its part of Summary; a section whose subject
// does not work yet (e.g. a wsreplay command still missing) prints "skipped: <why>" and
// leaves its figures unset. Single-threaded.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bench/child_process.h"

namespace wsr::bench {

struct Options {
  bool quick = false;
  bool install_peers = false;
  double seconds = 3;  // per measurement
  std::set<std::string> sections;
  std::set<std::string> peers;  // nginx, mitmdump
  std::string wsreplay;         // path of the wsreplay binary
  std::string self;             // path of this binary (for --serve-echo)
  // Section "scale".
  int connections = 10000;
  int push_interval_ms = 3000;     // per connection, alternating between its two topics
  double scale_seconds = 60;       // how long each connection stays open
  bool scale_record_only = false;  // stop after record (replay needs record's cassette)
  // Section "replay": also replay a 10,000,000-frame cassette at --speed max (RSS target;
  // generating it takes about a minute and 1.5 GB of temp space).
  bool replay_10m = false;
};

struct Env {
  Options opt;
  std::string tmp;       // removed at exit
  std::string echo_url;  // ws://127.0.0.1:PORT
  int echo_port = 0;
  pid_t echo_pid = -1;
  std::string Tmp(const std::string& name) const { return tmp + "/" + name; }
};

// One relay (direct, wsreplay record, nginx, mitmdump) at one message size.
struct RelayFigures {
  double msgs_per_s = 0;
  double ratio = 0;  // vs direct at the same size
  double p50_us = 0, p99_us = 0;
  double gen_cpu = 0, echo_cpu = 0, proxy_cpu = -1;     // % of one core
  double gen_wait = 0, echo_wait = 0, proxy_wait = -1;  // % of time runnable but not running
  // The relay process's CPU (all threads: relaying and recording) per echoed message (one frame
  // each way), in microseconds; -1 when there is no relay (direct).
  double proxy_us_per_msg() const {
    return proxy_cpu < 0 || msgs_per_s <= 0 ? -1 : proxy_cpu / 100.0 * 1e6 / msgs_per_s;
  }
};
struct RelayTarget {
  std::string name;
  std::string unavailable;  // why it was not measured, "" when it was
  std::map<size_t, RelayFigures> by_size;
  int64_t rss_after_kib = -1;
};

struct Summary {
  std::vector<RelayTarget> relays;  // direct first
  std::optional<double> recorder_fps;
  std::optional<bool> rss_flat;
  std::string rss_note;
  std::optional<double> replay_p99_ms, replay_drift_ms, replay_start_ms, replay_rss_mib;
  std::optional<double> replay_fps_one, replay_fps_many;
  // Lateness p99 at the client over the first 1,000 frames of a 1,000,000-frame connection;
  // --replay-10m: peak RSS and frames/s replaying 10,000,000 frames at --speed max.
  std::optional<double> replay_p99_big_ms, replay_rss_10m_mib, replay_fps_10m;
  // Section "rest": replayed requests/s on one keep-alive connection; p50 added to a GET.
  std::optional<double> rest_replay_rps, rest_record_added_us, rest_nginx_added_us;
  // Section "scale": {target, figure, PASS/FAIL}, in the order measured.
  std::vector<std::vector<std::string>> scale_targets;
  std::vector<std::string> skipped;  // "section: why"
};

inline const std::vector<size_t> kSizes = {64, 4096, 65536};

// Starts `wsreplay record` in front of the echo server. On failure returns nullptr and
// sets *why.
std::unique_ptr<ChildProcess> StartRecord(const Env& env, const std::string& cassette,
                                          std::string* url, std::string* why);

void RunRelaySection(const Env& env, Summary* summary);
void RunRecorderSection(const Env& env, Summary* summary);
void RunRssSection(const Env& env, Summary* summary);
void RunReplaySection(const Env& env, Summary* summary);
void RunScaleSection(const Env& env, Summary* summary);
void RunRestSection(const Env& env, Summary* summary);
void PrintSummary(const Env& env, const Summary& summary);

// Peers (nginx, mitmdump): find or install, configure, start. nullptr + *why when missing.
struct Peer {
  std::unique_ptr<ChildProcess> process;
  std::string url;
};
std::optional<Peer> StartNginx(const Env& env, std::string* why);
// nginx with one `location /` whose body is `location` (indented lines), and `http_extra` lines
// in its http block; config and logs in env.Tmp(name). url: ws://127.0.0.1:PORT.
std::optional<Peer> StartNginxProxy(const Env& env, const std::string& name,
                                    const std::string& http_extra, const std::string& location,
                                    std::string* why);
std::optional<Peer> StartMitmdump(const Env& env, std::string* why);
// apt-get install -y PACKAGE when --install-peers and the program is missing.
std::string FindOrInstall(const Env& env, const std::string& program, const std::string& package);

}  // namespace wsr::bench
