// ChildProcess: a process the benchmark starts (wsreplay, nginx, mitmdump, the echo server)
// and always reaps.
//
// stdout is read through a pipe so WaitForLine() can catch a readiness line; stderr goes to
// a file in the bench's temp dir (or is inherited) so a failure can be explained with its
// first line. The destructor sends SIGTERM, then SIGKILL after a grace period, and waits:
// no process outlives the bench. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace wsr::bench {

class ChildProcess {
 public:
  // argv[0] is the program (searched in PATH when it has no '/'). stderr_path "" inherits.
  ChildProcess(std::vector<std::string> argv, std::string stderr_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Reads stdout until a line starting with prefix; returns the rest of that line, or nullopt
  // on timeout or exit.
  std::optional<std::string> WaitForLine(const std::string& prefix,
                                         std::chrono::milliseconds timeout);
  bool Running();
  void Signal(int sig);
  // Waits for exit; returns the status (exit code, or 128+signal), nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // SIGTERM, wait `grace`, then SIGKILL. Returns the exit status.
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  // First non-empty line of what the child wrote to stderr (when redirected to a file).
  std::string FirstErrorLine() const;

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string stderr_path_;
  std::string buffered_;
  std::optional<int> status_;
};

// True once a TCP connect to 127.0.0.1:port succeeds (polls every 10 ms).
bool WaitForTcpPort(int port, std::chrono::milliseconds timeout, ChildProcess* child);
// Installs SIGINT/SIGTERM handlers that kill every running ChildProcess and exit, so an
// interrupted bench leaves nothing behind.
void KillChildrenOnSignal();
// A port that was free a moment ago (bind to 0, read, close).
int FreeLoopbackPort();
// Directory of the running executable.
std::string SelfDir();

}  // namespace wsr::bench
