// `wsreplay record`: how connections end (close mirroring, caps, refusals, dead peers).
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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
  ~SilentUpstream() { close(fd_); }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_); }

 private:
  int port_ = 0;
  int fd_ = -1;
};

TEST_F(RecordClose, ClientClosingWhileTheUpstreamConnectsAndStopDuringConnect) {
  SilentUpstream silent;
  StartRecord(silent.url());
  auto early = WsClient::Connect(url_ + "/early");
  ASSERT_TRUE(early->connected()) << early->error();
  early->SendText("sent before the upstream answered");
  early->Close(4005, "early");
  EXPECT_EQ(early->WaitClosed(), 4005);
  auto waiting = WsClient::Connect(url_ + "/waiting");
  ASSERT_TRUE(waiting->connected()) << waiting->error();
  EXPECT_EQ(StopRecord(), 0) << proc_->stderr_text();
  EXPECT_EQ(waiting->WaitClosed(), 1001);
  auto r = Read();
  ASSERT_EQ(r.connections.size(), 2u);
  EXPECT_EQ(r.connections[0].close_code, 4005);
  EXPECT_EQ(r.connections[0].close_initiator, "client");
  EXPECT_FALSE(r.connections[0].http_status.has_value());
  EXPECT_EQ(r.frames[0].size(), 1u);
  EXPECT_EQ(r.connections[1].close_code, 1001);
  EXPECT_EQ(r.connections[1].close_initiator, "proxy");
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

// Runs close_probe.js (Node `ws`) against url; returns its output, e.g. "open\nclose 1014 why\n".
std::string NodeProbe(const std::string& url) {
  auto res = Run({"node", SourceDir() + "/tests/proxy/close_probe.js", url, SourceDir()}, {},
                 std::chrono::seconds(30));
  return res.out;
}

TEST_F(RecordClose, RefusedHandshakeReachesTheClientAndIsRecorded) {
  TestUpstream up;
  StartRecord(up.url());
  auto c = WsClient::Connect(url_ + "/refuse?api_key=nope");
  // lws answers the client's upgrade before the upstream answers, so the refusal arrives as a
  // close naming the upstream status (see proxy/README.md).
  ASSERT_TRUE(c->connected()) << c->error();
  // lws' client reports 1014 as 1002 (it rewrites codes it considers reserved); the reason
  // arrives intact. Node's `ws` below sees the real code.
  EXPECT_EQ(c->WaitClosed(), 1002);
  EXPECT_EQ(c->close_reason(), "upstream refused handshake: HTTP 403");
  EXPECT_EQ(NodeProbe(url_ + "/refuse/again"),
            "open\nclose 1014 upstream refused handshake: HTTP 403\n");
  ASSERT_EQ(StopRecord(), 0) << proc_->stderr_text();
  auto r = Read();
  ASSERT_EQ(r.connections.size(), 2u);
  EXPECT_EQ(r.connections[0].http_status, 403);
  EXPECT_FALSE(r.connections[0].error.empty());
  EXPECT_EQ(r.connections[0].close_code, 1014);
  EXPECT_EQ(r.connections[0].close_initiator, "proxy");
}

TEST_F(RecordClose, UnreachableUpstreamReachesTheClientAndIsRecorded) {
  StartRecord("ws://127.0.0.1:" + std::to_string(DeadPort()));
  auto c = WsClient::Connect(url_ + "/x");
  ASSERT_TRUE(c->connected()) << c->error();
  EXPECT_EQ(c->WaitClosed(), 1002);  // 1014 on the wire, see above
  EXPECT_NE(c->close_reason().find("upstream unreachable"), std::string::npos) << c->close_reason();
  ASSERT_EQ(StopRecord(), 0) << proc_->stderr_text();
  auto r = Read();
  ASSERT_EQ(r.connections.size(), 1u);
  EXPECT_FALSE(r.connections[0].http_status.has_value());
  EXPECT_FALSE(r.connections[0].error.empty());
  EXPECT_EQ(r.connections[0].close_code, 1014);
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
