// wsreplay-bench: prints wsreplay's performance figures next to nginx and mitmdump
// (see bench/README.md). Not a test: it measures and reports; targets are marked met/not met.
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <libwebsockets.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <sstream>

#include "bench/bench.h"
#include "bench/echo_server.h"
#include "bench/phoenix_load.h"
#include "common/error.h"

namespace {

std::set<std::string> SplitList(const std::string& s) {
  std::set<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.insert(item);
  }
  return out;
}

int Main(int argc, char** argv) {
  using namespace wsr::bench;
  CLI::App app{
      "wsreplay-bench: throughput, latency, recorder and replay figures for wsreplay, "
      "next to nginx and mitmdump, on loopback"};
  Options opt;
  std::string sections = "relay,recorder,rss,replay,rest", peers = "nginx,mitmdump";
  int serve_echo = -1;
  app.add_flag("--quick", opt.quick,
               "Tiny sizes and short runs (smoke test; figures not meaningful)");
  app.add_flag("--install-peers", opt.install_peers,
               "apt-get install nginx-light / mitmproxy when nginx / mitmdump are missing");
  app.add_option("--seconds", opt.seconds, "Length of each throughput/latency measurement")
      ->check(CLI::Range(0.05, 600.0));
  app.add_option("--sections", sections,
                 "Comma-separated: relay,recorder,rss,replay,rest (the default), scale");
  app.add_option("--peers", peers,
                 "Comma-separated relays to compare with: nginx,mitmdump (or none)");
  app.add_option("--wsreplay", opt.wsreplay,
                 "Path of the wsreplay binary (default: next to this one)");
  app.add_flag("--replay-10m", opt.replay_10m,
               "Replay section: also replay a 10,000,000-frame cassette at --speed max (peak RSS "
               "target; about a minute more and 1.5 GB of temp space)");
  bool scale = false;
  double push_interval_s = 3;
  app.add_flag("--scale", scale,
               "Run the scale section (10,000 Phoenix connections through record, then replay; "
               "a few minutes): alone, or with --sections");
  app.add_option("--connections", opt.connections, "Scale section: concurrent connections")
      ->check(CLI::Range(1, 100000));
  app.add_option("--push-interval", push_interval_s,
                 "Scale section: seconds between two pushes to one connection (default 3)")
      ->check(CLI::Range(0.05, 600.0));
  app.add_flag("--scale-record-only", opt.scale_record_only,
               "Scale section: measure record only (replay needs record's cassette, so there is "
               "no replay-only run)");
  app.add_option("--serve-echo", serve_echo, "Internal: run the echo server on this port")
      ->group("");
  int serve_phoenix = -1;
  UpstreamConfig phoenix;
  app.add_option("--serve-phoenix", serve_phoenix,
                 "Internal: run the scale section's Phoenix upstream on this port")
      ->group("");
  app.add_option("--pushes", phoenix.pushes, "Internal: pushes per connection")->group("");
  app.add_option("--push-interval-ms", phoenix.push_interval_ms, "Internal: push interval")
      ->group("");
  bool seconds_given = false;
  app.callback([&] { seconds_given = app.count("--seconds") > 0; });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (serve_echo >= 0) return RunEchoServer(serve_echo);
  if (serve_phoenix >= 0) {
    phoenix.port = serve_phoenix;
    return RunPhoenixUpstream(phoenix);
  }

  signal(SIGPIPE, SIG_IGN);
  KillChildrenOnSignal();
  lws_set_log_level(LLL_ERR, nullptr);
  if (opt.quick && !seconds_given) opt.seconds = 0.2;
  opt.scale_seconds = seconds_given ? opt.seconds : (opt.quick ? 8 : 60);
  if (opt.quick && app.count("--connections") == 0) opt.connections = 200;
  if (opt.quick && app.count("--push-interval") == 0) push_interval_s = 1;
  opt.push_interval_ms = static_cast<int>(push_interval_s * 1000);
  opt.sections = SplitList(scale && app.count("--sections") == 0 ? "scale" : sections);
  if (scale) opt.sections.insert("scale");
  for (auto& s : opt.sections) {
    if (s != "relay" && s != "recorder" && s != "rss" && s != "replay" && s != "rest" &&
        s != "scale") {
      fprintf(stderr,
              "wsreplay-bench: error: unknown section '%s' (relay, recorder, rss, replay, "
              "rest, scale)\n",
              s.c_str());
      return 2;
    }
  }
  opt.peers = SplitList(peers);
  opt.peers.erase("none");
  opt.self = SelfDir() + "/wsreplay-bench";
  if (opt.wsreplay.empty()) opt.wsreplay = SelfDir() + "/wsreplay";

  Env env;
  env.opt = opt;
  const char* tmp_root = getenv("TMPDIR");
  std::string templ =
      std::string(tmp_root != nullptr && *tmp_root ? tmp_root : "/tmp") + "/wsreplay-bench-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {
    fprintf(stderr, "wsreplay-bench: error: cannot create a temp dir under %s\n", templ.c_str());
    return 1;
  }
  env.tmp = templ;
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{env.tmp};

  char when[64];
  time_t now = time(nullptr);
  strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&now));
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  printf("wsreplay-bench %s: %s, %ld cores, load average %.2f %.2f %.2f, nice %d%s\n", when,
         opt.wsreplay.c_str(), sysconf(_SC_NPROCESSORS_ONLN), load[0], load[1], load[2],
         getpriority(PRIO_PROCESS, 0), opt.quick ? " (QUICK MODE)" : "");

  auto echo = std::make_unique<ChildProcess>(
      std::vector<std::string>{opt.self, "--serve-echo", "0"}, env.Tmp("echo.stderr"));
  auto line = echo->WaitForLine("listening on ", std::chrono::seconds(10));
  if (!line) {
    fprintf(stderr, "wsreplay-bench: error: the echo server did not start: %s\n",
            echo->FirstErrorLine().c_str());
    return 1;
  }
  env.echo_url = *line;
  env.echo_port = std::stoi(line->substr(line->rfind(':') + 1));
  env.echo_pid = echo->pid();
  printf("echo upstream: %s (pid %d), load generator: pid %d\n", env.echo_url.c_str(), env.echo_pid,
         getpid());
  fflush(stdout);

  Summary summary;
  if (opt.sections.count("relay")) RunRelaySection(env, &summary);
  if (opt.sections.count("recorder")) RunRecorderSection(env, &summary);
  if (opt.sections.count("rss")) RunRssSection(env, &summary);
  if (opt.sections.count("replay")) RunReplaySection(env, &summary);
  if (opt.sections.count("rest")) RunRestSection(env, &summary);
  if (opt.sections.count("scale")) RunScaleSection(env, &summary);
  PrintSummary(env, summary);
  echo->Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    fprintf(stderr, "wsreplay-bench: error: %s\n", e.what());
    return 1;
  }
}
