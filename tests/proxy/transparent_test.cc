// `wsreplay record` is transparent: with a `ws` client and a `ws` upstream, the session through
// the proxy is the session that would have happened without it. Each test plays one scenario
// directly and through the proxy (TransparentFixture::RunBoth), expects both sides to observe
// the same thing, then checks what the cassette holds.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "cassettes/cassette.h"
#include "tests/proxy/tls_test_ca.h"
#include "tests/proxy/transparent_fixture.h"

namespace wsr::testing {
namespace {

using namespace std::chrono_literals;
using cassette::Direction;

class Transparent : public TransparentFixture {};

std::string Hex(const std::string& s) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

// The frames of one connection with this direction and opcode.
std::vector<cassette::Frame> FramesOf(const std::vector<cassette::Frame>& frames, Direction d,
                                      int opcode) {
  std::vector<cassette::Frame> out;
  for (const auto& f : frames) {
    if (f.direction == d && f.opcode == opcode) out.push_back(f);
  }
  return out;
}

// The same bytes as ws_client.mjs's {"pattern": n} (xorshift32 from 0x9e3779b9).
std::string Pattern(size_t n) {
  std::string out(n, '\0');
  uint32_t x = 0x9e3779b9u;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    out[i] = static_cast<char>(x & 0xff);
  }
  return out;
}

std::string CloseFramePayload(int code, const std::string& reason) {
  return std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)} + reason;
}

// How a recorded connection closed: {"code", "reason", "by"} (code 0 when none).
json CloseOf(const cassette::Connection& c) {
  return {
      {"code", c.close_code.value_or(0)}, {"reason", c.close_reason}, {"by", c.close_initiator}};
}

bool OneLine(const std::string& body) {
  std::string b = body;
  if (!b.empty() && b.back() == '\n') b.pop_back();
  return !b.empty() && b.find('\n') == std::string::npos;
}

// Row 1 -------------------------------------------------------------------------------------

TEST_F(Transparent, UpstreamCloseCodesAndReasonsReachTheClientAsSent) {
  for (const auto& [code, reason] : std::vector<std::pair<int, std::string>>{
           {1012, "Service Restart"}, {1013, "Try Again Later"}, {1014, "Bad Gateway"}}) {
    SCOPED_TRACE(code);
    Scenario s;
    s.upstream = "close";
    s.upstream_options = {{"code", code}, {"reason", reason}};
    s.client = {{"send", {{{"text", "hello"}}}}, {"expect", 0}};
    Observed o = RunBoth(s);
    EXPECT_EQ(o.Client("close"), (json{{"ev", "close"}, {"code", code}, {"reason", reason}}))
        << o.Dump();

    RecordedSession r = Read();
    ASSERT_EQ(r.connections.size(), 1u);
    EXPECT_EQ(r.connections[0].close_code, code);
    EXPECT_EQ(r.connections[0].close_reason, reason);
    EXPECT_EQ(r.connections[0].close_initiator, "upstream");
    auto closes = FramesOf(r.frames[0], Direction::kServerToClient, 8);
    ASSERT_EQ(closes.size(), 1u);
    EXPECT_EQ(closes[0].payload, CloseFramePayload(code, reason));
  }
}

// Row 2 -------------------------------------------------------------------------------------

TEST_F(Transparent, ClientCloseCodeAndReasonReachTheUpstream) {
  Scenario s;
  s.client = {{"send", {{{"text", "hello"}}}},
              {"close", {{"code", 4001}, {"reason", "client done"}}}};
  Observed o = RunBoth(s);
  EXPECT_EQ(o.Upstream("close"), (json{{"ev", "close"}, {"code", 4001}, {"reason", "client done"}}))
      << o.Dump();

  RecordedSession r = Read();
  ASSERT_EQ(r.connections.size(), 1u);
  EXPECT_EQ(r.connections[0].close_initiator, "client");
  EXPECT_EQ(r.connections[0].close_code, 4001);
  EXPECT_EQ(r.connections[0].close_reason, "client done");
}

