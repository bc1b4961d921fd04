// `wsreplay record` with TLS: wss towards clients (--tls-cert/--tls-key) and a wss upstream
// that is verified unless --insecure.
#include "tests/proxy/record_fixture.h"

namespace wsr::testing {
namespace {

class RecordTls : public RecordFixture {
 protected:
  void SetUp() override {
    auto res =
        wsr::testing::Run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                           key_, "-out", cert_, "-days", "2", "-subj", "/CN=localhost"});
    ASSERT_EQ(res.status, 0) << res.err;
  }
  // Node `ws` client; NODE_TLS_REJECT_UNAUTHORIZED=0 accepts our self-signed certificate.
  std::string NodeProbe(const std::string& url) {
    Process::Options o;
    o.env["NODE_TLS_REJECT_UNAUTHORIZED"] = "0";
    return wsr::testing::Run(
               {"node", SourceDir() + "/tests/proxy/close_probe.js", url, SourceDir()}, o,
               std::chrono::seconds(30))
        .out;
  }
  std::string cert_ = dir_.File("cert.pem"), key_ = dir_.File("key.pem");
};

TEST_F(RecordTls, ServesWssToClientsWithTheGivenCertificate) {
  TestUpstream up;
  StartRecord(up.url(), {"--tls-cert", cert_, "--tls-key", key_});
  ASSERT_EQ(url_.rfind("wss://127.0.0.1:", 0), 0u) << url_;
  // A refused path's 403 comes back through the relay: seeing it over wss proves the
  // client-facing TLS leg works end to end.
  EXPECT_EQ(NodeProbe(url_ + "/refuse"), "http 403\n");
  ASSERT_EQ(StopRecord(), 0) << proc_->stderr_text();
  EXPECT_EQ(Read().connections.at(0).http_status, 403);
}

// Messages both ways over the client-facing TLS leg (terminated by record itself with
// OpenSSL), a 256 KiB one included (many TLS records, more than one read), and a clean close.
TEST_F(RecordTls, RelaysAndRecordsMessagesOverWss) {
  TestUpstream up;
  StartRecord(up.url(), {"--tls-cert", cert_, "--tls-key", key_});
  const char* script = R"(
    const WebSocket = require(require('path').join(process.argv[2], 'tests/js/node_modules/ws'));
    const ws = new WebSocket(process.argv[1]);
    const big = 'x'.repeat(256 * 1024);
    let n = 0;
    ws.on('open', () => { ws.send('hello over tls'); ws.send(big); });
    ws.on('message', (m) => {
      console.log('echo ' + m.length);
      if (++n === 2) ws.close(1000, 'done');
    });
    ws.on('close', (code) => { console.log('close ' + code); process.exit(0); });
    ws.on('error', (e) => { console.log('error ' + e.message); process.exit(1); });
    setTimeout(() => { console.log('timeout'); process.exit(1); }, 20000);)";
  Process::Options o;
  o.env["NODE_TLS_REJECT_UNAUTHORIZED"] = "0";
  auto res = wsr::testing::Run({"node", "-e", script, url_ + "/tls", SourceDir()}, o,
                               std::chrono::seconds(30));
  EXPECT_EQ(res.out, "echo 14\necho 262144\nclose 1000\n") << res.err;
  ASSERT_EQ(StopRecord(), 0) << proc_->stderr_text();
  Recorded r = Read();
  ASSERT_EQ(r.connections.size(), 1u);
  EXPECT_EQ(r.connections[0].http_status, 101);
  size_t texts = 0;
  for (const auto& f : r.frames[0]) texts += f.opcode == 1;
  EXPECT_EQ(texts, 4u) << "two messages each way";
}

// A key that is not the certificate's: one line at start, exit 1, no listener.
TEST_F(RecordTls, AKeyThatDoesNotMatchTheCertificateIsRefusedAtStart) {
  const std::string other_key = dir_.File("other.pem");
  auto gen = wsr::testing::Run({"openssl", "genpkey", "-algorithm", "RSA", "-out", other_key});
  ASSERT_EQ(gen.status, 0) << gen.err;
  auto res = wsr::testing::Run({WsreplayBin(), "record", "--upstream", "ws://127.0.0.1:9",
                                "--cassette", cassette_, "--listen", "127.0.0.1:0", "--tls-cert",
                                cert_, "--tls-key", other_key});
  EXPECT_EQ(res.status, 1);
  EXPECT_NE(res.err.find("does not match the certificate"), std::string::npos) << res.err;
  EXPECT_EQ(res.out.find("listening on"), std::string::npos) << res.out;
}

TEST_F(RecordTls, VerifiesTheUpstreamCertificateUnlessInsecure) {
  TestUpstream up(cert_, key_);
  {
    StartRecord(up.url());
    // The self-signed certificate is not trusted: the client's upgrade is answered 502.
    EXPECT_EQ(NodeProbe(url_ + "/x"), "http 502\n");
    ASSERT_EQ(StopRecord(), 0) << proc_->stderr_text();
    EXPECT_NE(proc_->stderr_text().find("certificate verify failed"), std::string::npos)
        << proc_->stderr_text();
    EXPECT_TRUE(up.connections().empty());
    EXPECT_EQ(Read().connections.at(0).http_status, 502);
  }
  cassette_ = dir_.File("insecure.cassette");
  StartRecord(up.url(), {"--insecure"});
  auto c = WsClient::Connect(url_ + "/x");
  ASSERT_TRUE(c->connected()) << c->error();
  c->SendText("over tls");
  auto m = c->Receive();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->data, "over tls");
  c->Close(1000, "");
  c->WaitClosed();
  ASSERT_TRUE(up.WaitFor([](const auto& s) { return s.size() == 1 && s[0].closed; }));
  ASSERT_EQ(StopRecord(), 0) << proc_->stderr_text();
  auto r = Read();
  EXPECT_EQ(r.connections.at(0).http_status, 101);
  EXPECT_EQ(r.frames.at(0).size(), 2u);
}

}  // namespace
}  // namespace wsr::testing
