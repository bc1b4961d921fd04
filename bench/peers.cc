// The relays people use today, run next to wsreplay for comparison: nginx as a WebSocket
// reverse proxy (records nothing) and mitmproxy's `mitmdump -w` (records flows).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "bench/bench.h"

namespace wsr::bench {
namespace {

std::string Which(const std::string& program, const std::vector<std::string>& extra_dirs) {
  std::vector<std::string> dirs = extra_dirs;
  if (const char* path = getenv("PATH")) {
    std::string p(path);
    size_t start = 0;
    while (start <= p.size()) {
      size_t colon = p.find(':', start);
      if (colon == std::string::npos) colon = p.size();
      dirs.push_back(p.substr(start, colon - start));
      start = colon + 1;
    }
  }
  for (auto& d : dirs) {
    std::string candidate = d + "/" + program;
    if (!d.empty() && access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace

std::string FindOrInstall(const Env& env, const std::string& program, const std::string& package) {
  std::vector<std::string> dirs = {"/usr/sbin", "/usr/bin"};
  std::string found = Which(program, dirs);
  if (!found.empty() || !env.opt.install_peers) return found;
  fprintf(stderr, "bench: installing %s (apt-get)...\n", package.c_str());
  std::string sudo = geteuid() == 0 ? "" : "sudo ";
  std::string cmd = sudo + "env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq " + package +
                    " >&2 || (" + sudo + "apt-get update -qq >&2 && " + sudo +
                    "env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq " + package +
                    " >&2)";
  if (system(cmd.c_str()) != 0) fprintf(stderr, "bench: installing %s failed\n", package.c_str());
  return Which(program, dirs);
}

std::optional<Peer> StartNginxProxy(const Env& env, const std::string& name,
                                    const std::string& http_extra, const std::string& location,
                                    std::string* why) {
  std::string nginx = FindOrInstall(env, "nginx", "nginx-light");
  if (nginx.empty()) {
    *why = "not available (install with --install-peers)";
    return std::nullopt;
  }
  std::string dir = env.Tmp(name);
  mkdir(dir.c_str(), 0755);
  chmod(env.tmp.c_str(), 0755);  // workers run as an unprivileged user when we are root
  int port = FreeLoopbackPort();
  std::string conf = dir + "/nginx.conf";
  std::ofstream out(conf);
  // One worker, as wsreplay serves from one thread; access log off, as wsreplay logs nothing
  // per message either.
  out << "worker_processes 1;\n"
      << "pid " << dir << "/nginx.pid;\n"
      << "error_log " << dir << "/error.log warn;\n"
      << "events { worker_connections 1024; }\n"
      << "http {\n"
      << "  access_log off;\n"
      << "  client_body_temp_path " << dir << "/body;\n"
      << "  proxy_temp_path " << dir << "/proxy;\n"
      << "  fastcgi_temp_path " << dir << "/fastcgi;\n"
      << "  uwsgi_temp_path " << dir << "/uwsgi;\n"
      << "  scgi_temp_path " << dir << "/scgi;\n"
      << http_extra << "  server {\n"
      << "    listen 127.0.0.1:" << port << ";\n"
      << "    location / {\n"
      << location << "    }\n"
      << "  }\n"
      << "}\n";
  out.close();
  Peer peer;
  try {
    peer.process = std::make_unique<ChildProcess>(
        std::vector<std::string>{nginx, "-e", dir + "/error.log", "-p", dir, "-c", conf, "-g",
                                 "daemon off;"},
        dir + "/stderr.log");
  } catch (const std::exception& e) {
    *why = e.what();
    return std::nullopt;
  }
  if (!WaitForTcpPort(port, std::chrono::seconds(10), peer.process.get())) {
    *why = "nginx did not start: " + peer.process->FirstErrorLine();
    return std::nullopt;
  }
  peer.url = "ws://127.0.0.1:" + std::to_string(port);
  return peer;
}

std::optional<Peer> StartNginx(const Env& env, std::string* why) {
  // The usual WebSocket reverse proxy: HTTP/1.1 upstream with the Upgrade headers.
  return StartNginxProxy(env, "nginx", "",
                         "      proxy_pass http://127.0.0.1:" + std::to_string(env.echo_port) +
                             ";\n"
                             "      proxy_http_version 1.1;\n"
                             "      proxy_set_header Upgrade $http_upgrade;\n"
                             "      proxy_set_header Connection \"upgrade\";\n"
                             "      proxy_set_header Host $host;\n"
                             "      proxy_read_timeout 3600s;\n"
                             "      proxy_send_timeout 3600s;\n",
                         why);
}

std::optional<Peer> StartMitmdump(const Env& env, std::string* why) {
  std::string mitmdump = FindOrInstall(env, "mitmdump", "mitmproxy");
  if (mitmdump.empty()) {
    *why = "not available (install with --install-peers)";
    return std::nullopt;
  }
  int port = FreeLoopbackPort();
  Peer peer;
  try {
    // -q: no per-message console output, the fastest mitmdump can record.
    peer.process = std::make_unique<ChildProcess>(
        std::vector<std::string>{mitmdump, "-q", "-w", env.Tmp("mitm.flows"), "--mode",
                                 "reverse:http://127.0.0.1:" + std::to_string(env.echo_port),
                                 "--listen-host", "127.0.0.1", "--listen-port",
                                 std::to_string(port)},
        env.Tmp("mitmdump.stderr"));
  } catch (const std::exception& e) {
    *why = e.what();
    return std::nullopt;
  }
  if (!WaitForTcpPort(port, std::chrono::seconds(30), peer.process.get())) {
    *why = "mitmdump did not start: " + peer.process->FirstErrorLine();
    return std::nullopt;
  }
  peer.url = "ws://127.0.0.1:" + std::to_string(port);
  return peer;
}

}  // namespace wsr::bench