// Row 3 -------------------------------------------------------------------------------------

TEST_F(Transparent, RequestTargetReachesTheUpstreamByteForByteAndTheApiKeyIsNotRecorded) {
  const std::string kSecret = "SECRETk3y9x";
  Scenario s;
  s.target = "/ws/path?q=a%2Fb&s=a+b&api_key=" + kSecret;
  s.client = {{"send", {{{"text", "hi"}}}}, {"close", {{"code", 1000}, {"reason", ""}}}};
  Observed o = RunBoth(s);
  EXPECT_EQ(o.Upstream("upgrade").value("url", ""), s.target) << o.Dump();

  RecordedSession r = Read();
  ASSERT_EQ(r.connections.size(), 1u);
  EXPECT_EQ(r.connections[0].path, "/ws/path");
  EXPECT_EQ(r.connections[0].query.rfind("q=a%2Fb&s=a+b&api_key=", 0), 0u)
      << r.connections[0].query;
  EXPECT_EQ(CassetteBytes().find(kSecret), std::string::npos) << "the api_key is in the cassette";

  // An upstream URL with a path prefix: the client's target is appended to it.
  s.upstream_prefix = "/prefix";
  Observed prefixed = RunBoth(s);
  EXPECT_EQ(prefixed.Upstream("upgrade").value("url", ""), "/prefix" + s.target) << prefixed.Dump();
  EXPECT_EQ(CassetteBytes().find(kSecret), std::string::npos) << "the api_key is in the cassette";
}

// Row 4 -------------------------------------------------------------------------------------

