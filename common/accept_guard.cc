#include "common/accept_guard.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "common/log.h"

namespace wsr {

bool HaveSpareDescriptors(int n, int* err) {
  std::vector<int> held;
  held.reserve(static_cast<size_t>(n));
  *err = 0;
  for (int i = 0; i < n; ++i) {
    int fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);
    if (fd < 0 && errno == EBADF) fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      *err = errno;
      break;
    }
    held.push_back(fd);
  }
  for (int fd : held) close(fd);
  return *err != EMFILE && *err != ENFILE;
}

std::string OutOfDescriptorsLine(const std::string& command, const std::string& why) {
  return command + " is out of file descriptors (" + why +
         "): try again later, or raise its limit (ulimit -n) before starting it";
}

AcceptGuard::AcceptGuard(std::string command, int spare, bool answer)
    : command_(std::move(command)), spare_(spare), answer_(answer) {}

bool AcceptGuard::Admit(int fd, int64_t now_ns) {
  int err = 0;
  if (HaveSpareDescriptors(spare_, &err)) return true;
  ++refused_;
  ++unlogged_;
  if (answer_) {
    // Whatever the client sent already is read first, so that closing does not reset the
    // connection (a reset can destroy the answer before the client reads it).
    char sink[4096];
    for (int i = 0; i < 4 && recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
    }
    const std::string body =
        "wsreplay: " + OutOfDescriptorsLine(command_, std::strerror(err)) + "\n";
    const std::string response =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    (void)!send(fd, response.data(), response.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    shutdown(fd, SHUT_WR);
  }
  if (last_log_ns_ == INT64_MIN || now_ns - last_log_ns_ >= 1'000'000'000) {
    log::Warn(command_ + ": out of file descriptors (" + std::strerror(err) + "): refused " +
              std::to_string(unlogged_) + " new connection" + (unlogged_ == 1 ? "" : "s") +
              (answer_ ? " with 503" : "") +
              (last_log_ns_ == INT64_MIN ? "" : " in the last second") +
              "; raise the limit (ulimit -n) before starting it, or close idle connections");
    unlogged_ = 0;
    last_log_ns_ = now_ns;
  }
  return false;
}

}  // namespace wsr
