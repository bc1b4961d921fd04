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
