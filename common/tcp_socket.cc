#include "common/tcp_socket.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace wsr {

int ListenTcp(const ListenAddr& addr, int* port, std::string* error) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  const bool v6 = addr.host.find(':') != std::string::npos;
  if (v6) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(static_cast<uint16_t>(addr.port));
    len = inet_pton(AF_INET6, addr.host.c_str(), &sa->sin6_addr) == 1 ? sizeof *sa : 0;
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(static_cast<uint16_t>(addr.port));
    len = inet_pton(AF_INET, addr.host.c_str(), &sa->sin_addr) == 1 ? sizeof *sa : 0;
  }
  if (len == 0) {
    *error = "not an IP address";
    return -1;
  }
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::strerror(errno);
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (v6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, SOMAXCONN) != 0) {
    *error = std::strerror(errno);
    close(fd);
    return -1;
  }
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len);
  *port = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                      : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return fd;
}

namespace {
// getaddrinfo with `flags`: 0 with the addresses, else its error code (*error set).
int GetAddrInfo(const std::string& host, int port, int flags, std::vector<TcpAddress>* out,
                std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = flags;
  addrinfo* result = nullptr;
  const std::string service = std::to_string(port);
  out->clear();
  int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &result);
  if (rc != 0) {
    *error = rc == EAI_SYSTEM ? std::strerror(errno) : gai_strerror(rc);
    return rc;
  }
  for (addrinfo* a = result; a; a = a->ai_next) {
    if ((a->ai_family != AF_INET && a->ai_family != AF_INET6) ||
        a->ai_addrlen > sizeof(sockaddr_storage)) {
      continue;
    }
    TcpAddress t;
    std::memcpy(&t.addr, a->ai_addr, a->ai_addrlen);
    t.len = a->ai_addrlen;
    out->push_back(t);
  }
  freeaddrinfo(result);
  if (out->empty()) *error = "no IPv4 or IPv6 address";
  return 0;
}
}  // namespace

std::vector<TcpAddress> ResolveTcp(const std::string& host, int port, std::string* error) {
  std::vector<TcpAddress> out;
  GetAddrInfo(host, port, 0, &out, error);
  return out;
}

bool ResolveTcpLiteral(const std::string& host, int port, std::vector<TcpAddress>* out) {
  std::string error;
  return GetAddrInfo(host, port, AI_NUMERICHOST, out, &error) == 0 && !out->empty();
}

int ConnectTcp(const TcpAddress& to, int* err) {
  *err = 0;
  int fd = socket(to.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  SetNoDelay(fd);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&to.addr), to.len) != 0 &&
      errno != EINPROGRESS) {
    *err = errno;
    close(fd);
    return -1;
  }
  return fd;
}

int TcpConnectResult(int fd) {
  int so_error = 0;
  socklen_t len = sizeof so_error;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) return errno;
  return so_error;
}

void SetNoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace wsr
