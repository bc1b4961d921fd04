// WsClient: a blocking WebSocket client for tests, on libwebsockets in its own thread.
//
// Connect() performs the handshake and returns once it succeeded or failed (http_status()
// tells the refusal status when there was one). Then the test sends text, binary or
// fragmented messages, reads whole messages with a timeout (with the sizes of the wire
// frames they came in), closes with a code and reason, or aborts the TCP connection (RST,
// no close frame). WaitClosed() reports the close code the peer sent (1006 when the
// connection ended without one).
//
// Each WsClient owns an lws context and a service thread; the destructor stops both. Public
// methods may be called from any one test thread. Text is never UTF-8 validated, so invalid
// UTF-8 can be sent and received.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

struct lws;
struct lws_context;

namespace wsr::testing {

struct WsMessage {
  bool binary = false;
  std::string data;
  std::vector<size_t> frames;  // wire frame sizes (one entry when unfragmented)
};

// Reassembles messages from lws RECEIVE pieces (shared by the test client and test servers).
class WsAssembler {
 public:
  // Returns a complete message when this piece finished one.
  std::optional<WsMessage> Add(lws* wsi, const void* in, size_t len);

 private:
  WsMessage cur_;
  size_t frame_fill_ = 0;
};

class WsClient {
 public:
  struct Options {
    std::vector<std::pair<std::string, std::string>> headers;  // extra handshake headers
    std::string subprotocols;                                  // Sec-WebSocket-Protocol list
    std::chrono::milliseconds timeout = std::chrono::seconds(10);
  };
  // url: ws://HOST:PORT/path?query. Never null; check connected().
  static std::unique_ptr<WsClient> Connect(const std::string& url, Options options);
  static std::unique_ptr<WsClient> Connect(const std::string& url) {
    return Connect(url, Options{});
  }
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  bool connected() const;
  std::optional<int> http_status() const;  // when the handshake was refused with a status
  std::string error() const;               // why the connection failed, if it did
  std::string subprotocol() const;         // the server's choice

  void SendText(std::string data);
  void SendBinary(std::string data);
  void SendFragments(bool binary, std::vector<std::string> fragments);
  std::optional<WsMessage> Receive(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Stops (false) or resumes (true) reading from the socket: a slow consumer.
  void SetReading(bool on);

  void Close(int code, std::string reason);
  void Abort();  // TCP reset, no close frame
  // The peer's close code (1006 when it ended without a close frame), nullopt on timeout.
  std::optional<int> WaitClosed(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  std::string close_reason() const;

  static int Callback(lws* wsi, int reason, void* user, void* in, size_t len);

 private:
  WsClient() = default;
  struct Out {
    std::string data;
    int flags = 0;
  };
  struct Command {
    enum Kind { kSend, kClose, kAbort, kPauseReading, kResumeReading } kind = kSend;
    std::vector<Out> frames;
    int code = 0;
    std::string reason;
  };
  void Post(Command c);
  int Handle(lws* wsi, int reason, void* in, size_t len);

  lws_context* ctx_ = nullptr;
  lws* wsi_ = nullptr;
  std::thread thread_;
  Options options_;
  std::string host_header_, path_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool done_connecting_ = false, connected_ = false, closed_ = false, stop_ = false;
  std::optional<int> http_status_, close_code_;
  std::string error_, close_reason_, subprotocol_;
  std::deque<WsMessage> inbox_;
  std::deque<Command> commands_;  // posted, not yet seen by the service thread

  // Service thread only.
  std::deque<Out> outq_;
  std::optional<std::pair<int, std::string>> pending_close_;
  bool we_closed_ = false;
  WsAssembler assembler_;
};

}  // namespace wsr::testing
