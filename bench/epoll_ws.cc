#include "bench/epoll_ws.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace wsr::bench {
namespace {

constexpr size_t kMaxFrame = 1 << 20;
constexpr const char* kClientKey = "dGhlIHNhbXBsZSBub25jZQ==";

// The listening socket's epoll tag: any non-null pointer that is not a WsSocket.
char g_listen_tag;

std::string AcceptFor(std::string_view key) {
  std::string in(key);
  in += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(in.data()), in.size(), digest);
  unsigned char out[64];
  int n = EVP_EncodeBlock(out, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<char*>(out), static_cast<size_t>(n));
}

// Value of a header in an HTTP head (case-insensitive name), "" when absent.
std::string_view HeaderValue(std::string_view head, std::string_view name) {
  size_t pos = 0;
  while ((pos = head.find("\r\n", pos)) != std::string_view::npos) {
    pos += 2;
    if (head.size() - pos > name.size() && head[pos + name.size()] == ':' &&
        strncasecmp(head.data() + pos, name.data(), name.size()) == 0) {
      size_t v = pos + name.size() + 1;
      while (v < head.size() && head[v] == ' ') v++;
      size_t end = head.find("\r\n", v);
      return head.substr(v, end == std::string_view::npos ? end : end - v);
    }
  }
  return {};
}

int NonBlockingSocket() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return fd;
}

}  // namespace

EpollWs::EpollWs(WsHandler* handler) : handler_(handler) {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) throw Error("epoll_create1 failed: " + std::string(strerror(errno)));
}

EpollWs::~EpollWs() {
  for (WsSocket* s : live_) {
    close(s->fd);
    delete s;
  }
  for (WsSocket* s : dead_) delete s;
  if (listen_fd_ >= 0) close(listen_fd_);
  close(epfd_);
}

int EpollWs::Listen(int port) {
  listen_fd_ = NonBlockingSocket();
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 4096) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw Error("cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + strerror(errno));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &g_listen_tag;
  epoll_ctl(epfd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  return ntohs(addr.sin_port);
}

WsSocket* EpollWs::Connect(int port, const std::string& target, std::string* why) {
  int fd = NonBlockingSocket();
  if (fd < 0) {
    *why = std::string("socket: ") + strerror(errno);
    return nullptr;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    *why = std::string("connect: ") + strerror(errno);
    close(fd);
    return nullptr;
  }
  auto* s = new WsSocket;
  s->fd = fd;
  s->client = true;
  s->state = WsSocket::State::kConnecting;
  s->out = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + kClientKey +
           "\r\nSec-WebSocket-Version: 13\r\n\r\n";
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = s;
  epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
  live_.insert(s);
  return s;
}

void EpollWs::Accept() {
  for (;;) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or out of descriptors: the next turn retries
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto* s = new WsSocket;
    s->fd = fd;
    s->client = false;
    s->state = WsSocket::State::kHandshake;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = s;
    epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
    live_.insert(s);
  }
}

void EpollWs::RunOnce(int timeout_ms) {
  epoll_event events[512];
  int n = epoll_wait(epfd_, events, 512, timeout_ms);
  for (int i = 0; i < n; i++) {
    if (events[i].data.ptr == &g_listen_tag) {
      Accept();
    } else {
      OnEvents(static_cast<WsSocket*>(events[i].data.ptr), events[i].events);
    }
  }
  for (WsSocket* s : dead_) delete s;
  dead_.clear();
}

void EpollWs::OnEvents(WsSocket* s, uint32_t events) {
  if (s->state == WsSocket::State::kClosed) return;
  if (s->state == WsSocket::State::kConnecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      Drop(s, false, std::string("connect: ") + strerror(err));
      return;
    }
    s->state = WsSocket::State::kHandshake;
  }
  if (events & EPOLLOUT) Flush(s);
  if (s->state == WsSocket::State::kClosed) return;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) ReadAll(s);
}

void EpollWs::ReadAll(WsSocket* s) {
  char buf[65536];
  bool eof = false;
  for (;;) {
    ssize_t n = recv(s->fd, buf, sizeof buf, 0);
    if (n > 0) {
      s->in.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) eof = true;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) eof = true;
    break;
  }
  Process(s);
  if (eof && s->state != WsSocket::State::kClosed) {
    Drop(s, s->close_received && s->close_sent,
         s->close_received ? "" : "connection closed without a close frame");
  }
}

void EpollWs::Process(WsSocket* s) {
  if (s->state == WsSocket::State::kHandshake && !Handshake(s)) return;
  if (s->state == WsSocket::State::kOpen) ProcessFrames(s);
}

bool EpollWs::Handshake(WsSocket* s) {
  size_t end = s->in.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (s->in.size() > 16384) Drop(s, false, "handshake too large");
    return false;
  }
  std::string head = s->in.substr(0, end + 2);
  s->in.erase(0, end + 4);
  if (s->client) {
    if (head.rfind("HTTP/1.1 101", 0) != 0) {
      Drop(s, false, "upgrade refused: " + head.substr(0, head.find('\r')));
      return false;
    }
  } else {
    std::string_view key = HeaderValue(head, "Sec-WebSocket-Key");
    if (key.empty()) {
      s->out += "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      s->close_after_flush = true;
      s->state = WsSocket::State::kOpen;
      Flush(s);
      return false;
    }
    s->out +=
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: " +
        AcceptFor(key) + "\r\n\r\n";
  }
  s->state = WsSocket::State::kOpen;
  handler_->OnOpen(s);
  if (s->state == WsSocket::State::kOpen) Flush(s);
  return s->state == WsSocket::State::kOpen;
}

