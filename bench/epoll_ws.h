// EpollWs: minimal non-blocking WebSocket endpoints (clients and a server) on one epoll loop,
// for the scale section, whose load generator and Phoenix upstream each hold 10,000
// connections on one thread. (libwebsockets 4.1 polls with poll(): every turn scans every
// socket, which would make the generator cost more CPU than the process under test.)
//
// Only what the bench needs: the HTTP/1.1 upgrade (a client sends a fixed key and checks the
// 101; the server answers any upgrade), unfragmented text frames, close (echoed, then the TCP
// connection is closed once the echo is out), ping (answered with a pong). Client frames are
// masked. Anything else (a fragment, an oversized frame, a refused upgrade) closes the socket.
//
// Ownership: EpollWs owns every WsSocket; a socket is freed after the turn in which
// OnClosed() was called for it, so the pointer stays valid until then. Not thread-safe: one
// thread calls everything, including the handler's callbacks (from RunOnce()).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace wsr::bench {

struct WsSocket {
  enum class State { kConnecting, kHandshake, kOpen, kClosed };
  int fd = -1;
  bool client = true;
  State state = State::kConnecting;
  bool close_sent = false;
  bool close_received = false;
  bool close_after_flush = false;  // close the TCP connection once `out` is written
  std::string in;
  std::string out;
  size_t out_off = 0;
  void* user = nullptr;  // the handler's per-connection state
};

class WsHandler {
 public:
  virtual ~WsHandler() = default;
  virtual void OnOpen(WsSocket* s) = 0;
  virtual void OnText(WsSocket* s, std::string_view payload) = 0;
  // clean: a close frame was exchanged. why: "" or what went wrong. `s` is freed after the turn.
  virtual void OnClosed(WsSocket* s, bool clean, const std::string& why) = 0;
};

class EpollWs {
 public:
  explicit EpollWs(WsHandler* handler);
  ~EpollWs();  // closes every socket without callbacks
  EpollWs(const EpollWs&) = delete;
  EpollWs& operator=(const EpollWs&) = delete;

  // Listens on 127.0.0.1:port (0 = any); returns the port. Throws wsr::Error.
  int Listen(int port);
  // Starts a client connection to 127.0.0.1:port with the request target; nullptr + *why when
  // the socket cannot even be created (connection errors arrive as OnClosed()).
  WsSocket* Connect(int port, const std::string& target, std::string* why);
  void SendText(WsSocket* s, std::string_view payload);
  void Close(WsSocket* s, uint16_t code);
  // One epoll_wait() of at most timeout_ms, then the events.
  void RunOnce(int timeout_ms);
  size_t sockets() const { return live_.size(); }

 private:
  void OnEvents(WsSocket* s, uint32_t events);
  void Accept();
  void ReadAll(WsSocket* s);
  void Process(WsSocket* s);
  bool Handshake(WsSocket* s);  // false: not complete yet (or failed: state kClosed)
  void ProcessFrames(WsSocket* s);
  void SendFrame(WsSocket* s, int opcode, std::string_view payload);
  void Flush(WsSocket* s);
  void Drop(WsSocket* s, bool clean, const std::string& why);

  WsHandler* handler_;
  int epfd_ = -1;
  int listen_fd_ = -1;
  std::unordered_set<WsSocket*> live_;
  uint32_t mask_state_ = 0x9e3779b9u;
  std::vector<WsSocket*> dead_;  // freed at the end of the turn
};

}  // namespace wsr::bench
