// RelayConnection without sockets: scripted events in, commands and cassette rows out.
// Every close path (client first, upstream first, TCP ends, timeout, shutdown, too big),
// the handshake relayed byte for byte, refusals, backpressure and violations; and plain HTTP
// (the REST half): keep-alive, pipelining, chunked and Content-Length bodies, HEAD,
// 100-continue, 502/504, redaction and gzip in the recorded exchange.
#include "proxy/relay_connection.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <string>
#include <vector>

#include "recorder/redactor.h"
#include "wire/ws_parser.h"

namespace wsr::proxy {
namespace {
using cassette::Direction;

class MemorySink : public recorder::RowSink {
 public:
  void OpenConnection(const cassette::Connection& c) override { conn = c; }
  void UpdateConnection(const cassette::Connection& c) override { conn = c; }
  bool AddFrame(cassette::Frame f) override {
    frames.push_back(std::move(f));
    return !full;
  }
  bool AddExchange(cassette::Exchange e) override {
    exchanges.push_back(std::move(e));
    return !full;
  }
  cassette::Connection conn;
  std::vector<cassette::Frame> frames;
  std::vector<cassette::Exchange> exchanges;
  bool full = false;
};

// What one event asked for, gathered.
struct Out {
  std::string to_client, to_upstream;
  bool connect = false, close_client = false, close_upstream = false, set_timer = false,
       cancel_timer = false;
  int64_t timer_deadline = 0;
  int pause = 0, resume = 0;
};

Out Gather(const std::vector<RelayCommand>& cmds) {
  Out o;
  for (const auto& c : cmds) {
    switch (c.kind) {
      case RelayCommand::Kind::kSend:
        (c.side == Side::kClient ? o.to_client : o.to_upstream) += std::string(c.bytes());
        break;
      case RelayCommand::Kind::kConnectUpstream:
        o.connect = true;
        break;
      case RelayCommand::Kind::kClose:
        (c.side == Side::kClient ? o.close_client : o.close_upstream) = true;
        break;
      case RelayCommand::Kind::kSetTimer:
        o.set_timer = true;
        o.timer_deadline = c.deadline_ns;
        break;
      case RelayCommand::Kind::kCancelTimer:
        o.cancel_timer = true;
        break;
      case RelayCommand::Kind::kPauseReading:
        ++o.pause;
        break;
      case RelayCommand::Kind::kResumeReading:
        ++o.resume;
        break;
      default:
        break;
    }
  }
  return o;
}

const uint8_t kKey[4] = {0x37, 0xfa, 0x21, 0x3d};

std::string ClientFrame(uint8_t opcode, std::string_view payload, bool fin = true) {
  return wire::EncodeFrame(opcode, payload, fin, kKey);
}
std::string ServerFrame(uint8_t opcode, std::string_view payload, bool fin = true) {
  return wire::EncodeFrame(opcode, payload, fin, nullptr);
}
std::string Close(uint16_t code, std::string_view reason, bool from_client) {
  std::string p = wire::EncodeClosePayload(code, reason);
  return from_client ? ClientFrame(8, p) : ServerFrame(8, p);
}

const char kRequest[] =
    "GET /api/v1/socket/websocket?api_key=SECRET&vsn=2.0.0 HTTP/1.1\r\n"
    "Host: 127.0.0.1:8765\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "X-Thenvoi-Client: test/1\r\n"
    "Authorization: Bearer TOPSECRET\r\n"
    "\r\n";
const char k101[] =
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    "X-Server-Id: s-42\r\n"
    "\r\n";

class RelayConnectionTest : public ::testing::Test {
 protected:
  RelayConnectionTest() {
    config_.upstream_base = "ws://up.test:4000/prefix";
    config_.upstream_origin = "ws://up.test:4000";
    config_.upstream_path_prefix = "/prefix";
    config_.upstream_host_header = "up.test:4000";
    config_.upstream_timeout_ns = 1'000'000'000;
    config_.mask_key = [](uint8_t key[4]) {
      for (int i = 0; i < 4; ++i) key[i] = static_cast<uint8_t>(0x10 + i);
    };
    ctx_.sink = &sink_;
    ctx_.redactor = &redactor_;
    ctx_.session_start_ns = 0;
    ctx_.max_message_size = 1024;
    conn_ = std::make_unique<RelayConnection>(config_, ctx_, 1, now_);
  }

  Out Client(std::string_view bytes) {
    return Gather(
        conn_->OnClientData(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), Tick()));
  }
  Out Upstream(std::string_view bytes) {
    return Gather(conn_->OnUpstreamData(reinterpret_cast<const uint8_t*>(bytes.data()),
                                        bytes.size(), Tick()));
  }
  int64_t Tick() { return now_ += 1000; }

  // Through the handshake to an open connection.
  void Open() {
    Out a = Client(kRequest);
    ASSERT_TRUE(a.connect);
    Out b = Gather(conn_->OnUpstreamConnected(Tick()));
    ASSERT_FALSE(b.to_upstream.empty());
    Out c = Upstream(k101);
    ASSERT_EQ(c.to_client, k101);
  }