TEST_F(Transparent, ClientHeadersReachTheUpstreamUnchangedAndAuthorizationIsNotRecorded) {
  const std::string kToken = "Bearer SECRETt0ken77";
  Scenario s;
  s.target = "/ws";
  s.client = {{"headers",
               {{"Origin", "https://app.example"},
                {"X-Thenvoi-Client", "sdk-ts/1.2.3"},
                {"Authorization", kToken}}},
              {"send", {{{"text", "hi"}}}},
              {"close", {{"code", 1000}, {"reason", ""}}}};
  Observed o = RunBoth(s);  // compares the upstream's rawHeaders: names, case, order, values
  json headers = o.Upstream("upgrade")["headers"];
  EXPECT_EQ(HeaderValue(headers, "Origin"), "https://app.example") << o.Dump();
  EXPECT_EQ(HeaderValue(headers, "X-Thenvoi-Client"), "sdk-ts/1.2.3");
  EXPECT_EQ(HeaderValue(headers, "Authorization"), kToken);
  EXPECT_EQ(HeaderValue(headers, "Sec-WebSocket-Extensions"),
            "permessage-deflate; client_max_window_bits");

  RecordedSession r = Read();
  ASSERT_EQ(r.connections.size(), 1u);
  const std::string& head = r.connections[0].request_head;
  EXPECT_EQ(head.rfind("GET /ws HTTP/1.1\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("Origin: https://app.example\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("X-Thenvoi-Client: sdk-ts/1.2.3\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"),
            std::string::npos)
      << head;
  EXPECT_NE(head.find("Authorization: "), std::string::npos) << head;
  EXPECT_EQ(CassetteBytes().find("SECRETt0ken77"), std::string::npos)
      << "the Authorization value is in the cassette";
}

// Row 5 -------------------------------------------------------------------------------------

TEST_F(Transparent, TheUpstreamsChoiceOfSubprotocolReachesTheClient) {
  Scenario s;
  s.upstream = "subprotocol";
  s.upstream_options = {{"pick", "thenvoi.v2"}};
  s.client = {{"protocols", json::array({"thenvoi.v2", "other"})},
              {"send", {{{"text", "over v2"}}}},
              {"close", {{"code", 1000}, {"reason", ""}}}};
  Observed o = RunBoth(s);
  EXPECT_EQ(o.Client("open").value("protocol", ""), "thenvoi.v2") << o.Dump();
  EXPECT_EQ(o.Client("message").value("data", ""), "over v2");

  RecordedSession r = Read();
  ASSERT_EQ(r.connections.size(), 1u);
  EXPECT_EQ(r.connections[0].subprotocol, "thenvoi.v2");
}

// Row 6 -------------------------------------------------------------------------------------

TEST_F(Transparent, UpstreamResponseHeadersReachTheClient) {
  Scenario s;
  s.upstream = "header";
  s.client = {{"send", {{{"text", "hi"}}}}, {"close", {{"code", 1000}, {"reason", ""}}}};
  Observed o = RunBoth(s);
  EXPECT_EQ(HeaderValue(o.Client("open")["headers"], "X-Server-Id"), "s-42") << o.Dump();

  RecordedSession r = Read();
  ASSERT_EQ(r.connections.size(), 1u);
  EXPECT_NE(r.connections[0].response_head.find("X-Server-Id: s-42\r\n"), std::string::npos)
      << r.connections[0].response_head;
}

// Row 7 -------------------------------------------------------------------------------------

TEST_F(Transparent, ARefusedUpgradeReachesTheClientAsTheUpstreamSentIt) {
  struct Refusal {
    int status;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
  };
  for (const Refusal& refusal :
       {Refusal{403, {{"Content-Type", "application/json"}}, R"({"error":"invalid api key"})"},
        Refusal{429, {{"Content-Type", "text/plain"}, {"Retry-After", "7"}}, "slow down\n"}}) {
    SCOPED_TRACE(refusal.status);
    Scenario s;
    s.upstream = "refuse";
    s.upstream_options = {
        {"status", refusal.status}, {"headers", refusal.headers}, {"body", refusal.body}};
    Observed o = RunBoth(s);
    json response = o.Client("unexpected-response");
    ASSERT_FALSE(response.empty()) << o.Dump();
    EXPECT_EQ(response["status"], refusal.status);
    EXPECT_EQ(response["body"], refusal.body);
    for (const auto& [name, value] : refusal.headers) {
      EXPECT_EQ(HeaderValue(response["headers"], name), value) << name;
    }

    RecordedSession r = Read();
    ASSERT_EQ(r.connections.size(), 1u);
    EXPECT_EQ(r.connections[0].http_status, refusal.status);
    EXPECT_EQ(r.connections[0].response_body, refusal.body);
    for (const auto& [name, value] : refusal.headers) {
      EXPECT_NE(r.connections[0].response_head.find(name + ": " + value + "\r\n"),
                std::string::npos)
          << r.connections[0].response_head;
    }
  }
}

// Row 8 -------------------------------------------------------------------------------------

TEST_F(Transparent, UpstreamPingReachesTheClientAndItsPongReachesTheUpstream) {
  Scenario s;
  s.upstream = "ping";
  s.upstream_options = {{"payload", "hb-1"}};
  Observed o = RunBoth(s);
  EXPECT_EQ(o.Client("ping"), (json{{"ev", "ping"}, {"data", Hex("hb-1")}})) << o.Dump();
  EXPECT_EQ(o.Upstream("pong"), (json{{"ev", "pong"}, {"data", Hex("hb-1")}}));

  RecordedSession r = Read();
  ASSERT_EQ(r.connections.size(), 1u);
  auto pings = FramesOf(r.frames[0], Direction::kServerToClient, 9);
  auto pongs = FramesOf(r.frames[0], Direction::kClientToServer, 10);
  ASSERT_EQ(pings.size(), 1u);
  EXPECT_EQ(pings[0].payload, "hb-1");
  ASSERT_EQ(pongs.size(), 1u);
  EXPECT_EQ(pongs[0].payload, "hb-1");
}

// Row 9 -------------------------------------------------------------------------------------

// What `ws` does with a frame it must reject: it fails the connection with a 1002 close
// frame and drops TCP, without waiting for the client's close (so it reports 1006 itself).
void ExpectUpstreamFailedTheConnection(const Observed& o, const std::string& ws_error) {
  EXPECT_EQ(o.Client("response").value("status_line", ""), "HTTP/1.1 101 Switching Protocols")
      << o.Dump();
  json close = o.Client("frame");
  EXPECT_EQ(close.value("opcode", 0), 8) << o.Dump();
  EXPECT_EQ(close.value("code", 0), 1002);
  EXPECT_EQ(o.Upstream("error").value("code", ""), ws_error);
}

void ExpectViolationAndUpstreamClose(const RecordedSession& r, int opcode) {
  ASSERT_EQ(r.connections.size(), 1u);
  auto sent = FramesOf(r.frames[0], Direction::kClientToServer, opcode);
  ASSERT_EQ(sent.size(), 1u) << "the client's frame is recorded";
  EXPECT_TRUE(sent[0].flags & cassette::kFrameViolation);
  EXPECT_FALSE(sent[0].note.empty());
  auto closes = FramesOf(r.frames[0], Direction::kServerToClient, 8);
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_EQ(closes[0].payload, CloseFramePayload(1002, ""));
  EXPECT_EQ(r.connections[0].close_code, 1002);
  EXPECT_EQ(r.connections[0].close_initiator, "upstream");
}

TEST_F(Transparent, AnUnmaskedClientFrameIsFailedByTheUpstreamAsItWouldBeDirectly) {
  Scenario s;
  s.raw = "unmasked";
  Observed o = RunBoth(s);
  ExpectUpstreamFailedTheConnection(o, "WS_ERR_EXPECTED_MASK");
  ExpectViolationAndUpstreamClose(Read(), 1);
}

TEST_F(Transparent, AOneByteCloseFrameIsFailedByTheUpstreamAsItWouldBeDirectly) {
  Scenario s;
  s.raw = "close1";
  Observed o = RunBoth(s);
  ExpectUpstreamFailedTheConnection(o, "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH");
  ExpectViolationAndUpstreamClose(Read(), 8);
}

// Row 10 (through the proxy only) -----------------------------------------------------------

// A client that sends its close frame and drops TCP at once (phoenix.js leaving, a process
// exiting): the upstream answers 100 ms later, and that answer is in the cassette although
// nobody was left to relay it to; the connection's close is still the client's.
TEST_F(Transparent, AClientDroppingTcpAfterItsCloseStillGetsTheUpstreamsAnswerRecorded) {
  Scenario s;
  s.upstream = "slowclose";
  s.upstream_options = {{"delayMs", 100}};
  s.raw = "closedrop";
  Observed o = RunProxied(s);
  EXPECT_EQ(o.Upstream("client_close"),
            (json{{"ev", "client_close"}, {"code", 1000}, {"reason", "bye"}}))
      << o.Dump();
  EXPECT_EQ(o.UpstreamAll("sent_close").size(), 1u) << "the proxy kept the upstream open for it\n"
                                                    << o.Dump();
  RecordedSession r = Read();
  ASSERT_EQ(r.connections.size(), 1u);
  auto answers = FramesOf(r.frames[0], Direction::kServerToClient, 8);
  ASSERT_EQ(answers.size(), 1u) << "the upstream's close frame is recorded";
  EXPECT_EQ(answers[0].payload, CloseFramePayload(1000, "bye"));
  EXPECT_EQ(FramesOf(r.frames[0], Direction::kClientToServer, 8).size(), 1u);
  EXPECT_EQ(CloseOf(r.connections[0]), (json{{"code", 1000}, {"reason", "bye"}, {"by", "client"}}));
  EXPECT_TRUE(r.connections[0].closed_ns.has_value());
}

// The other way round: `ws` fails the connection (1002) and drops TCP at once; the client
// answers the close frame 100 ms later, and that answer is recorded too.
TEST_F(Transparent, AnUpstreamDroppingTcpAfterItsCloseStillGetsTheClientsAnswerRecorded) {
  Scenario s;
  s.raw = "unmasked_answer";
  Observed o = RunProxied(s);
  EXPECT_EQ(o.Client("frame").value("code", 0), 1002) << o.Dump();
  RecordedSession r = Read();
  ASSERT_EQ(r.connections.size(), 1u);
  auto answers = FramesOf(r.frames[0], Direction::kClientToServer, 8);
  ASSERT_EQ(answers.size(), 1u) << "the client's close frame is recorded";
  EXPECT_EQ(answers[0].payload, CloseFramePayload(1002, ""));
  EXPECT_EQ(CloseOf(r.connections[0]), (json{{"code", 1002}, {"reason", ""}, {"by", "upstream"}}));
}

TEST_F(Transparent, AnUpstreamThatNeverAnswersTheUpgradeGivesTheClient504) {
  Scenario s;
  s.upstream = "silent";
  s.record_args = {"--upstream-timeout", "1s"};
  Observed o = RunProxied(s);
  json response = o.Client("unexpected-response");
  ASSERT_FALSE(response.empty()) << o.Dump() << record_stderr_;
  EXPECT_EQ(response["status"], 504);
  EXPECT_TRUE(OneLine(response.value("body", ""))) << response;
  EXPECT_GE(o.client_time, 900ms);
  EXPECT_LE(o.client_time, 3500ms);

  RecordedSession r = Read();
  ASSERT_EQ(r.connections.size(), 1u);
  EXPECT_EQ(r.connections[0].http_status, 504);
  EXPECT_EQ(r.connections[0].close_initiator, "proxy");
}

TEST_F(Transparent, AnUnreachableUpstreamGivesTheClient502) {
  Scenario s;
  s.upstream = "";  // a closed port
  Observed o = RunProxied(s);
  json response = o.Client("unexpected-response");
  ASSERT_FALSE(response.empty()) << o.Dump() << record_stderr_;
  EXPECT_EQ(response["status"], 502);
  EXPECT_TRUE(OneLine(response.value("body", ""))) << response;

  RecordedSession r = Read();
  ASSERT_EQ(r.connections.size(), 1u);
  EXPECT_EQ(r.connections[0].http_status, 502);
  EXPECT_EQ(r.connections[0].close_initiator, "proxy");
  EXPECT_FALSE(r.connections[0].error.empty());
}

// Row 11 ------------------------------------------------------------------------------------

TEST_F(Transparent, PermessageDeflateIsNegotiatedEndToEndAndRecordedAsPlaintext) {
  const std::string kText = "compress me, compress me, compress me, compress me";
  Scenario s;
  s.upstream = "deflate";
  s.client = {{"perMessageDeflate", {{"threshold", 0}}},
              {"send", {{{"text", kText}}, {{"binary", "00010203040506070001020304050607"}}}},
              {"close", {{"code", 1000}, {"reason", ""}}}};
  Observed o = RunBoth(s);  // includes the client's `extensions`
  EXPECT_NE(o.Client("open").value("extensions", "").find("permessage-deflate"), std::string::npos)
      << o.Dump();
  EXPECT_EQ(o.ClientAll("message").size(), 2u);

  RecordedSession r = Read();
  ASSERT_EQ(r.connections.size(), 1u);
  EXPECT_NE(r.connections[0].extensions.find("permessage-deflate"), std::string::npos);
  for (Direction d : {Direction::kClientToServer, Direction::kServerToClient}) {
    auto texts = FramesOf(r.frames[0], d, 1);
    ASSERT_EQ(texts.size(), 1u) << cassette::DirectionName(d);
    EXPECT_EQ(texts[0].payload, kText);
    EXPECT_TRUE(texts[0].flags & cassette::kFrameCompressed);
    auto binaries = FramesOf(r.frames[0], d, 2);
    ASSERT_EQ(binaries.size(), 1u) << cassette::DirectionName(d);
    EXPECT_EQ(Hex(binaries[0].payload), "00010203040506070001020304050607");
    EXPECT_TRUE(binaries[0].flags & cassette::kFrameCompressed);
  }
}

// Row 12 ------------------------------------------------------------------------------------

TEST_F(Transparent, A16MiBBinaryMessageIsEchoedAndRecordedWhole) {
  constexpr size_t kSize = 16u << 20;
  Scenario s;
  s.client = {{"send", {{{"pattern", kSize}}}},
              {"close", {{"code", 1000}, {"reason", ""}}},
              {"timeoutMs", 30000}};
  Observed o = RunBoth(s);
  json sent = o.Client("sent");
  json echoed = o.Client("message");
  EXPECT_EQ(echoed.value("len", 0u), kSize) << o.Dump();
  EXPECT_EQ(echoed.value("sha256", ""), sent.value("sha256", "x"));
  EXPECT_EQ(o.Upstream("message").value("sha256", ""), sent.value("sha256", "x"));

  RecordedSession r = Read();
  ASSERT_EQ(r.connections.size(), 1u);
  const std::string expected = Pattern(kSize);
  for (Direction d : {Direction::kClientToServer, Direction::kServerToClient}) {
    auto frames = FramesOf(r.frames[0], d, 2);
    ASSERT_EQ(frames.size(), 1u) << cassette::DirectionName(d);
    EXPECT_EQ(frames[0].payload.size(), kSize);
    EXPECT_TRUE(frames[0].payload == expected) << "payload bytes differ";
  }
}

// Row 13 ------------------------------------------------------------------------------------

class TransparentTls : public TransparentFixture {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(MakeTestCa(dir_.path(), &ca_, &error)) << error;
  }
  Scenario WssEcho() {
    Scenario s;
    s.upstream_tls = true;
    s.upstream_options = {{"tls", {{"cert", ca_.server_cert}, {"key", ca_.server_key}}}};
    s.target = "/tls";
    s.client = {{"send", {{{"text", "over tls"}}}}, {"close", {{"code", 1000}, {"reason", ""}}}};
    return s;
  }
  TestCa ca_;
};

