// `wsreplay exec --cassette FILE [replay flags] -- CMD [ARGS...]`: replay a session to a test
// command. Starts the replay server on a free loopback port, runs CMD with
// WSREPLAY_URL=ws://127.0.0.1:PORT (and WSREPLAY_HTTP_URL=http://127.0.0.1:PORT, the REST base
// URL on the same listener) in its environment, stops the server when CMD ends,
// prints the report to stderr and exits with CMD's status (128+N when a signal killed it),
// or 3 with --strict when CMD passed but the report has mismatches or undelivered frames.
// SIGINT/SIGTERM received by wsreplay are forwarded to CMD.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cli/commands.h"
#include "common/error.h"
#include "common/log.h"
#include "replay/replay_flags.h"
#include "replay/replay_server.h"

namespace wsr::cli {
namespace {

volatile sig_atomic_t g_child = 0;

void Forward(int sig) {
  if (g_child > 0) kill(static_cast<pid_t>(g_child), sig);
}

int RunChild(const std::vector<std::string>& command, const std::string& url) {
  std::vector<char*> argv;
  for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) throw Error(std::string("cannot start the command: ") + std::strerror(errno));
  if (pid == 0) {
    setenv("WSREPLAY_URL", url.c_str(), 1);
    // The same listener answers the REST half: the base URL for an SDK's HTTP calls.
    std::string http_url = url.rfind("ws://", 0) == 0 ? "http://" + url.substr(5) : url;
    setenv("WSREPLAY_HTTP_URL", http_url.c_str(), 1);
    execvp(argv[0], argv.data());
    std::fprintf(stderr, "wsreplay: error: cannot run '%s': %s\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  g_child = pid;
  struct sigaction sa {};
  sa.sa_handler = Forward;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  g_child = 0;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

void AddExec(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "exec",
      "Replay a session to a command: runs CMD with WSREPLAY_URL set, exits with its status");
  auto flags = std::make_shared<replay::ReplayFlags>();
  auto command = std::make_shared<std::vector<std::string>>();
  replay::AddReplayFlags(cmd, flags.get());
  cmd->add_option("command", *command, "The command to run, after --")->required()->expected(-1);
  cmd->footer("Example: wsreplay exec --cassette chat.db --speed max -- npm test");
  cmd->callback([exit_code, flags, command] {
    replay::ServerOptions opts = replay::ToServerOptions(*flags);
    opts.host = "127.0.0.1";
    opts.port = 0;
    auto server = replay::ReplayServer::Start(flags->cassette, opts);
    log::Info("replaying session '" + server->session() + "' on " + server->url() + " for " +
              (*command)[0]);
    int status = RunChild(*command, server->url());
    replay::Report report = server->Stop();
    int strict = replay::PrintReport(report, *flags);
    *exit_code = status != 0 ? status : strict;
  });
}

}  // namespace wsr::cli
