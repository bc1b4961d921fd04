#include "bench/child_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <thread>

#include "common/error.h"

extern char** environ;

namespace wsr::bench {

using Clock = std::chrono::steady_clock;

namespace {
// Pids of running children, for the signal handler (async-signal-safe reads only).
constexpr int kMaxChildren = 64;
volatile sig_atomic_t g_children[kMaxChildren];

void Track(pid_t pid) {
  for (auto& slot : g_children)
    if (slot == 0) {
      slot = pid;
      return;
    }
}
void Untrack(pid_t pid) {
  for (auto& slot : g_children)
    if (slot == pid) slot = 0;
}
void OnFatalSignal(int sig) {
  for (auto& slot : g_children)
    if (slot > 0) kill(static_cast<pid_t>(slot), SIGKILL);
  _exit(128 + sig);
}
}  // namespace

void KillChildrenOnSignal() {
  signal(SIGINT, OnFatalSignal);
  signal(SIGTERM, OnFatalSignal);
}

ChildProcess::ChildProcess(std::vector<std::string> argv, std::string stderr_path)
    : stderr_path_(std::move(stderr_path)) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw Error("pipe failed: " + std::string(strerror(errno)));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  if (!stderr_path_.empty()) {
    posix_spawn_file_actions_addopen(&actions, 2, stderr_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Own process group, so a Ctrl-C on the terminal reaches the bench only and the bench
  // stops its children in order.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  int rc = posix_spawnp(&pid_, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    pid_ = -1;
    throw Error("cannot start " + argv[0] + ": " + strerror(rc));
  }
  out_fd_ = out[0];
  Track(pid_);
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !status_) Stop(std::chrono::seconds(3));
  if (out_fd_ >= 0) close(out_fd_);
}

std::optional<std::string> ChildProcess::WaitForLine(const std::string& prefix,
                                                     std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    size_t nl;
    while ((nl = buffered_.find('\n')) != std::string::npos) {
      std::string line = buffered_.substr(0, nl);
      buffered_.erase(0, nl + 1);
      if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 || out_fd_ < 0) return std::nullopt;
    pollfd p{out_fd_, POLLIN, 0};
    int n = poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    char buf[4096];
    ssize_t got = read(out_fd_, buf, sizeof buf);
    if (got <= 0) {  // EOF: the child closed stdout (exited)
      close(out_fd_);
      out_fd_ = -1;
      return std::nullopt;
    }
    buffered_.append(buf, static_cast<size_t>(got));
  }
}

bool ChildProcess::Running() {
  if (status_ || pid_ <= 0) return false;
  return !Wait(std::chrono::milliseconds(0)).has_value();
}

void ChildProcess::Signal(int sig) {
  if (pid_ > 0 && !status_) kill(pid_, sig);
}

std::optional<int> ChildProcess::Wait(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  if (pid_ <= 0) return std::nullopt;
  auto deadline = Clock::now() + timeout;
  for (;;) {
    // Keep draining stdout so a chatty child never blocks on a full pipe.
    if (out_fd_ >= 0) {
      char buf[4096];
      pollfd p{out_fd_, POLLIN, 0};
      while (poll(&p, 1, 0) > 0) {
        ssize_t got = read(out_fd_, buf, sizeof buf);
        if (got <= 0) {
          close(out_fd_);
          out_fd_ = -1;
          break;
        }
      }
    }
    int st = 0;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      Untrack(pid_);
      return status_;
    }
    if (r < 0 && errno != EINTR) {
      status_ = -1;
      Untrack(pid_);
      return status_;
    }
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

int ChildProcess::Stop(std::chrono::milliseconds grace) {
  Signal(SIGTERM);
  if (auto st = Wait(grace)) return *st;
  Signal(SIGKILL);
  auto st = Wait(std::chrono::seconds(10));
  return st.value_or(-1);
}

std::string ChildProcess::FirstErrorLine() const {
  if (stderr_path_.empty()) return "";
  std::ifstream in(stderr_path_);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) return line;
  }
  return "";
}

bool WaitForTcpPort(int port, std::chrono::milliseconds timeout, ChildProcess* child) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    close(fd);
    if (rc == 0) return true;
    if (child != nullptr && !child->Running()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    throw Error("cannot find a free loopback port: " + std::string(strerror(errno)));
  }
  close(fd);
  return ntohs(addr.sin_port);
}

std::string SelfDir() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string path(buf, static_cast<size_t>(n));
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

}  // namespace wsr::bench
