// `wsreplay record`: how connections end (close mirroring, caps, refusals, dead peers).
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "tests/proxy/record_fixture.h"

namespace wsr::testing {
namespace {

using namespace std::chrono_literals;

class RecordClose : public RecordFixture {};

// A TCP socket bound to a free port on 127.0.0.1; the port goes to *port.
int BindLoopback(int* port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  *port = ntohs(sa.sin_port);
  return fd;
}

// A port nobody listens on (bound then released).
int DeadPort() {
  int port = 0;
  close(BindLoopback(&port));
  return port;
}

// A TCP listener that never answers: an upstream stuck in its handshake.
class SilentUpstream {
 public:
  SilentUpstream() : fd_(BindLoopback(&port_)) { listen(fd_, 16); }
  ~SilentUpstream() {
    for (int fd : accepted_) close(fd);
    close(fd_);
  }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_); }
  // Waits for the relay to connect (its upstream leg exists: the client's upgrade was read).
  bool WaitForConnection(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) != 1) return false;
    int fd = accept(fd_, nullptr, nullptr);
    if (fd < 0) return false;
    accepted_.push_back(fd);
    return true;
  }

 private:
  int port_ = 0;
  int fd_ = -1;
  std::vector<int> accepted_;
};

// Runs close_probe.js (Node `ws`) against url; returns its output, e.g. "open\nclose 1014 why\n".
std::string NodeProbe(const std::string& url) {
  auto res = Run({"node", SourceDir() + "/tests/proxy/close_probe.js", url, SourceDir()}, {},
                 std::chrono::seconds(30));
  return res.out;
}

TEST_F(RecordClose, StoppingWhileTheUpstreamHasNotAnsweredAnswersTheClient503) {
  SilentUpstream silent;
  StartRecord(silent.url(), {"--upstream-timeout", "60s"});
  // The client's upgrade stays pending until the upstream answers; a stop answers it instead.
  Process probe(
      {"node", SourceDir() + "/tests/proxy/close_probe.js", url_ + "/waiting", SourceDir()});
  ASSERT_TRUE(silent.WaitForConnection(20000));
  EXPECT_EQ(StopRecord(), 0) << proc_->stderr_text();
  ASSERT_EQ(probe.Wait(std::chrono::seconds(20)), 0);
  EXPECT_EQ(probe.stdout_text(), "http 503\n");
  auto r = Read();
  ASSERT_EQ(r.connections.size(), 1u);
  EXPECT_EQ(r.connections[0].http_status, 503);
  EXPECT_EQ(r.connections[0].close_initiator, "proxy");
  EXPECT_EQ(r.frames[0].size(), 0u);
}

TEST_F(RecordClose, ClientCloseIsMirroredUpstreamAndRecorded) {
  TestUpstream up;
  StartRecord(up.url());
  auto c = WsClient::Connect(url_ + "/x");
  ASSERT_TRUE(c->connected()) << c->error();
  c->SendText("hello");
  ASSERT_TRUE(c->Receive());
  c->Close(4001, "bye from client");
  EXPECT_EQ(c->WaitClosed(), 4001);
  ASSERT_TRUE(up.WaitFor([](const auto& s) { return s.size() == 1 && s[0].closed; }));
  EXPECT_EQ(up.connections()[0].close_code, 4001);
  EXPECT_EQ(up.connections()[0].close_reason, "bye from client");
  ASSERT_EQ(StopRecord(), 0) << proc_->stderr_text();
  auto r = Read();
  EXPECT_EQ(r.connections[0].close_code, 4001);
  EXPECT_EQ(r.connections[0].close_reason, "bye from client");
  EXPECT_EQ(r.connections[0].close_initiator, "client");
  EXPECT_TRUE(r.connections[0].closed_ns.has_value());
}

TEST_F(RecordClose, UpstreamCloseIsMirroredToTheClientAndRecorded) {
  TestUpstream up;
  StartRecord(up.url());
  auto c = WsClient::Connect(url_ + "/x");
  ASSERT_TRUE(c->connected()) << c->error();
  c->SendText("cmd:close:4002:bye from upstream");
  EXPECT_EQ(c->WaitClosed(), 4002);
  EXPECT_EQ(c->close_reason(), "bye from upstream");
  ASSERT_EQ(StopRecord(), 0) << proc_->stderr_text();
  auto r = Read();
  EXPECT_EQ(r.connections[0].close_code, 4002);
  EXPECT_EQ(r.connections[0].close_reason, "bye from upstream");
  EXPECT_EQ(r.connections[0].close_initiator, "upstream");
  ASSERT_EQ(r.frames[0].size(), 1u);  // the command itself
}

