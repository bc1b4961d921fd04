// RelayConnection without sockets: scripted events in, commands and cassette rows out.
// Every close path (client first, upstream first, TCP ends, timeout, shutdown, too big),
// the handshake relayed byte for byte, refusals, backpressure and violations.
#include "proxy/relay_connection.h"

#include <gtest/gtest.h>

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
  cassette::Connection conn;
  std::vector<cassette::Frame> frames;
  bool full = false;
};

// What one event asked for, gathered.
struct Out {
  std::string to_client, to_upstream;
  bool connect = false, close_client = false, close_upstream = false, set_timer = false,
       cancel_timer = false;
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
  Out o = Gather(conn_->OnClosed(Side::kClient, Tick()));
  EXPECT_TRUE(o.close_upstream);
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
  sink_.full = true;
  Out o = Upstream(ServerFrame(1, "a"));
  EXPECT_EQ(o.pause, 2);
  EXPECT_EQ(o.to_client, ServerFrame(1, "a"));  // what was read is still relayed
  sink_.full = false;
  Out d = Gather(conn_->OnSinkDrained(Tick()));
  EXPECT_EQ(d.resume, 2);
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

TEST_F(RelayConnectionTest, APlainHttpRequestGets400AndNothingIsRecorded) {
  Out o = Client("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(o.to_client.rfind("HTTP/1.1 400 ", 0), 0u);
  EXPECT_TRUE(o.close_client);
  EXPECT_FALSE(o.connect);
  EXPECT_EQ(sink_.conn.ordinal, 0);  // never opened
  conn_->OnClosed(Side::kClient, Tick());
  EXPECT_TRUE(conn_->finished());
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
