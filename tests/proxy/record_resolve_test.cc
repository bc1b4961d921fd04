// record's upstream lookup, off its loop: a RelayServer in this process, real sockets on
// 127.0.0.1 and a real upstream (TestUpstream), with the host-name lookup injected
// (RelayServer::Options::lookup) so that no test talks to a DNS server: a name that does not
// resolve (`no-such-host.invalid` is sent to the network's DNS server by this machine's
// glibc, so its failure is injected), a lookup held at a gate (a slow DNS server), and one
// that never ends during the test (a dead one). What a client sees and what the cassette holds.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cassettes/cassette.h"
#include "cassettes/writer.h"
#include "common/clock.h"
#include "common/tcp_socket.h"
#include "common/url.h"
#include "proxy/relay_server.h"
#include "recorder/redactor.h"
#include "tests/proxy/upstream_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/ws_client.h"

namespace wsr::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

const char kUpgrade[] =
    "GET /socket HTTP/1.1\r\n"
    "Host: relay\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

// The injected lookup: "upstream.test" is 127.0.0.1, anything else does not resolve. While
// the gate is closed a lookup waits at it. Shared with the resolver's worker thread, which may
// outlive the relay: held by shared_ptr.
struct FakeDns {
  std::mutex mu;
  int calls = 0;
  bool gated = false;
  std::promise<void> open_gate;
  std::shared_future<void> gate = open_gate.get_future().share();
  std::atomic<bool> opened{false};

  void Open() {
    if (!opened.exchange(true)) open_gate.set_value();
  }
  int Calls() {
    std::lock_guard<std::mutex> lock(mu);
    return calls;
  }
  static AsyncResolver::Lookup Make(std::shared_ptr<FakeDns> dns) {
    return [dns](const std::string& host, int port, std::string* error) {
      bool gated = false;
      {
        std::lock_guard<std::mutex> lock(dns->mu);
        ++dns->calls;
        gated = dns->gated;
      }
      if (gated) dns->gate.wait();
      std::vector<TcpAddress> out;
      if (host != "upstream.test" || !ResolveTcpLiteral("127.0.0.1", port, &out)) {
        *error = "Name or service not known";
      }
      return out;
    };
  }
};

