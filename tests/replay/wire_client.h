// Minimal blocking loopback clients for the replay integration tests: an HTTP/1.1 request
// helper (for the control endpoint; curl is not guaranteed) and a raw WebSocket client that
// exposes individual frames (FIN bit and opcode), so fragmentation can be checked byte for
// byte. Test-only; not thread-safe; every call has a timeout.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace wsr::testing::wire {

struct HttpResponse {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
};

// A connected TCP socket to 127.0.0.1:port (the caller closes it); throws std::runtime_error.
int ConnectLoopback(int port);
// Writes all of s to fd; throws std::runtime_error.
void WriteAll(int fd, const std::string& s);

// Reads from fd into *buf until `want` appears in it; false on timeout or EOF without it.
bool ReadUntilContains(int fd, std::string* buf, const std::string& want, int timeout_ms);

// method "GET"/"POST", target "/__wsreplay/status". Sends `Host: 127.0.0.1:PORT` unless
// `headers` ("Name: value\r\n" lines) has its own Host, and `body` with its Content-Length.
// Throws std::runtime_error on failure.
HttpResponse HttpRequest(int port, const std::string& method, const std::string& target,
                         const std::string& headers = "", const std::string& body = "");

struct WsFrame {
  bool fin = true;
  int opcode = 0;  // 0 continuation, 1 text, 2 binary, 8 close
  std::string payload;
};

class WsClient {
 public:
  // Connects and upgrades; `status` gets the HTTP status of the answer (101 on success).
  // `headers`: extra "Name: value\r\n" lines (e.g. an Origin).
  WsClient(int port, const std::string& target, int* status = nullptr,
           const std::string& headers = "");
  ~WsClient();
  bool ok() const { return fd_ >= 0 && upgraded_; }
  void Send(int opcode, const std::string& payload, bool fin = true);
  // Next frame, or nullopt on timeout/EOF.
  std::optional<WsFrame> Read(int timeout_ms = 5000);
  // Next whole message (continuations joined); close frames come back as opcode 8.
  std::optional<WsFrame> ReadMessage(int timeout_ms = 5000);
  void Close(int code = 1000);

 private:
  bool Fill(size_t n, int timeout_ms);
  int fd_ = -1;
  bool upgraded_ = false;
  std::string buf_;
};

}  // namespace wsr::testing::wire
