#include "bench/http_keepalive.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>

namespace wsr::bench {

KeepAliveHttp::KeepAliveHttp(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd_);
    fd_ = -1;
    error_ = "cannot connect";
  }
}

KeepAliveHttp::~KeepAliveHttp() {
  if (fd_ >= 0) close(fd_);
}

int KeepAliveHttp::RoundTrip(const std::string& request, int timeout_ms) {
  body_.clear();
  if (fd_ < 0) return 0;
  if (send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    error_ = "send failed";
    return 0;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  wire::HttpHeadParser head(wire::HttpHeadParser::Kind::kResponse);
  std::optional<wire::HttpBodyReader> reader;
  char tmp[65536];
  for (;;) {
    std::string_view data(buf_);
    size_t used_total = 0;
    while (!data.empty()) {
      size_t used = 0;
      if (!reader) {
        auto st = head.Feed(data, &used);
        data.remove_prefix(used);
        used_total += used;
        if (st == wire::HttpHeadParser::Status::kError) {
          error_ = head.error();
          return 0;
        }
        if (st != wire::HttpHeadParser::Status::kDone) break;
        uint64_t length = 0;
        auto framing = wire::HttpBodyReader::FramingOf(head.head(), &length, &error_);
        reader.emplace(framing, length, size_t{1} << 24);
        if (framing == wire::HttpBodyReader::Framing::kNone) {
          buf_.erase(0, used_total);
          return head.head().status;
        }
        continue;
      }
      auto st = reader->Feed(data, &used);
      data.remove_prefix(used);
      used_total += used;
      if (st == wire::HttpBodyReader::Status::kError) {
        error_ = reader->error();
        return 0;
      }
      if (st == wire::HttpBodyReader::Status::kDone) {
        buf_.erase(0, used_total);
        body_ = reader->content();
        return head.head().status;
      }
      if (used == 0) break;
    }
    buf_.erase(0, used_total);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      error_ = "timed out";
      return 0;
    }
    ssize_t n = recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) {
      error_ = "connection closed";
      return 0;
    }
    buf_.append(tmp, static_cast<size_t>(n));
  }
}

}  // namespace wsr::bench