// A plain TCP client of the relay (blocking, 10 s receive timeout).
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  }
  ~RawClient() { Close(); }
  bool connected() const { return connected_; }
  void Send(const std::string& bytes) {
    ASSERT_EQ(send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // Reads until the response head is complete (or EOF / timeout).
  std::string ReadHead() {
    while (got_.find("\r\n\r\n") == std::string::npos && ReadSome()) {
    }
    return got_;
  }
  // Reads until the relay closes the connection (or the timeout): everything received.
  std::string ReadAll() {
    while (ReadSome()) {
    }
    return got_;
  }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  bool ReadSome() {
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    got_.append(buf, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  bool connected_ = false;
  std::string got_;
};

std::string BodyOf(const std::string& response) {
  size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

// A relay towards `upstream` (host upstream.test or another name) recording into a cassette,
// its loop on a thread of its own.
class RecordResolve : public ::testing::Test {
 protected:
  void StartRelay(const std::string& upstream, int64_t upstream_timeout_ns = 10'000'000'000) {
    cassette::Session s;
    s.name = "resolve";
    s.source = "record";
    writer_ = std::make_unique<cassette::CassetteWriter>(path_, s);
    rec_.redactor = &redactor_;
    rec_.session_start_ns = clock_.NowNs();
    proxy::RelayServer::Options o;
    o.listen = ParseListenAddr("127.0.0.1:0");
    o.upstream = ParseWsUrl(upstream);
    o.upstream_timeout_ns = upstream_timeout_ns;
    o.lookup = FakeDns::Make(dns_);
    relay_ = std::make_unique<proxy::RelayServer>(o, rec_);
    relay_->Start();
    relay_->SetRecording(writer_.get(), rec_.session_start_ns);
    thread_ = std::thread([this] { relay_->Run(); });
  }
  // Stops the relay; how long Run() took to return after Stop().
  steady_clock::duration StopRelay() {
    const auto began = steady_clock::now();
    relay_->Stop();
    thread_.join();
    const auto took = steady_clock::now() - began;
    relay_.reset();
    EXPECT_TRUE(writer_->Stop(clock_.NowNs() - rec_.session_start_ns)) << writer_->error();
    writer_.reset();
    return took;
  }
  std::vector<cassette::Connection> Recorded() {
    auto c = cassette::Cassette::Open(path_, cassette::Cassette::Mode::kReadOnly);
    return c->Connections(c->ResolveSession(std::nullopt).id);
  }
  // The one connection recorded (after StopRelay), answered by the proxy itself with `status`.
  cassette::Connection RecordedProxyAnswer(int status) {
    auto conns = Recorded();
    EXPECT_EQ(conns.size(), 1u);
    if (conns.empty()) return {};
    EXPECT_EQ(conns[0].http_status, status);
    EXPECT_EQ(conns[0].close_initiator, "proxy");
    return conns[0];
  }
  void TearDown() override {
    dns_->Open();  // a lookup still at the gate ends (the worker outlives the relay)
    if (relay_) StopRelay();
  }
  // Waits until the (gated) lookup was called once.
  void WaitForLookup() {
    const auto deadline = steady_clock::now() + std::chrono::seconds(5);
    while (dns_->Calls() == 0 && steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    ASSERT_EQ(dns_->Calls(), 1);
  }
  std::string Url(const std::string& path) const {
    return "ws://127.0.0.1:" + std::to_string(relay_->port()) + path;
  }

  std::shared_ptr<FakeDns> dns_ = std::make_shared<FakeDns>();
  TempDir dir_;
  std::string path_ = dir_.File("resolve.cassette");
  SteadyClock clock_;
  Redactor redactor_;
  recorder::RecordingContext rec_;
  std::unique_ptr<cassette::CassetteWriter> writer_;
  std::unique_ptr<proxy::RelayServer> relay_;
  std::thread thread_;
};

TEST_F(RecordResolve, AnUnresolvableUpstreamIsA502WithOneLineAndIsRecorded) {
  StartRelay("ws://no-such-host.invalid:4000/prefix");
  RawClient c(relay_->port());
  ASSERT_TRUE(c.connected());
  c.Send(kUpgrade);
  const std::string response = c.ReadAll();
  EXPECT_EQ(response.rfind("HTTP/1.1 502 ", 0), 0u) << response;
  const std::string body = BodyOf(response);
  EXPECT_EQ(body,
            "wsreplay: upstream ws://no-such-host.invalid:4000/prefix unreachable: cannot resolve "
            "no-such-host.invalid: Name or service not known\n");
  StopRelay();
  const cassette::Connection conn = RecordedProxyAnswer(502);
  EXPECT_NE(conn.error.find("cannot resolve no-such-host.invalid"), std::string::npos)
      << conn.error;
  ASSERT_TRUE(conn.response_body.has_value());
  EXPECT_EQ(*conn.response_body, body);
  EXPECT_EQ(dns_->Calls(), 1);
}

// A slow lookup holds up only the connections that need it: another client is answered
// meanwhile, the waiting clients share the one lookup, and the next connection after it
// reuses its answer.
TEST_F(RecordResolve, ALookupUnderWayHoldsUpNoOtherClientAndIsShared) {
  TestUpstream up;
  dns_->gated = true;
  StartRelay("ws://upstream.test:" + std::to_string(up.port()));
  RawClient a(relay_->port()), b(relay_->port());
  ASSERT_TRUE(a.connected());
  ASSERT_TRUE(b.connected());
  a.Send(kUpgrade);
  b.Send(kUpgrade);
  WaitForLookup();
  // While they wait for the lookup, a bad request on a third connection is answered at once.
  const auto began = steady_clock::now();
  RawClient bad(relay_->port());
  bad.Send("NOT HTTP\r\n\r\n");
  EXPECT_EQ(bad.ReadAll().rfind("HTTP/1.1 400 ", 0), 0u);
  EXPECT_LT(steady_clock::now() - began, std::chrono::seconds(2));
  EXPECT_TRUE(up.connections().empty());

  dns_->Open();
  EXPECT_EQ(a.ReadHead().rfind("HTTP/1.1 101 ", 0), 0u);
  EXPECT_EQ(b.ReadHead().rfind("HTTP/1.1 101 ", 0), 0u);
  ASSERT_TRUE(up.WaitFor([](const auto& s) { return s.size() == 2; }));

  // A reconnect: answered from the cache, no second lookup; frames relayed as usual.
  auto c = WsClient::Connect(Url("/again"));
  ASSERT_TRUE(c->connected()) << c->error();
  c->SendText("cached");
  auto m = c->Receive();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->data, "cached");
  EXPECT_EQ(dns_->Calls(), 1);
  c->Close(1000, "");
  c->WaitClosed();
  a.Close();
  b.Close();
  StopRelay();
  auto conns = Recorded();
  ASSERT_EQ(conns.size(), 3u);  // the bad request is not recorded
  for (const auto& conn : conns) EXPECT_EQ(conn.http_status, 101);
}

// A client that leaves while its upstream's name is looked up: its connection ends at once
// (recorded as the client's), the late answer is dropped, and the relay goes on serving.
TEST_F(RecordResolve, AClientLeavingDuringTheLookupEndsItsConnectionAndTheAnswerIsDropped) {
  TestUpstream up;
  dns_->gated = true;
  StartRelay("ws://upstream.test:" + std::to_string(up.port()));
  {
    RawClient gone(relay_->port());
    gone.Send(kUpgrade);
    WaitForLookup();
  }
  std::this_thread::sleep_for(milliseconds(100));  // the relay sees the client's TCP end
  dns_->Open();
  auto c = WsClient::Connect(Url("/after"));
  ASSERT_TRUE(c->connected()) << c->error();
  c->SendText("still serving");
  auto m = c->Receive();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->data, "still serving");
  c->Close(1000, "");
  c->WaitClosed();
  // Both connections are over: nothing is left for the stop to wait for.
  EXPECT_LT(StopRelay(), std::chrono::seconds(2));
  // Only the second client reached the upstream.
  ASSERT_EQ(up.connections().size(), 1u);
  EXPECT_EQ(up.connections()[0].path, "/after");
  auto conns = Recorded();
  ASSERT_EQ(conns.size(), 2u);
  EXPECT_EQ(conns[0].close_initiator, "client");
  EXPECT_NE(conns[0].error.find("the client left before the upstream answered"), std::string::npos)
      << conns[0].error;
  EXPECT_EQ(conns[1].http_status, 101);
}

// --upstream-timeout covers the lookup: a client whose lookup does not finish in time gets a
// 504 saying so, recorded.
TEST_F(RecordResolve, TheUpstreamTimeoutCoversTheLookup) {
  dns_->gated = true;
  StartRelay("ws://upstream.test:4000", 300'000'000);
  RawClient c(relay_->port());
  const auto began = steady_clock::now();
  c.Send(kUpgrade);
  const std::string response = c.ReadAll();
  const auto took = steady_clock::now() - began;
  EXPECT_GE(took, milliseconds(250));
  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_EQ(response.rfind("HTTP/1.1 504 ", 0), 0u) << response;
  EXPECT_EQ(BodyOf(response),
            "wsreplay: upstream ws://upstream.test:4000 did not answer the upgrade within 300 ms "
            "(its host name lookup had not finished)\n");
  StopRelay();
  EXPECT_NE(RecordedProxyAnswer(504).error.find("host name lookup had not finished"),
            std::string::npos);
}

// Stopping (as SIGINT does) while a lookup never ends (a dead DNS server): the waiting client
// gets the shutdown's 503 and Run() returns at once, not when the lookup gives up.
TEST_F(RecordResolve, StoppingDoesNotWaitForALookupThatDoesNotEnd) {
  dns_->gated = true;
  StartRelay("ws://upstream.test:4000");
  RawClient c(relay_->port());
  c.Send(kUpgrade);
  WaitForLookup();
  const auto took = StopRelay();  // the gate still closed
  EXPECT_LT(took, std::chrono::seconds(2));
  EXPECT_EQ(c.ReadAll().rfind("HTTP/1.1 503 ", 0), 0u);
  RecordedProxyAnswer(503);
}

}  // namespace
}  // namespace wsr::testing
