#include "tests/replay/wire_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>

namespace wsr::testing::wire {

int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + " failed");
  }
  return fd;
}

void WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n <= 0) throw std::runtime_error("write failed");
    off += static_cast<size_t>(n);
  }
}

namespace {

// Reads into buf until pred(buf) or timeout/EOF. Returns pred's final value.
template <typename Pred>
bool ReadUntil(int fd, std::string* buf, int timeout_ms, Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!pred(*buf)) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now())
                                    .count());
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, left) <= 0) return false;
    char tmp[65536];
    ssize_t n = read(fd, tmp, sizeof tmp);
    if (n <= 0) return pred(*buf);
    buf->append(tmp, static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

bool ReadUntilContains(int fd, std::string* buf, const std::string& want, int timeout_ms) {
  return ReadUntil(fd, buf, timeout_ms,
                   [&](const std::string& b) { return b.find(want) != std::string::npos; });
}

HttpResponse HttpRequest(int port, const std::string& method, const std::string& target,
                         const std::string& headers, const std::string& body) {
  int fd = ConnectLoopback(port);
  std::string host = headers.find("Host:") == std::string::npos
                         ? "Host: 127.0.0.1:" + std::to_string(port) + "\r\n"
                         : "";
  WriteAll(fd, method + " " + target + " HTTP/1.1\r\n" + host + headers + "Content-Length: " +
                   std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  std::string buf;
  HttpResponse r;
  auto complete = [](const std::string& b) {
    auto h = b.find("\r\n\r\n");
    if (h == std::string::npos) return false;
    auto cl = b.find("content-length:");
    if (cl == std::string::npos) cl = b.find("Content-Length:");
    if (cl == std::string::npos || cl > h) return false;
    size_t len = std::stoul(b.substr(cl + 15));
    return b.size() >= h + 4 + len;
  };
  bool ok = ReadUntil(fd, &buf, 5000, complete);
  close(fd);
  if (!ok && buf.find("\r\n\r\n") == std::string::npos) {
    throw std::runtime_error("no HTTP answer for " + target);
  }
  r.status = std::stoi(buf.substr(buf.find(' ') + 1, 3));
  r.head = buf.substr(0, buf.find("\r\n\r\n"));
  r.body = buf.substr(buf.find("\r\n\r\n") + 4);
  return r;
}

WsClient::WsClient(int port, const std::string& target, int* status, const std::string& headers) {
  fd_ = ConnectLoopback(port);
  WriteAll(fd_, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers +
                    "Upgrade: websocket\r\n" +
                    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
                    "Sec-WebSocket-Version: 13\r\n\r\n");
  ReadUntil(fd_, &buf_, 5000,
            [](const std::string& b) { return b.find("\r\n\r\n") != std::string::npos; });
  auto h = buf_.find("\r\n\r\n");
  int st = 0;
  if (buf_.size() > 12) st = std::atoi(buf_.c_str() + buf_.find(' ') + 1);
  if (status) *status = st;
  upgraded_ = st == 101 && h != std::string::npos;
  if (h != std::string::npos) buf_.erase(0, h + 4);
}

WsClient::~WsClient() {
  if (fd_ >= 0) close(fd_);
}

void WsClient::Send(int opcode, const std::string& payload, bool fin) {
  std::string f;
  f += static_cast<char>((fin ? 0x80 : 0) | opcode);
  size_t n = payload.size();
  if (n < 126) {
    f += static_cast<char>(0x80 | n);
  } else if (n < 65536) {
    f += static_cast<char>(0x80 | 126);
    f += static_cast<char>(n >> 8);
    f += static_cast<char>(n & 0xff);
  } else {
    f += static_cast<char>(0x80 | 127);
    for (int i = 7; i >= 0; --i) f += static_cast<char>((n >> (8 * i)) & 0xff);
  }
  const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
  f.append(reinterpret_cast<const char*>(mask), 4);
  for (size_t i = 0; i < n; ++i) f += static_cast<char>(payload[i] ^ mask[i % 4]);
  WriteAll(fd_, f);
}

bool WsClient::Fill(size_t n, int timeout_ms) {
  return ReadUntil(fd_, &buf_, timeout_ms, [n](const std::string& b) { return b.size() >= n; });
}

std::optional<WsFrame> WsClient::Read(int timeout_ms) {
  if (!Fill(2, timeout_ms)) return std::nullopt;
  auto b0 = static_cast<unsigned char>(buf_[0]);
  auto b1 = static_cast<unsigned char>(buf_[1]);
  size_t len = b1 & 0x7f, hdr = 2;
  if (len == 126) {
    if (!Fill(4, timeout_ms)) return std::nullopt;
    len = (static_cast<unsigned char>(buf_[2]) << 8) | static_cast<unsigned char>(buf_[3]);
    hdr = 4;
  } else if (len == 127) {
    if (!Fill(10, timeout_ms)) return std::nullopt;
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<unsigned char>(buf_[2 + i]);
    hdr = 10;
  }
  if (!Fill(hdr + len, timeout_ms)) return std::nullopt;
  WsFrame f;
  f.fin = (b0 & 0x80) != 0;
  f.opcode = b0 & 0x0f;
  f.payload = buf_.substr(hdr, len);
  buf_.erase(0, hdr + len);
  return f;
}

std::optional<WsFrame> WsClient::ReadMessage(int timeout_ms) {
  auto first = Read(timeout_ms);
  if (!first) return std::nullopt;
  WsFrame m = *first;
  while (!m.fin) {
    auto next = Read(timeout_ms);
    if (!next) return std::nullopt;
    m.payload += next->payload;
    m.fin = next->fin;
  }
  return m;
}

void WsClient::Close(int code) {
  std::string p;
  p += static_cast<char>(code >> 8);
  p += static_cast<char>(code & 0xff);
  Send(8, p);
}

}  // namespace wsr::testing::wire