TEST_F(TransparentTls, AWssUpstreamVerifiedAgainstTheSystemStoreCarriesMessages) {
  Scenario s = WssEcho();
  s.client_env = {{"NODE_EXTRA_CA_CERTS", ca_.ca_cert}};  // the direct client trusts the CA
  s.record_env = {{"SSL_CERT_FILE", ca_.ca_cert}};        // and so does the proxy
  Observed o = RunBoth(s);
  EXPECT_EQ(o.Client("message").value("data", ""), "over tls") << o.Dump() << record_stderr_;

  RecordedSession r = Read();
  ASSERT_EQ(r.connections.size(), 1u);
  EXPECT_EQ(r.connections[0].http_status, 101);
}

TEST_F(TransparentTls, UpstreamCaTrustsAPrivateCaWithoutTouchingTheSystemStore) {
  Scenario s = WssEcho();
  s.client_env = {{"NODE_EXTRA_CA_CERTS", ca_.ca_cert}};
  s.record_args = {"--upstream-ca", ca_.ca_cert};
  Observed o = RunBoth(s);
  EXPECT_EQ(o.Client("message").value("data", ""), "over tls") << o.Dump() << record_stderr_;
  EXPECT_EQ(Read().connections.at(0).http_status, 101);
}

TEST_F(TransparentTls, AnUntrustedUpstreamCertificateGivesTheClient502) {
  Observed o = RunProxied(WssEcho());
  json response = o.Client("unexpected-response");
  ASSERT_FALSE(response.empty()) << o.Dump() << record_stderr_;
  EXPECT_EQ(response["status"], 502);
  std::string err = record_stderr_;
  std::transform(err.begin(), err.end(), err.begin(), ::tolower);
  EXPECT_NE(err.find("certificate"), std::string::npos) << record_stderr_;
  EXPECT_NE(err.find("verif"), std::string::npos) << record_stderr_;
}

}  // namespace
}  // namespace wsr::testing