TEST_F(RecordClose, OverCapMessageClosesBothLegsWith1009) {
  TestUpstream up;
  StartRecord(up.url(), {"--max-message-size", "1000"});
  auto c = WsClient::Connect(url_ + "/cap");
  ASSERT_TRUE(c->connected()) << c->error();
  c->SendText(std::string(1000, 'a'));  // exactly at the cap: fine
  auto m = c->Receive();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->data.size(), 1000u);
  c->SendBinary(std::string(2000, 'b'));
  EXPECT_EQ(c->WaitClosed(), 1009);
  EXPECT_NE(c->close_reason().find("too big"), std::string::npos) << c->close_reason();
  ASSERT_TRUE(up.WaitFor([](const auto& s) { return s[0].closed; }));
  EXPECT_EQ(up.connections()[0].close_code, 1009);
  EXPECT_EQ(up.connections()[0].messages.size(), 1u);
  ASSERT_EQ(StopRecord(), 0) << proc_->stderr_text();
  auto r = Read();
  EXPECT_EQ(r.connections[0].close_code, 1009);
  EXPECT_EQ(r.connections[0].close_initiator, "proxy");
  EXPECT_EQ(r.frames[0].size(), 2u);
}

TEST_F(RecordClose, RefusedHandshakeReachesTheClientAndIsRecorded) {
  TestUpstream up;
  StartRecord(up.url());
  // The upgrade stays pending until the upstream answers, so its refusal is what the client
  // gets: the same HTTP status, not a 101 followed by a close.
  auto c = WsClient::Connect(url_ + "/refuse?api_key=nope");
  EXPECT_FALSE(c->connected());
  EXPECT_EQ(NodeProbe(url_ + "/refuse/again"), "http 403\n");
  ASSERT_EQ(StopRecord(), 0) << proc_->stderr_text();
  auto r = Read();
  ASSERT_EQ(r.connections.size(), 2u);
  EXPECT_EQ(r.connections[0].http_status, 403);
  // As the upstream (an lws server) sent it, HTTP/1.0 status line included.
  EXPECT_EQ(r.connections[0].response_head.rfind("HTTP/1.0 403 Forbidden\r\n", 0), 0u)
      << r.connections[0].response_head;
  EXPECT_FALSE(r.connections[0].close_code.has_value());
  EXPECT_EQ(r.connections[0].close_initiator, "upstream");
}

TEST_F(RecordClose, UnreachableUpstreamIsA502ForTheClientAndIsRecorded) {
  StartRecord("ws://127.0.0.1:" + std::to_string(DeadPort()));
  EXPECT_EQ(NodeProbe(url_ + "/x"), "http 502\n");
  ASSERT_EQ(StopRecord(), 0) << proc_->stderr_text();
  auto r = Read();
  ASSERT_EQ(r.connections.size(), 1u);
  EXPECT_EQ(r.connections[0].http_status, 502);
  EXPECT_NE(r.connections[0].error.find("unreachable"), std::string::npos)
      << r.connections[0].error;
  EXPECT_EQ(r.connections[0].close_initiator, "proxy");
  ASSERT_TRUE(r.connections[0].response_body.has_value());
  EXPECT_EQ(r.connections[0].response_body->rfind("wsreplay: upstream ", 0), 0u);
}

TEST_F(RecordClose, UpstreamDyingMidSessionIsRecordedAs1006) {
  TestUpstream up;
  StartRecord(up.url());
  auto c = WsClient::Connect(url_ + "/x");
  ASSERT_TRUE(c->connected()) << c->error();
  c->SendText("before");
  ASSERT_TRUE(c->Receive());
  c->SendText("cmd:drop");
  EXPECT_EQ(c->WaitClosed(), 1006);
  ASSERT_EQ(StopRecord(), 0) << proc_->stderr_text();
  auto r = Read();
  EXPECT_EQ(r.connections[0].close_code, 1006);
  EXPECT_EQ(r.connections[0].close_initiator, "upstream");
  EXPECT_EQ(r.frames[0].size(), 3u);
}

TEST_F(RecordClose, ClientVanishingIsRecordedAs1006AndDropsTheUpstream) {
  TestUpstream up;
  StartRecord(up.url());
  auto c = WsClient::Connect(url_ + "/x");
  ASSERT_TRUE(c->connected()) << c->error();
  c->SendText("before");
  ASSERT_TRUE(c->Receive());
  c->Abort();
  ASSERT_TRUE(up.WaitFor([](const auto& s) { return s[0].closed; }));
  EXPECT_FALSE(up.connections()[0].close_code.has_value());  // no close frame: 1006 there too
  ASSERT_EQ(StopRecord(), 0) << proc_->stderr_text();
  auto r = Read();
  EXPECT_EQ(r.connections[0].close_code, 1006);
  EXPECT_EQ(r.connections[0].close_initiator, "client");
}

}  // namespace
}  // namespace wsr::testing
