#include "sim/http_client.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <exception>
#include <optional>

#include "common/url.h"
#include "wire/http_body.h"
#include "wire/http_head.h"

namespace wsr::sim {
namespace {

using Clock = std::chrono::steady_clock;

// Owns a socket descriptor.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

int Connect(const WsUrl& url, std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(url.port);
  if (int rc = getaddrinfo(url.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    *error = "cannot resolve " + url.host + ": " + gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = res; a && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) *error = "cannot connect to " + url.host + ":" + port;
  return fd;
}

// Waits until fd is ready for `events` or the deadline passes.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, events, 0};
  return poll(&p, 1, static_cast<int>(left.count())) > 0;
}

HttpCallResult Call(const std::string& base, const HttpCallRequest& request, int timeout_ms) {
  HttpCallResult out;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  WsUrl url = ParseWsUrl(base);
  Fd conn{Connect(url, &out.error)};
  if (conn.fd < 0) return out;

  std::string req = request.method + " " + url.path + request.target +
                    " HTTP/1.1\r\nHost: " + url.host + ":" + std::to_string(url.port) +
                    "\r\nConnection: close\r\n";
  for (const auto& [name, value] : request.headers) req += name + ": " + value + "\r\n";
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    req += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  req += "\r\n" + request.body;
  for (size_t sent = 0; sent < req.size();) {
    if (!WaitFor(conn.fd, POLLOUT, deadline)) {
      out.error = "timed out sending the request";
      return out;
    }
    ssize_t n = send(conn.fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      out.error = "connection closed while sending the request";
      return out;
    }
    sent += static_cast<size_t>(n);
  }

  wire::HttpHeadParser head(wire::HttpHeadParser::Kind::kResponse);
  std::optional<wire::HttpBodyReader> body;
  char buf[16384];
  for (;;) {
    if (!WaitFor(conn.fd, POLLIN, deadline)) {
      out.error = "timed out waiting for the response";
      return out;
    }
    ssize_t n = recv(conn.fd, buf, sizeof buf, 0);
    if (n < 0) {
      out.error = "connection error while reading the response";
      return out;
    }
    if (n == 0) {
      if (body && body->OnClose() == wire::HttpBodyReader::Status::kDone) break;
      out.error = "connection closed before the response was complete";
      return out;
    }
    std::string_view data(buf, static_cast<size_t>(n));
    while (!data.empty()) {
      size_t used = 0;
      if (!body) {
        auto st = head.Feed(data, &used);
        data.remove_prefix(used);
        if (st == wire::HttpHeadParser::Status::kError) {
          out.error = head.error();
          return out;
        }
        if (st == wire::HttpHeadParser::Status::kNeedMore) break;
        if (head.head().status < 200) {  // an interim 1xx: the real head follows
          head.Reset();
          continue;
        }
        out.status = head.head().status;
        uint64_t length = 0;
        auto framing = wire::HttpBodyReader::FramingOf(head.head(), &length, &out.error);
        if (!out.error.empty()) return out;
        if (request.method == "HEAD") framing = wire::HttpBodyReader::Framing::kNone;
        body.emplace(framing, length, size_t{64} << 20);
        if (framing == wire::HttpBodyReader::Framing::kNone) {
          return out;
        }
        continue;
      }
      auto st = body->Feed(data, &used);
      data.remove_prefix(used);
      if (st == wire::HttpBodyReader::Status::kError) {
        out.error = body->error();
        return out;
      }
      if (st == wire::HttpBodyReader::Status::kDone) {
        out.body = body->content();
        return out;
      }
      if (used == 0) break;
    }
  }
  out.body = body->content();
  return out;
}

}  // namespace

HttpCallResult HttpCall(const std::string& base, const HttpCallRequest& request, int timeout_ms) {
  try {
    return Call(base, request, timeout_ms);
  } catch (const std::exception& e) {  // a malformed base URL
    HttpCallResult out;
    out.error = e.what();
    return out;
  }
}

}  // namespace wsr::sim
