// Child processes for integration tests: start the real wsreplay binary (or node), wait for
// its readiness line, read its output, signal it, and always reap it.
//
// Process owns the child: the destructor sends SIGKILL if it is still running and waits, so
// a failing test never leaves processes behind. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wsr::testing {

class Process {
 public:
  struct Options {
    std::map<std::string, std::string> env;  // added to the parent's environment
    std::string cwd;
    bool capture_stderr = true;  // else inherited (shows up in the test log)
  };
  // argv[0] is the program path.
  Process(std::vector<std::string> argv, Options options);
  explicit Process(std::vector<std::string> argv) : Process(std::move(argv), Options{}) {}
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }

  // Reads stdout until a line starting with "listening on " arrives; returns the URL after
  // it ("ws://127.0.0.1:PORT"). Returns "" on timeout or exit (stderr is in stderr_text()).
  std::string WaitForListening(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  void Signal(int sig);
  // Waits for exit; returns the exit status (128+signal when killed), or nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout = std::chrono::seconds(20));

  // All stdout/stderr read so far (Wait() drains both).
  const std::string& stdout_text() const { return out_; }
  const std::string& stderr_text() const { return err_; }

 private:
  void Pump(int timeout_ms);
  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  std::string out_, err_;
  size_t scanned_ = 0;
  std::optional<int> status_;
};

// Runs to completion (with a timeout) and returns {status, stdout, stderr}.
struct RunResult {
  int status = -1;
  std::string out, err;
};
RunResult Run(std::vector<std::string> argv, Process::Options options = {},
              std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Path of the wsreplay binary under test.
std::string WsreplayBin();
std::string SourceDir();

// How many epoll instances the process holds (its /proc/PID/fd links "anon_inode:[eventpoll]").
int EpollDescriptors(pid_t pid);

// Port of "ws://host:port[/...]".
int PortOf(const std::string& url);

// A TCP connection to 127.0.0.1:port (blocking socket), or -1. The caller closes it.
int ConnectLoopback(int port);

}  // namespace wsr::testing