  RelayConfig config_;
  MemorySink sink_;
  Redactor redactor_;
  recorder::RecordingContext ctx_;
  int64_t now_ = 1'000'000;
  std::unique_ptr<RelayConnection> conn_;
};

TEST_F(RelayConnectionTest, RequestHeadGoesUpstreamAsReceivedExceptHostAndTarget) {
  std::string req = kRequest;
  Out a = Client(req.substr(0, 40));
  EXPECT_FALSE(a.connect);  // the head is not complete yet
  a = Client(req.substr(40));
  EXPECT_TRUE(a.connect);
  EXPECT_TRUE(a.set_timer);
  EXPECT_TRUE(a.to_upstream.empty());  // not before the upstream connected
  Out b = Gather(conn_->OnUpstreamConnected(Tick()));
  std::string expected = req;
  expected.replace(expected.find("/api/v1"), 0, "/prefix");
  expected.replace(expected.find("127.0.0.1:8765"), 14, "up.test:4000");
  EXPECT_EQ(b.to_upstream, expected);  // secrets are forwarded: the upstream authenticates
  // The cassette has the head with the secrets redacted.
  EXPECT_NE(sink_.conn.request_head.find("X-Thenvoi-Client: test/1"), std::string::npos);
  EXPECT_EQ(sink_.conn.request_head.find("TOPSECRET"), std::string::npos);
  EXPECT_EQ(sink_.conn.request_head.find("SECRET&"), std::string::npos);
  EXPECT_EQ(sink_.conn.path, "/api/v1/socket/websocket");
  EXPECT_EQ(sink_.conn.upstream_url.rfind("ws://up.test:4000/prefix/api/v1/socket/websocket?", 0),
            0u);
}

TEST_F(RelayConnectionTest, The101AndFramesInTheSameReadReachTheClientUnchanged) {
  Client(kRequest);
  conn_->OnUpstreamConnected(Tick());
  std::string push = ServerFrame(1, R"([null,null,"agent_rooms:a","room_added",{}])");
  Out o = Upstream(std::string(k101) + push);
  EXPECT_EQ(o.to_client, std::string(k101) + push);
  EXPECT_TRUE(o.cancel_timer);
  EXPECT_EQ(sink_.conn.http_status, 101);
  EXPECT_NE(sink_.conn.response_head.find("X-Server-Id: s-42"), std::string::npos);
  ASSERT_EQ(sink_.frames.size(), 1u);
  EXPECT_EQ(sink_.frames[0].direction, Direction::kServerToClient);
  EXPECT_EQ(sink_.frames[0].payload, R"([null,null,"agent_rooms:a","room_added",{}])");
}

TEST_F(RelayConnectionTest, FramesPassByteForByteAndAreRecordedUnmaskedAndReassembled) {
  Open();
  std::string wire = ClientFrame(1, "Hel", false) + ClientFrame(9, "p") + ClientFrame(0, "lo");
  // Split at every byte boundary: the bytes forwarded are always exactly the bytes read.
  for (size_t i = 0; i < wire.size(); ++i) {
    Out o = Client(wire.substr(i, 1));
    EXPECT_EQ(o.to_upstream, wire.substr(i, 1));
  }
  ASSERT_EQ(sink_.frames.size(), 2u);
  EXPECT_EQ(sink_.frames[0].opcode, 9);  // the ping came between the fragments
  EXPECT_EQ(sink_.frames[0].payload, "p");
  EXPECT_EQ(sink_.frames[1].opcode, 1);
  EXPECT_EQ(sink_.frames[1].payload, "Hello");
  EXPECT_EQ(sink_.frames[1].fragments, (std::vector<uint32_t>{3, 2}));
  EXPECT_EQ(sink_.frames[1].direction, Direction::kClientToServer);
}

TEST_F(RelayConnectionTest, UpstreamCloseFirstIsRelayedAndRecordedWithItsCode) {
  Open();
  std::string close = Close(1012, "Service Restart", false);
  Out o = Upstream(close);
  EXPECT_EQ(o.to_client, close);
  EXPECT_FALSE(o.close_client);
  EXPECT_EQ(sink_.conn.close_code, 1012);
  EXPECT_EQ(sink_.conn.close_reason, "Service Restart");
  EXPECT_EQ(sink_.conn.close_initiator, "upstream");
  std::string echo = Close(1012, "Service Restart", true);
  EXPECT_EQ(Client(echo).to_upstream, echo);
  EXPECT_EQ(sink_.conn.close_initiator, "upstream");  // the first close wins
  Out e = Gather(conn_->OnClosed(Side::kUpstream, Tick()));
  EXPECT_TRUE(e.close_client);
  EXPECT_FALSE(conn_->finished());
  conn_->OnClosed(Side::kClient, Tick());
  EXPECT_TRUE(conn_->finished());
  EXPECT_TRUE(sink_.conn.closed_ns.has_value());
  ASSERT_EQ(sink_.frames.size(), 2u);
  EXPECT_EQ(sink_.frames[0].opcode, 8);
  EXPECT_EQ(sink_.frames[0].direction, Direction::kServerToClient);
}

TEST_F(RelayConnectionTest, ClientCloseFirstWithAPrivateCode) {
  Open();
  std::string close = Close(4001, "client done", true);
  EXPECT_EQ(Client(close).to_upstream, close);
  EXPECT_EQ(sink_.conn.close_code, 4001);
  EXPECT_EQ(sink_.conn.close_initiator, "client");
}

// The client sends its close frame and drops TCP at once (phoenix.js, `ws` on exit): the
// upstream's answer comes later and is still recorded, though nobody is left to relay it to.
TEST_F(RelayConnectionTest, ClientCloseThenTcpEndStillRecordsTheUpstreamsAnswer) {
  Open();
  std::string close = Close(1000, "bye", true);
  EXPECT_EQ(Client(close).to_upstream, close);
  Out o = Gather(conn_->OnClosed(Side::kClient, Tick()));
  EXPECT_FALSE(o.close_upstream);
  EXPECT_TRUE(o.set_timer);
  EXPECT_EQ(o.timer_deadline, now_ + kCloseLingerNs);
  EXPECT_FALSE(conn_->finished());
  // A push already in flight, then the answer, split across reads.
  std::string push = ServerFrame(1, "late push");
  std::string echo = Close(1000, "bye", false);
  Out a = Upstream(push + echo.substr(0, 3));
  EXPECT_TRUE(a.to_client.empty());
  EXPECT_FALSE(a.close_upstream);
  Out b = Upstream(echo.substr(3));
  EXPECT_TRUE(b.to_client.empty());
  EXPECT_TRUE(b.close_upstream);  // its close frame came: nothing more to wait for
  EXPECT_TRUE(b.cancel_timer);
  conn_->OnClosed(Side::kUpstream, Tick());
  EXPECT_TRUE(conn_->finished());
  ASSERT_EQ(sink_.frames.size(), 3u);
  EXPECT_EQ(sink_.frames[1].payload, "late push");
  EXPECT_EQ(sink_.frames[2].opcode, 8);
  EXPECT_EQ(sink_.frames[2].direction, Direction::kServerToClient);
  EXPECT_EQ(sink_.frames[2].payload, wire::EncodeClosePayload(1000, "bye"));
  EXPECT_EQ(sink_.conn.close_code, 1000);  // the connection's close is still the client's
  EXPECT_EQ(sink_.conn.close_reason, "bye");
  EXPECT_EQ(sink_.conn.close_initiator, "client");
  EXPECT_TRUE(sink_.conn.closed_ns.has_value());
}

TEST_F(RelayConnectionTest, AnUpstreamThatDoesNotAnswerTheCloseIsClosedAfterTheLinger) {
  Open();
  Client(Close(4001, "client done", true));
  conn_->OnClosed(Side::kClient, Tick());
  EXPECT_FALSE(Upstream(ServerFrame(1, "still talking")).close_upstream);
  Out t = Gather(conn_->OnTimer(Tick()));
  EXPECT_TRUE(t.close_upstream);
  EXPECT_TRUE(Upstream(ServerFrame(1, "after the close")).to_client.empty());
  conn_->OnClosed(Side::kUpstream, Tick());
  EXPECT_TRUE(conn_->finished());
  ASSERT_EQ(sink_.frames.size(), 2u);  // the client's close and "still talking"
  EXPECT_EQ(sink_.conn.close_code, 4001);
  EXPECT_EQ(sink_.conn.close_initiator, "client");
}

TEST_F(RelayConnectionTest, ALingeringUpstreamEndingItsTcpEndsTheLingerAndAShutdownWaitsForIt) {
  Open();
  Client(Close(1000, "", true));
  conn_->OnClosed(Side::kClient, Tick());
  Out e = Gather(conn_->OnClosed(Side::kUpstream, Tick()));  // no close frame: TCP end
  EXPECT_TRUE(e.cancel_timer);
  EXPECT_TRUE(conn_->finished());
  EXPECT_EQ(sink_.conn.close_code, 1000);
  EXPECT_EQ(sink_.conn.close_initiator, "client");

  conn_ = std::make_unique<RelayConnection>(config_, ctx_, 2, now_);
  Open();
  Client(Close(1000, "", true));
  conn_->OnClosed(Side::kClient, Tick());
  Out s = Gather(conn_->OnShutdown(Tick()));
  EXPECT_FALSE(s.close_upstream);      // its answer is still awaited, bounded by the linger
  EXPECT_TRUE(s.to_upstream.empty());  // already in its closing handshake: no 1001 frame
  EXPECT_TRUE(Gather(conn_->OnTimer(Tick())).close_upstream);
  EXPECT_EQ(sink_.conn.close_code, 1000);
}

// A stop right after the client's close frame (before its TCP end was read): the upstream's
// answer is still relayed and recorded, then both sides are closed without a 1001 frame.
TEST_F(RelayConnectionTest, AShutdownMidClosingHandshakeWaitsForTheAnswer) {
  Open();
  Client(Close(1000, "done", true));
  Out s = Gather(conn_->OnShutdown(Tick()));
  EXPECT_FALSE(s.close_upstream);
  EXPECT_FALSE(s.close_client);
  EXPECT_TRUE(s.set_timer);
  std::string echo = Close(1000, "done", false);
  Out a = Upstream(echo);
  EXPECT_EQ(a.to_client, echo);  // relayed as read, no 1001 frame after it
  EXPECT_TRUE(a.close_client);
  EXPECT_TRUE(a.close_upstream);
  EXPECT_EQ(sink_.frames.back().direction, Direction::kServerToClient);
  EXPECT_EQ(sink_.conn.close_code, 1000);
  EXPECT_EQ(sink_.conn.close_initiator, "client");
}

TEST_F(RelayConnectionTest, AClientTcpEndWithoutACloseFrameClosesTheUpstreamAtOnce) {
  Open();
  Out o = Gather(conn_->OnClosed(Side::kClient, Tick()));
  EXPECT_TRUE(o.close_upstream);
  EXPECT_FALSE(o.set_timer);
  EXPECT_EQ(sink_.conn.close_code, 1006);
  EXPECT_EQ(sink_.conn.close_initiator, "client");
}

// The symmetric case: the upstream sends its close frame and drops TCP at once (`ws` failing
// a connection); the client's answer is recorded too, and its TCP closed after it.
TEST_F(RelayConnectionTest, UpstreamCloseThenTcpEndStillRecordsTheClientsAnswer) {
  Open();
  std::string close = Close(1002, "", false);
  EXPECT_EQ(Upstream(close).to_client, close);
  Out o = Gather(conn_->OnClosed(Side::kUpstream, Tick()));
  EXPECT_FALSE(o.close_client);
  EXPECT_TRUE(o.set_timer);
  Out a = Client(Close(1002, "", true));
  EXPECT_TRUE(a.to_upstream.empty());
  EXPECT_TRUE(a.close_client);
  conn_->OnClosed(Side::kClient, Tick());
  EXPECT_TRUE(conn_->finished());
  ASSERT_EQ(sink_.frames.size(), 2u);
  EXPECT_EQ(sink_.frames[1].opcode, 8);
  EXPECT_EQ(sink_.frames[1].direction, Direction::kClientToServer);
  EXPECT_EQ(sink_.conn.close_code, 1002);
  EXPECT_EQ(sink_.conn.close_initiator, "upstream");
}

TEST_F(RelayConnectionTest, BothClosesCrossingKeepTheFirstOneSeen) {
  Open();
  Upstream(Close(1001, "going away", false));
  Client(Close(1000, "bye", true));
  EXPECT_EQ(sink_.conn.close_code, 1001);
  EXPECT_EQ(sink_.conn.close_initiator, "upstream");
}

TEST_F(RelayConnectionTest, TcpEndWithoutACloseFrameIs1006AgainstThatSide) {
  Open();
  Out o = Gather(conn_->OnClosed(Side::kUpstream, Tick()));
  EXPECT_TRUE(o.close_client);
  EXPECT_EQ(sink_.conn.close_code, 1006);
  EXPECT_EQ(sink_.conn.close_initiator, "upstream");
}

TEST_F(RelayConnectionTest, NoAnswerWithinTheTimeoutIsA504) {
  Client(kRequest);
  conn_->OnUpstreamConnected(Tick());
  Out o = Gather(conn_->OnTimer(Tick()));
  EXPECT_EQ(o.to_client.rfind("HTTP/1.1 504 ", 0), 0u) << o.to_client;
  EXPECT_NE(o.to_client.find("did not answer the upgrade within 1000 ms"), std::string::npos);
  EXPECT_TRUE(o.close_client);
  EXPECT_TRUE(o.close_upstream);
  EXPECT_EQ(sink_.conn.http_status, 504);
  EXPECT_EQ(sink_.conn.close_initiator, "proxy");
}

// The upstream's name lookup is part of kConnecting: the transport reports its end
// (OnUpstreamResolved) and a timeout before it says the lookup had not finished.
TEST_F(RelayConnectionTest, ATimeoutDuringTheUpstreamsLookupSaysSo) {
  EXPECT_FALSE(conn_->upstream_resolving());
  Out a = Client(kRequest);
  ASSERT_TRUE(a.connect);
  ASSERT_TRUE(a.set_timer);
  EXPECT_TRUE(conn_->upstream_resolving());
  Out o = Gather(conn_->OnTimer(Tick()));
  EXPECT_EQ(o.to_client.rfind("HTTP/1.1 504 ", 0), 0u) << o.to_client;
  EXPECT_NE(o.to_client.find("did not answer the upgrade within 1000 ms (its host name lookup "
                             "had not finished)\n"),
            std::string::npos)
      << o.to_client;
  EXPECT_TRUE(o.close_client);
  EXPECT_TRUE(o.close_upstream);  // the transport drops the lookup and reports the end:
  Out f =
      Gather(conn_->OnUpstreamConnectFailed("closed while its host name was looked up", Tick()));
  EXPECT_TRUE(f.to_client.empty());
  EXPECT_FALSE(conn_->upstream_resolving());
  EXPECT_EQ(sink_.conn.http_status, 504);
  conn_->OnClosed(Side::kClient, Tick());
  EXPECT_TRUE(conn_->finished());
}

TEST_F(RelayConnectionTest, OnceResolvedATimeoutIsTheUpstreamsAlone) {
  Client(kRequest);
  conn_->OnUpstreamResolved();
  EXPECT_FALSE(conn_->upstream_resolving());
  Out o = Gather(conn_->OnTimer(Tick()));
  EXPECT_NE(o.to_client.find("did not answer the upgrade within 1000 ms\n"), std::string::npos)
      << o.to_client;
}

TEST_F(RelayConnectionTest, AClientLeavingDuringTheLookupClosesTheUpstreamThatIsNotThereYet) {
  Client(kRequest);
  ASSERT_TRUE(conn_->upstream_resolving());
  Out o = Gather(conn_->OnClosed(Side::kClient, Tick()));
  EXPECT_TRUE(o.close_upstream);
  EXPECT_TRUE(o.cancel_timer);
  EXPECT_FALSE(conn_->finished());  // until the transport reports the upstream's end
  Out f =
      Gather(conn_->OnUpstreamConnectFailed("closed while its host name was looked up", Tick()));
  EXPECT_TRUE(f.to_client.empty());
  EXPECT_TRUE(conn_->finished());
  EXPECT_EQ(sink_.conn.close_initiator, "client");
}

TEST_F(RelayConnectionTest, AnUnreachableUpstreamIsA502) {
  Client(kRequest);
  Out o = Gather(conn_->OnUpstreamConnectFailed("connection refused", Tick()));
  EXPECT_EQ(o.to_client.rfind("HTTP/1.1 502 ", 0), 0u);
  EXPECT_NE(o.to_client.find("connection refused"), std::string::npos);
  EXPECT_EQ(sink_.conn.http_status, 502);
  EXPECT_EQ(sink_.conn.close_initiator, "proxy");
  EXPECT_FALSE(sink_.conn.error.empty());
  conn_->OnClosed(Side::kClient, Tick());
  EXPECT_TRUE(conn_->finished());
}

TEST_F(RelayConnectionTest, ARefusalIsForwardedWithItsHeadersAndBody) {
  Client(kRequest);
  conn_->OnUpstreamConnected(Tick());
  std::string head =
      "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Type: application/json\r\n"
      "Content-Length: 28\r\n\r\n";
  std::string body = R"({"error":"slow down please"})";
  ASSERT_EQ(body.size(), 28u);
  Out a = Upstream(head + body.substr(0, 10));
  EXPECT_EQ(a.to_client, head + body.substr(0, 10));
  EXPECT_FALSE(a.close_client);
  Out b = Upstream(body.substr(10));
  EXPECT_EQ(b.to_client, body.substr(10));
  EXPECT_TRUE(b.close_client);
  EXPECT_EQ(sink_.conn.http_status, 429);
  EXPECT_EQ(sink_.conn.response_body, body);
  EXPECT_NE(sink_.conn.response_head.find("Retry-After: 7"), std::string::npos);
  EXPECT_EQ(sink_.conn.close_initiator, "upstream");
}

TEST_F(RelayConnectionTest, ShutdownClosesBothSidesWith1001) {
  Open();
  Out o = Gather(conn_->OnShutdown(Tick()));
  std::string payload = wire::EncodeClosePayload(1001, "wsreplay record is shutting down");
  EXPECT_EQ(o.to_client, wire::EncodeFrame(8, payload));
  const uint8_t key[4] = {0x10, 0x11, 0x12, 0x13};
  EXPECT_EQ(o.to_upstream, wire::EncodeFrame(8, payload, true, key));  // masked towards a server
  EXPECT_TRUE(o.close_client);
  EXPECT_TRUE(o.close_upstream);
  EXPECT_EQ(sink_.conn.close_code, 1001);
  EXPECT_EQ(sink_.conn.close_initiator, "proxy");
}

TEST_F(RelayConnectionTest, ShutdownMidFrameDropsWithoutAnInjectedFrame) {
  Open();
  std::string big = ServerFrame(2, std::string(500, 'x'));
  Upstream(big.substr(0, 100));  // the client has half a frame
  Out o = Gather(conn_->OnShutdown(Tick()));
  EXPECT_TRUE(o.to_client.empty());
  EXPECT_TRUE(o.close_client);
  EXPECT_FALSE(o.to_upstream.empty());  // the upstream's stream is at a frame boundary
}

TEST_F(RelayConnectionTest, AMessageOverTheCapIsCutAtItsFrameAndBothSidesGet1009) {
  Open();
  std::string small = ClientFrame(1, "ok");
  std::string big = ClientFrame(2, std::string(2000, 'b'));
  Out o = Client(small + big.substr(0, 50));
  EXPECT_EQ(o.to_upstream.substr(0, small.size()), small);
  std::string rest = o.to_upstream.substr(small.size());
  ASSERT_GE(rest.size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(rest[0]), 0x88);  // a close frame, not the big frame
  EXPECT_TRUE(o.close_upstream);
  EXPECT_TRUE(o.close_client);
  EXPECT_EQ(sink_.conn.close_code, 1009);
  EXPECT_EQ(sink_.conn.close_initiator, "proxy");
  ASSERT_EQ(sink_.frames.size(), 1u);  // "ok" only
}

TEST_F(RelayConnectionTest, AFullSinkPausesBothSidesUntilItDrains) {
  Open();
  EXPECT_FALSE(conn_->waiting_for_sink());  // the transport owes it no drained signal
  sink_.full = true;
  Out o = Upstream(ServerFrame(1, "a"));
  EXPECT_EQ(o.pause, 2);
  EXPECT_EQ(o.to_client, ServerFrame(1, "a"));  // what was read is still relayed
  EXPECT_TRUE(conn_->waiting_for_sink());
  sink_.full = false;
  Out d = Gather(conn_->OnSinkDrained(Tick()));
  EXPECT_EQ(d.resume, 2);
  EXPECT_FALSE(conn_->waiting_for_sink());
}

TEST_F(RelayConnectionTest, ViolationsAreRelayedAndMarked) {
  Open();
  std::string unmasked = ServerFrame(1, "no mask");  // a client frame must be masked
  EXPECT_EQ(Client(unmasked).to_upstream, unmasked);
  ASSERT_EQ(sink_.frames.size(), 1u);
  EXPECT_TRUE(sink_.frames[0].flags & cassette::kFrameViolation);
  EXPECT_FALSE(sink_.frames[0].note.empty());
  std::string one_byte_close = ClientFrame(8, "x");
  EXPECT_EQ(Client(one_byte_close).to_upstream, one_byte_close);
  ASSERT_EQ(sink_.frames.size(), 2u);
  EXPECT_TRUE(sink_.frames[1].flags & cassette::kFrameViolation);
}

TEST_F(RelayConnectionTest, PingsAndPongsAreRelayedAndRecordedWithTheirSender) {
  Open();
  EXPECT_EQ(Upstream(ServerFrame(9, "hb-1")).to_client, ServerFrame(9, "hb-1"));
  EXPECT_EQ(Client(ClientFrame(10, "hb-1")).to_upstream, ClientFrame(10, "hb-1"));
  ASSERT_EQ(sink_.frames.size(), 2u);
  EXPECT_EQ(sink_.frames[0].opcode, 9);
  EXPECT_EQ(sink_.frames[0].direction, Direction::kServerToClient);
  EXPECT_EQ(sink_.frames[1].opcode, 10);
  EXPECT_EQ(sink_.frames[1].direction, Direction::kClientToServer);
}

// ---------------- the REST half: plain HTTP/1.1 requests ----------------

std::string Gzip(const std::string& in) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

const char kGet[] =
    "GET /api/v1/agent/me?api_key=QSECRET&x=1 HTTP/1.1\r\n"
    "Host: 127.0.0.1:8765\r\n"
    "X-API-Key: KSECRET\r\n"
    "Accept: application/json\r\n"
    "\r\n";
const char kGetResponse[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 20\r\n"
    "\r\n"
    "{\"data\":{\"id\":\"a1\"}}";

TEST_F(RelayConnectionTest, APlainHttpRequestIsRelayedAndRecordedAsAnExchange) {
  Out a = Client(kGet);
  EXPECT_TRUE(a.connect);
  EXPECT_TRUE(a.set_timer);
  EXPECT_TRUE(a.to_upstream.empty()) << "not before the upstream connected";
  Out b = Gather(conn_->OnUpstreamConnected(Tick()));
  std::string expected = kGet;
  expected.replace(expected.find("/api/v1"), 0, "/prefix");
  expected.replace(expected.find("127.0.0.1:8765"), 14, "up.test:4000");
  EXPECT_EQ(b.to_upstream, expected) << "as received except Host and target; secrets forwarded";
  const int64_t requested = now_ - 1000;  // the head was complete at the first event
  Out c = Upstream(std::string(kGetResponse).substr(0, 75));  // the head and 4 body bytes
  EXPECT_TRUE(c.cancel_timer);
  EXPECT_TRUE(sink_.exchanges.empty()) << "recorded when the response is complete";
  Out d = Upstream(std::string(kGetResponse).substr(75));
  EXPECT_EQ(c.to_client + d.to_client, kGetResponse);
  EXPECT_FALSE(d.close_client) << "kept alive";
  ASSERT_EQ(sink_.exchanges.size(), 1u);
  const cassette::Exchange& e = sink_.exchanges[0];
  EXPECT_EQ(e.ordinal, 1);
  EXPECT_EQ(e.http_connection, 1);
  EXPECT_EQ(e.method, "GET");
  EXPECT_EQ(e.path, "/api/v1/agent/me");
  EXPECT_EQ(e.query.find("QSECRET"), std::string::npos);
  EXPECT_NE(e.query.find("api_key=redacted:api_key:"), std::string::npos);
  EXPECT_NE(e.query.find("&x=1"), std::string::npos);
  ASSERT_EQ(e.request_headers.size(), 3u);
  EXPECT_EQ(e.request_headers[1].first, "X-API-Key");
  EXPECT_EQ(e.request_headers[1].second.rfind("redacted:x-api-key:", 0), 0u);
  EXPECT_EQ(e.status, 200);
  EXPECT_EQ(e.response_body, "{\"data\":{\"id\":\"a1\"}}");
  EXPECT_EQ(e.initiator, "upstream");
  EXPECT_EQ(e.request_ns, requested);
  EXPECT_EQ(e.response_ns, now_);
  EXPECT_EQ(sink_.conn.ordinal, 0) << "no WebSocket connection row";
  EXPECT_EQ(ctx_.exchanges_begun, 1);
}

// The transport joins sends in a row to one side into one write (RelayServer::Apply): a
// response read in one go must come out as one run of sends, head and body, with no other
// command between them, so that it leaves in one system call and one TCP segment.
TEST_F(RelayConnectionTest, AResponseReadInOneGoIsOneRunOfSendsToTheClient) {
  Client(kGet);
  conn_->OnUpstreamConnected(Tick());
  const std::string response = kGetResponse;
  const auto& cmds = conn_->OnUpstreamData(reinterpret_cast<const uint8_t*>(response.data()),
                                           response.size(), Tick());
  size_t first = cmds.size(), last = 0;
  std::string sent;
  for (size_t i = 0; i < cmds.size(); ++i) {
    if (cmds[i].kind != RelayCommand::Kind::kSend || cmds[i].side != Side::kClient) continue;
    first = std::min(first, i);
    last = i;
    sent += std::string(cmds[i].bytes());
  }
  ASSERT_LT(first, cmds.size());
  EXPECT_EQ(sent, response);
  for (size_t i = first; i <= last; ++i) {
    EXPECT_EQ(cmds[i].kind, RelayCommand::Kind::kSend) << "command " << i << " splits the write";
  }
}

TEST_F(RelayConnectionTest, KeepAliveCarriesTheNextRequestsOnTheSameUpstreamConnection) {
  Client(kGet);
  conn_->OnUpstreamConnected(Tick());
  // A POST with a chunked body pipelined right behind the GET: held until the GET's response.
  std::string post =
      "POST /api/v1/agent/chats HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;x=y\r\n{\"a\":\r\n2\r\n1}\r\n0\r\nT: 1\r\n\r\n";
  Out held = Client(post);
  EXPECT_TRUE(held.to_upstream.empty());
  Out first = Upstream(kGetResponse);
  EXPECT_FALSE(first.connect) << "one upstream connection per client connection";
  EXPECT_EQ(
      first.to_upstream.find("POST /prefix/api/v1/agent/chats HTTP/1.1\r\nHost: up.test:4000"), 0u);
  EXPECT_NE(first.to_upstream.find("5;x=y\r\n{\"a\":\r\n2\r\n1}\r\n0\r\nT: 1\r\n\r\n"),
            std::string::npos)
      << "the chunked body goes as sent";
  std::string response =
      "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\n{\"o\r\n5\r\nk\":1}\r\n0\r\n\r\n";
  std::string to_client;
  for (char ch : response) to_client += Upstream(std::string(1, ch)).to_client;
  EXPECT_EQ(to_client, response);
  ASSERT_EQ(sink_.exchanges.size(), 2u);
  EXPECT_EQ(sink_.exchanges[1].ordinal, 2);
  EXPECT_EQ(sink_.exchanges[1].http_connection, 1);
  EXPECT_EQ(sink_.exchanges[1].request_body, "{\"a\":1}") << "stored de-chunked";
  EXPECT_EQ(sink_.exchanges[1].response_body, "{\"ok\":1}");
  EXPECT_EQ(sink_.exchanges[1].status, 201);
  // A third request after a quiet time: straight upstream.
  Out third = Client("HEAD /x HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(third.to_upstream.rfind("HEAD /prefix/x HTTP/1.1", 0), 0u);
  Out head_answer = Upstream("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n");
  EXPECT_FALSE(head_answer.close_client);
  ASSERT_EQ(sink_.exchanges.size(), 3u) << "a HEAD response has no body whatever its length says";
  EXPECT_EQ(sink_.exchanges[2].method, "HEAD");
}

TEST_F(RelayConnectionTest, ExpectContinueRelaysTheInterimResponseThenTheFinalOne) {
  Client("PUT /u HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  conn_->OnUpstreamConnected(Tick());
  Out cont = Upstream("HTTP/1.1 100 Continue\r\n\r\n");
  EXPECT_EQ(cont.to_client, "HTTP/1.1 100 Continue\r\n\r\n");
  EXPECT_FALSE(cont.cancel_timer) << "still waiting for the final response";
  Out body = Client("abcd");
  EXPECT_EQ(body.to_upstream, "abcd");
  Out fin = Upstream("HTTP/1.1 204 No Content\r\nX: y\r\n\r\n");
  EXPECT_EQ(fin.to_client, "HTTP/1.1 204 No Content\r\nX: y\r\n\r\n");
  ASSERT_EQ(sink_.exchanges.size(), 1u);
  EXPECT_EQ(sink_.exchanges[0].status, 204);
  EXPECT_EQ(sink_.exchanges[0].request_body, "abcd");
  EXPECT_FALSE(fin.close_client);
}

TEST_F(RelayConnectionTest, AnEarlyFinalResponseEndsTheConnectionAfterIt) {
  Client("POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n");
  conn_->OnUpstreamConnected(Tick());
  Out o = Upstream("HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\n\r\nno");
  EXPECT_EQ(o.to_client, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\n\r\nno");
  EXPECT_TRUE(o.close_client) << "the unsent body cannot be told from a next request";
  EXPECT_TRUE(o.close_upstream);
  ASSERT_EQ(sink_.exchanges.size(), 1u);
  EXPECT_EQ(sink_.exchanges[0].status, 401);
}

TEST_F(RelayConnectionTest, ConnectionCloseAndUntilCloseBodies) {
  Client("GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
  conn_->OnUpstreamConnected(Tick());
  Out o = Upstream("HTTP/1.1 200 OK\r\n\r\npart one,");
  EXPECT_FALSE(o.close_client);
  Out p = Upstream(" part two");
  EXPECT_EQ(p.to_client, " part two");
  Out end = Gather(conn_->OnClosed(Side::kUpstream, Tick()));
  EXPECT_TRUE(end.close_client);
  ASSERT_EQ(sink_.exchanges.size(), 1u);
  EXPECT_EQ(sink_.exchanges[0].response_body, "part one, part two");
  EXPECT_EQ(sink_.exchanges[0].error, "");
  Gather(conn_->OnClosed(Side::kClient, Tick()));
  EXPECT_TRUE(conn_->finished());
}

TEST_F(RelayConnectionTest, NoDescriptorForTheUpstreamSocketIsTheProxys503) {
  Client(kRequest);
  Out o = Gather(conn_->OnOutOfDescriptors("Too many open files", Tick()));
  EXPECT_EQ(o.to_client.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u) << o.to_client;
  EXPECT_NE(o.to_client.find("\r\n\r\nwsreplay: record is out of file descriptors (Too "
                             "many open files): try again later, or raise its limit (ulimit -n)"),
            std::string::npos)
      << o.to_client;
  EXPECT_TRUE(o.close_client);
  EXPECT_EQ(sink_.conn.http_status, 503);
  EXPECT_EQ(sink_.conn.close_initiator, "proxy");
  conn_->OnClosed(Side::kClient, Tick());
  EXPECT_TRUE(conn_->finished());

  // A REST request waiting for its upstream socket: the same answer, as the proxy's exchange.
  auto rest = std::make_unique<RelayConnection>(config_, ctx_, 2, Tick());
  std::string get = kGet;
  rest->OnClientData(reinterpret_cast<const uint8_t*>(get.data()), get.size(), Tick());
  Out r = Gather(rest->OnOutOfDescriptors("Too many open files", Tick()));
  EXPECT_EQ(r.to_client.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u) << r.to_client;
  ASSERT_EQ(sink_.exchanges.size(), 1u);
  EXPECT_EQ(sink_.exchanges[0].status, 503);
  EXPECT_EQ(sink_.exchanges[0].initiator, "proxy");
}

TEST_F(RelayConnectionTest, HttpUnreachableIs502AndNoAnswerIs504BothRecorded) {
  Client(kGet);
  Out o = Gather(conn_->OnUpstreamConnectFailed("connection refused", Tick()));
  EXPECT_EQ(o.to_client.rfind("HTTP/1.1 502 Bad Gateway\r\n", 0), 0u);
  EXPECT_TRUE(o.close_client);
  ASSERT_EQ(sink_.exchanges.size(), 1u);
  EXPECT_EQ(sink_.exchanges[0].status, 502);
  EXPECT_EQ(sink_.exchanges[0].initiator, "proxy");
  EXPECT_NE(sink_.exchanges[0].error.find("connection refused"), std::string::npos);

  auto second = std::make_unique<RelayConnection>(config_, ctx_, 2, Tick());
  std::string get = kGet;
  second->OnClientData(reinterpret_cast<const uint8_t*>(get.data()), get.size(), Tick());
  second->OnUpstreamConnected(Tick());
  Out t = Gather(second->OnTimer(Tick()));
  EXPECT_EQ(t.to_client.rfind("HTTP/1.1 504 Gateway Timeout\r\n", 0), 0u);
  ASSERT_EQ(sink_.exchanges.size(), 2u);
  EXPECT_EQ(sink_.exchanges[1].status, 504);
  EXPECT_EQ(sink_.exchanges[1].http_connection, 2);
  EXPECT_EQ(sink_.exchanges[1].ordinal, 2);
}

TEST_F(RelayConnectionTest, AClientLeavingMidExchangeIsRecordedWithoutAResponse) {
  Client(kGet);
  conn_->OnUpstreamConnected(Tick());
  Out o = Gather(conn_->OnClosed(Side::kClient, Tick()));
  EXPECT_TRUE(o.close_upstream);
  ASSERT_EQ(sink_.exchanges.size(), 1u);
  EXPECT_FALSE(sink_.exchanges[0].status);
  EXPECT_FALSE(sink_.exchanges[0].response_ns);
  EXPECT_EQ(sink_.exchanges[0].initiator, "client");
  conn_->OnClosed(Side::kUpstream, Tick());
  EXPECT_TRUE(conn_->finished());
}

TEST_F(RelayConnectionTest, BadRequestFramingGets400AndAnUpgradeAfterHttpToo) {
  Out o = Client("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: nope\r\n\r\n");
  EXPECT_EQ(o.to_client.rfind("HTTP/1.1 400 ", 0), 0u);
  EXPECT_NE(o.to_client.find("invalid Content-Length 'nope'"), std::string::npos);
  EXPECT_FALSE(o.connect);
  EXPECT_TRUE(sink_.exchanges.empty());

  auto second = std::make_unique<RelayConnection>(config_, ctx_, 2, Tick());
  auto feed = [&](std::string_view b) {
    return Gather(
        second->OnClientData(reinterpret_cast<const uint8_t*>(b.data()), b.size(), Tick()));
  };
  feed(kGet);
  second->OnUpstreamConnected(Tick());
  second->OnUpstreamData(reinterpret_cast<const uint8_t*>(kGetResponse), strlen(kGetResponse),
                         Tick());
  Out up = feed(kRequest);
  EXPECT_EQ(up.to_client.rfind("HTTP/1.1 400 ", 0), 0u);
  EXPECT_TRUE(up.close_upstream);
}

TEST_F(RelayConnectionTest, JsonBodiesAreRedactedAndGzipStoredDecoded) {
  Client("POST /api/v1/me/agents/register HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}");
  conn_->OnUpstreamConnected(Tick());
  std::string json = R"({"data":{"agent":{"id":"a"},"api_key":"NEWKEY123"}})";
  std::string gz = Gzip(json);
  std::string response = "HTTP/1.1 201 Created\r\nContent-Encoding: gzip\r\nContent-Length: " +
                         std::to_string(gz.size()) + "\r\n\r\n" + gz;
  Out o = Upstream(response);
  EXPECT_EQ(o.to_client, response) << "the client gets the bytes as sent";
  ASSERT_EQ(sink_.exchanges.size(), 1u);
  const auto& e = sink_.exchanges[0];
  EXPECT_EQ(e.flags, cassette::kResponseBodyDecoded);
  EXPECT_EQ(e.response_body.find("NEWKEY123"), std::string::npos);
  EXPECT_EQ(e.response_body.rfind(R"({"data":{"agent":{"id":"a"},"api_key":"redacted:api_key:)", 0),
            0u)
      << e.response_body;
}

TEST_F(RelayConnectionTest, AClientLeavingBeforeTheAnswerEndsTheUpstreamToo) {
  Client(kRequest);
  Out o = Gather(conn_->OnClosed(Side::kClient, Tick()));
  EXPECT_TRUE(o.close_upstream);
  EXPECT_EQ(sink_.conn.close_code, 1006);
  EXPECT_EQ(sink_.conn.close_initiator, "client");
  conn_->OnClosed(Side::kUpstream, Tick());
  EXPECT_TRUE(conn_->finished());
}

}  // namespace
}  // namespace wsr::proxy