void EpollWs::ProcessFrames(WsSocket* s) {
  size_t pos = 0;
  std::string& in = s->in;
  while (s->state == WsSocket::State::kOpen && in.size() - pos >= 2) {
    auto b0 = static_cast<unsigned char>(in[pos]), b1 = static_cast<unsigned char>(in[pos + 1]);
    bool fin = b0 & 0x80, masked = b1 & 0x80;
    int opcode = b0 & 0x0f;
    uint64_t len = b1 & 0x7f;
    size_t hdr = 2;
    if (len == 126) {
      if (in.size() - pos < 4) break;
      len = (static_cast<uint64_t>(static_cast<unsigned char>(in[pos + 2])) << 8) |
            static_cast<unsigned char>(in[pos + 3]);
      hdr = 4;
    } else if (len == 127) {
      if (in.size() - pos < 10) break;
      len = 0;
      for (int i = 0; i < 8; i++) len = (len << 8) | static_cast<unsigned char>(in[pos + 2 + i]);
      hdr = 10;
    }
    if (len > kMaxFrame || !fin || opcode == 0) {
      Drop(s, false, "unsupported frame (fragmented or larger than 1 MiB)");
      return;
    }
    size_t mask_at = pos + hdr;
    if (masked) hdr += 4;
    if (in.size() - pos < hdr + len) break;
    char* payload = in.data() + pos + hdr;
    if (masked) {
      for (uint64_t i = 0; i < len; i++) payload[i] ^= in[mask_at + (i & 3)];
    }
    std::string_view body(payload, len);
    pos += hdr + len;
    if (opcode == 1 || opcode == 2) {
      if (!s->close_sent) handler_->OnText(s, body);
    } else if (opcode == 9) {
      SendFrame(s, 10, body);
    } else if (opcode == 8) {
      s->close_received = true;
      if (!s->close_sent) SendFrame(s, 8, body.substr(0, 2));
      s->close_after_flush = true;
      Flush(s);
    }
  }
  in.erase(0, pos);
}

void EpollWs::SendText(WsSocket* s, std::string_view payload) {
  if (s->state != WsSocket::State::kOpen || s->close_sent) return;
  SendFrame(s, 1, payload);
  Flush(s);
}

void EpollWs::Close(WsSocket* s, uint16_t code) {
  if (s->state != WsSocket::State::kOpen || s->close_sent) return;
  char body[2] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
  SendFrame(s, 8, std::string_view(body, 2));
  Flush(s);
}

void EpollWs::SendFrame(WsSocket* s, int opcode, std::string_view payload) {
  if (opcode == 8) s->close_sent = true;
  std::string& out = s->out;
  out.push_back(static_cast<char>(0x80 | opcode));
  unsigned char mask_bit = s->client ? 0x80 : 0;
  size_t len = payload.size();
  if (len < 126) {
    out.push_back(static_cast<char>(mask_bit | len));
  } else if (len < 65536) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(len >> 8));
    out.push_back(static_cast<char>(len & 0xff));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int i = 7; i >= 0; i--) out.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  }
  if (!s->client) {
    out.append(payload);
    return;
  }
  mask_state_ ^= mask_state_ << 13;
  mask_state_ ^= mask_state_ >> 17;
  mask_state_ ^= mask_state_ << 5;
  char key[4];
  std::memcpy(key, &mask_state_, 4);
  out.append(key, 4);
  size_t at = out.size();
  out.append(payload);
  for (size_t i = 0; i < len; i++) out[at + i] ^= key[i & 3];
}

void EpollWs::Flush(WsSocket* s) {
  if (s->state == WsSocket::State::kConnecting || s->state == WsSocket::State::kClosed) return;
  while (s->out_off < s->out.size()) {
    ssize_t n = send(s->fd, s->out.data() + s->out_off, s->out.size() - s->out_off, MSG_NOSIGNAL);
    if (n > 0) {
      s->out_off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // EPOLLOUT resumes
    Drop(s, false, std::string("send: ") + strerror(errno));
    return;
  }
  s->out.clear();
  s->out_off = 0;
  if (s->close_after_flush) Drop(s, s->close_sent && s->close_received, "");
}

void EpollWs::Drop(WsSocket* s, bool clean, const std::string& why) {
  if (s->state == WsSocket::State::kClosed) return;
  s->state = WsSocket::State::kClosed;
  epoll_ctl(epfd_, EPOLL_CTL_DEL, s->fd, nullptr);
  close(s->fd);
  s->fd = -1;
  live_.erase(s);
  dead_.push_back(s);
  handler_->OnClosed(s, clean, why);
}

}  // namespace wsr::bench
