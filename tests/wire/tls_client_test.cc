#include "wire/tls_client.h"

#include <gtest/gtest.h>
#include <openssl/err.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "tests/wire/tls_test_pki.h"
#include "tests/wire/tls_test_server.h"

namespace {

using wsr::wire::TlsClient;
using wsr::wire::TlsClientContext;
using wsr::wire::testing::TlsTestPki;
using wsr::wire::testing::TlsTestServer;
using Status = TlsClient::Status;

class TlsClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_error_ = new std::string;
    pki_ = TlsTestPki::Create(pki_error_).release();
    contexts_ = new ContextCache;
  }
  static void TearDownTestSuite() {
    delete pki_;  // removes the directory
    pki_ = nullptr;
    delete pki_error_;
    pki_error_ = nullptr;
    delete contexts_;
    contexts_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(pki_, nullptr) << *pki_error_; }

  // Contexts are shared by the suite's connections, as in the proxy (and loading the system
  // CA store for each test would make the suite slow).
  static std::shared_ptr<TlsClientContext> Context(bool verify, bool trust_test_ca,
                                                   std::vector<std::string> alpn = {"http/1.1"}) {
    auto& cached = (*contexts_)[std::make_tuple(verify, trust_test_ca, alpn)];
    if (cached != nullptr) return cached;
    TlsClientContext::Options options;
    options.verify = verify;
    if (trust_test_ca) options.ca_file = pki_->ca_cert();
    options.alpn = std::move(alpn);
    std::string error;
    cached = TlsClientContext::Create(options, &error);
    EXPECT_NE(cached, nullptr) << error;
    return cached;
  }

  // Carries ciphertext both ways until neither side has any left. Decrypted bytes are appended
  // to *plaintext; returns the first non-kOk status of the client's Feed (or kOk).
  static Status Pump(TlsClient& client, TlsTestServer& server, std::string* plaintext,
                     bool one_byte_at_a_time = false) {
    Status result = Status::kOk;
    for (int round = 0; round < 1000; ++round) {
      std::string to_server;
      client.TakeCiphertext(&to_server);
      server.Feed(to_server);
      std::string to_client = server.TakeCiphertext();
      if (to_server.empty() && to_client.empty()) break;
      auto* bytes = reinterpret_cast<const uint8_t*>(to_client.data());
      size_t step = one_byte_at_a_time ? 1 : to_client.size();
      for (size_t i = 0; i < to_client.size(); i += step) {
        Status s = client.Feed(bytes + i, std::min(step, to_client.size() - i), plaintext);
        if (s != Status::kOk && result == Status::kOk) result = s;
      }
    }
    return result;
  }

  static std::string Pattern(size_t size) {
    std::string s(size, '\0');
    uint32_t x = 12345;
    for (char& c : s) {
      x = x * 1103515245 + 12345;
      c = static_cast<char>(x >> 24);
    }
    return s;
  }

  using ContextCache =
      std::map<std::tuple<bool, bool, std::vector<std::string>>, std::shared_ptr<TlsClientContext>>;
  static TlsTestPki* pki_;
  static std::string* pki_error_;
  static ContextCache* contexts_;
};

TlsTestPki* TlsClientTest::pki_ = nullptr;
std::string* TlsClientTest::pki_error_ = nullptr;
TlsClientTest::ContextCache* TlsClientTest::contexts_ = nullptr;

TEST_F(TlsClientTest, HandshakeThenEchoOneByte) {
  TlsTestServer server(pki_->localhost_cert(), pki_->localhost_key());
  TlsClient client(Context(true, true), "localhost");
  client.Start();
  EXPECT_TRUE(client.has_ciphertext()) << "the ClientHello";
  std::string plaintext;
  ASSERT_EQ(Pump(client, server, &plaintext), Status::kOk) << client.error();
  ASSERT_TRUE(client.handshake_done()) << client.error();
  EXPECT_TRUE(server.handshake_done());
  EXPECT_EQ(client.error(), "");
  EXPECT_EQ(client.peer_summary().rfind("TLSv1.3 ", 0), 0u) << client.peer_summary();
  EXPECT_NE(client.peer_summary().find(", CN=localhost, issuer CN=wsreplay test CA"),
            std::string::npos)
      << client.peer_summary();

  ASSERT_EQ(client.Write("x"), Status::kOk);
  ASSERT_EQ(Pump(client, server, &plaintext), Status::kOk);
  EXPECT_EQ(server.received(), "x");
  EXPECT_EQ(plaintext, "x");
  EXPECT_FALSE(client.has_ciphertext());
  EXPECT_EQ(ERR_peek_error(), 0u) << "OpenSSL error queue left dirty";
}

TEST_F(TlsClientTest, EchoOneMebibyteInOneWrite) {
  TlsTestServer server(pki_->localhost_cert(), pki_->localhost_key());
  TlsClient client(Context(true, true), "localhost");
  client.Start();
  std::string plaintext;
  ASSERT_EQ(Pump(client, server, &plaintext), Status::kOk) << client.error();
  const std::string data = Pattern(1 << 20);
  ASSERT_EQ(client.Write(data), Status::kOk);
  std::string ciphertext;
  EXPECT_GT(client.TakeCiphertext(&ciphertext), data.size()) << "all of it, encrypted, at once";
  server.Feed(ciphertext);
  std::string echoed = server.TakeCiphertext();
  ASSERT_EQ(client.Feed(reinterpret_cast<const uint8_t*>(echoed.data()), echoed.size(), &plaintext),
            Status::kOk);
  EXPECT_TRUE(server.received() == data) << "server got " << server.received().size();
  EXPECT_TRUE(plaintext == data) << "client got " << plaintext.size() << " bytes back";
}

TEST_F(TlsClientTest, EchoHundredSmallWritesInOrder) {
  TlsTestServer server(pki_->localhost_cert(), pki_->localhost_key());
  TlsClient client(Context(true, true), "localhost");
  std::string plaintext;
  client.Start();
  ASSERT_EQ(Pump(client, server, &plaintext), Status::kOk) << client.error();
  std::string expected;
  for (int i = 0; i < 100; ++i) {
    std::string message = "message " + std::to_string(i) + ";";
    expected += message;
    ASSERT_EQ(client.Write(message), Status::kOk);
    if (i % 10 == 0) {
      ASSERT_EQ(Pump(client, server, &plaintext), Status::kOk);
    }
  }
  ASSERT_EQ(Pump(client, server, &plaintext), Status::kOk);
  EXPECT_EQ(server.received(), expected);
  EXPECT_EQ(plaintext, expected);
}

TEST_F(TlsClientTest, CiphertextFedOneByteAtATime) {
  TlsTestServer server(pki_->localhost_cert(), pki_->localhost_key());
  TlsClient client(Context(true, true), "localhost");
  std::string plaintext;
  client.Start();
  ASSERT_EQ(Pump(client, server, &plaintext, /*one_byte_at_a_time=*/true), Status::kOk)
      << client.error();
  ASSERT_TRUE(client.handshake_done());
  const std::string data = Pattern(20000);  // two records each way
  ASSERT_EQ(client.Write(data), Status::kOk);
  ASSERT_EQ(Pump(client, server, &plaintext, true), Status::kOk);
  EXPECT_TRUE(plaintext == data) << plaintext.size();
}

TEST_F(TlsClientTest, DataWrittenBeforeTheHandshakeIsSentAfterIt) {
  TlsTestServer server(pki_->localhost_cert(), pki_->localhost_key());
  TlsClient client(Context(true, true), "localhost");
  ASSERT_EQ(client.Write("GET / HTTP/1.1\r\n"), Status::kOk);  // starts the handshake
  ASSERT_EQ(client.Write("Host: localhost\r\n\r\n"), Status::kOk);
  EXPECT_FALSE(client.handshake_done());
  std::string hello;
  client.TakeCiphertext(&hello);
  server.Feed(hello);
  EXPECT_EQ(server.received(), "") << "nothing readable before the handshake";
  EXPECT_FALSE(server.handshake_done());
  std::string to_client = server.TakeCiphertext();
  std::string plaintext;
  ASSERT_EQ(
      client.Feed(reinterpret_cast<const uint8_t*>(to_client.data()), to_client.size(), &plaintext),
      Status::kOk);
  ASSERT_TRUE(client.handshake_done()) << client.error();
  ASSERT_EQ(client.Write("after"), Status::kOk);
  ASSERT_EQ(Pump(client, server, &plaintext), Status::kOk);
  EXPECT_EQ(server.received(), "GET / HTTP/1.1\r\nHost: localhost\r\n\r\nafter");
}

struct VerifyCase {
  const char* name;
  const char* host;
  bool trust_test_ca;
  enum { kLocalhost, kOther, kExpired } cert;
  const char* expected_error;
};

void PrintTo(const VerifyCase& c, std::ostream* os) { *os << c.name; }

class TlsClientVerifyTest : public TlsClientTest, public ::testing::WithParamInterface<VerifyCase> {
 protected:
  std::string cert() const {
    switch (GetParam().cert) {
      case VerifyCase::kOther:
        return pki_->other_cert();
      case VerifyCase::kExpired:
        return pki_->expired_cert();
      default:
        return pki_->localhost_cert();
    }
  }
  std::string key() const {
    return GetParam().cert == VerifyCase::kOther ? pki_->other_key() : pki_->localhost_key();
  }
};

TEST_P(TlsClientVerifyTest, FailsWithAClearErrorWhenVerifying) {
  const VerifyCase& c = GetParam();
  TlsTestServer server(cert(), key());
  TlsClient client(Context(true, c.trust_test_ca), c.host);
  client.Start();
  std::string plaintext;
  EXPECT_EQ(Pump(client, server, &plaintext), Status::kFailed);
  EXPECT_FALSE(client.handshake_done());
  EXPECT_TRUE(client.failed());
  EXPECT_EQ(client.error(), c.expected_error);
  EXPECT_EQ(client.Write("x"), Status::kFailed);
  EXPECT_EQ(client.Feed(nullptr, 0, &plaintext), Status::kFailed);
  EXPECT_TRUE(server.failed()) << "the server got the client's alert";
  EXPECT_EQ(ERR_peek_error(), 0u) << "OpenSSL error queue left dirty";
}

TEST_P(TlsClientVerifyTest, SucceedsWithVerificationOff) {
  const VerifyCase& c = GetParam();
  TlsTestServer server(cert(), key());
  TlsClient client(Context(false, c.trust_test_ca), c.host);
  ASSERT_EQ(client.Write("ping"), Status::kOk);
  std::string plaintext;
  ASSERT_EQ(Pump(client, server, &plaintext), Status::kOk) << client.error();
  EXPECT_TRUE(client.handshake_done());
  EXPECT_EQ(plaintext, "ping");
  EXPECT_NE(client.peer_summary().find(", NOT VERIFIED: "), std::string::npos)
      << client.peer_summary();
}

INSTANTIATE_TEST_SUITE_P(
    Tls, TlsClientVerifyTest,
    ::testing::Values(
        VerifyCase{"UnknownCa", "localhost", false, VerifyCase::kLocalhost,
                   "certificate verify failed: unable to get local issuer certificate "
                   "(upstream localhost)"},
        VerifyCase{"HostnameMismatch", "localhost", true, VerifyCase::kOther,
                   "certificate verify failed: hostname mismatch (upstream localhost)"},
        VerifyCase{"IpMismatch", "127.0.0.2", true, VerifyCase::kLocalhost,
                   "certificate verify failed: IP address mismatch (upstream 127.0.0.2)"},
        VerifyCase{"Ipv6Mismatch", "[::1]", true, VerifyCase::kLocalhost,
                   "certificate verify failed: IP address mismatch (upstream [::1])"},
        VerifyCase{"Expired", "localhost", true, VerifyCase::kExpired,
                   "certificate verify failed: certificate has expired (upstream localhost)"}),
    [](const ::testing::TestParamInfo<VerifyCase>& info) { return info.param.name; });

TEST_F(TlsClientTest, IpLiteralMatchesTheCertificatesIpAddress) {
  TlsTestServer server(pki_->localhost_cert(), pki_->localhost_key());
  TlsClient client(Context(true, true), "127.0.0.1");
  client.Start();
  std::string plaintext;
  ASSERT_EQ(Pump(client, server, &plaintext), Status::kOk) << client.error();
  EXPECT_TRUE(client.handshake_done());
  EXPECT_EQ(client.peer_summary().find("NOT VERIFIED"), std::string::npos);
}

// Restores an environment variable on destruction.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST_F(TlsClientTest, TrustsTheCaNamedBySslCertFile) {
  std::shared_ptr<TlsClientContext> ctx;
  {
    ScopedEnv env("SSL_CERT_FILE", pki_->ca_cert());
    std::string error;
    ctx = TlsClientContext::Create(TlsClientContext::Options{}, &error);
    ASSERT_NE(ctx, nullptr) << error;
  }
  TlsTestServer server(pki_->localhost_cert(), pki_->localhost_key());
  TlsClient client(ctx, "localhost");
  client.Start();
  std::string plaintext;
  ASSERT_EQ(Pump(client, server, &plaintext), Status::kOk) << client.error();
  EXPECT_TRUE(client.handshake_done());
}

TEST_F(TlsClientTest, UnreadableCaFileIsReportedByCreate) {
  TlsClientContext::Options options;
  options.ca_file = pki_->dir() + "/missing.pem";
  std::string error;
  EXPECT_EQ(TlsClientContext::Create(options, &error), nullptr);
  EXPECT_EQ(error.rfind("cannot load CA file " + options.ca_file, 0), 0u) << error;
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_F(TlsClientTest, OffersHttp11ThroughAlpn) {
  TlsTestServer server(pki_->localhost_cert(), pki_->localhost_key());
  TlsClient client(Context(true, true), "localhost");
  client.Start();
  std::string plaintext;
  ASSERT_EQ(Pump(client, server, &plaintext), Status::kOk) << client.error();
  EXPECT_EQ(server.offered_alpn(), std::vector<std::string>{"http/1.1"});
  EXPECT_EQ(client.alpn(), "http/1.1");
  EXPECT_NE(client.peer_summary().find(", ALPN http/1.1"), std::string::npos);
}

TEST_F(TlsClientTest, EmptyAlpnListOffersNone) {
  TlsTestServer server(pki_->localhost_cert(), pki_->localhost_key());
  TlsClient client(Context(true, true, {}), "localhost");
  client.Start();
  std::string plaintext;
  ASSERT_EQ(Pump(client, server, &plaintext), Status::kOk) << client.error();
  EXPECT_TRUE(server.offered_alpn().empty());
  EXPECT_EQ(client.alpn(), "");
}

TEST_F(TlsClientTest, WorksWithATls12Server) {
  TlsTestServer server(pki_->localhost_cert(), pki_->localhost_key(), TLS1_2_VERSION);
  TlsClient client(Context(true, true), "localhost");
  ASSERT_EQ(client.Write("over 1.2"), Status::kOk);
  std::string plaintext;
  ASSERT_EQ(Pump(client, server, &plaintext), Status::kOk) << client.error();
  EXPECT_EQ(client.peer_summary().rfind("TLSv1.2 ", 0), 0u) << client.peer_summary();
  EXPECT_EQ(plaintext, "over 1.2");
}

TEST_F(TlsClientTest, PeersCloseNotifyIsClosedAfterTheDataBeforeIt) {
  TlsTestServer server(pki_->localhost_cert(), pki_->localhost_key());
  TlsClient client(Context(true, true), "localhost");
  client.Start();
  std::string plaintext;
  ASSERT_EQ(Pump(client, server, &plaintext), Status::kOk) << client.error();
  server.Write("last words");
  server.Shutdown();
  std::string bytes = server.TakeCiphertext();
  EXPECT_EQ(client.Feed(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &plaintext),
            Status::kClosed);
  EXPECT_EQ(plaintext, "last words");
  EXPECT_EQ(client.error(), "");
  EXPECT_EQ(client.Feed(nullptr, 0, &plaintext), Status::kClosed);
  // Answering with our own close_notify still works.
  client.Shutdown();
  EXPECT_TRUE(client.has_ciphertext());
}

TEST_F(TlsClientTest, TruncatedStreamIsNotReportedAsClosed) {
  TlsTestServer server(pki_->localhost_cert(), pki_->localhost_key());
  TlsClient client(Context(true, true), "localhost");
  client.Start();
  std::string plaintext;
  ASSERT_EQ(Pump(client, server, &plaintext), Status::kOk) << client.error();
  server.Write("a whole record");
  std::string bytes = server.TakeCiphertext();
  // Half a record, then the TCP connection ends (no more input, no close_notify).
  EXPECT_EQ(
      client.Feed(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size() / 2, &plaintext),
      Status::kOk);
  EXPECT_EQ(plaintext, "");
  EXPECT_EQ(client.Feed(nullptr, 0, &plaintext), Status::kOk);
  EXPECT_FALSE(client.failed());
}

TEST_F(TlsClientTest, ShutdownSendsCloseNotifyAfterPendingData) {
  TlsTestServer server(pki_->localhost_cert(), pki_->localhost_key());
  server.set_echo(false);
  TlsClient client(Context(true, true), "localhost");
  ASSERT_EQ(client.Write("early"), Status::kOk);
  client.Shutdown();  // before the handshake: sent once "early" is
  EXPECT_EQ(client.Write("refused"), Status::kFailed);
  std::string plaintext;
  ASSERT_EQ(Pump(client, server, &plaintext), Status::kOk) << client.error();
  EXPECT_EQ(server.received(), "early");
  EXPECT_TRUE(server.got_close_notify());
  EXPECT_FALSE(client.failed());
}

TEST_F(TlsClientTest, GarbageFromThePeerFailsTheHandshake) {
  TlsClient client(Context(true, true), "localhost");
  client.Start();
  std::string hello, plaintext;
  client.TakeCiphertext(&hello);
  const std::string reply = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(client.Feed(reinterpret_cast<const uint8_t*>(reply.data()), reply.size(), &plaintext),
            Status::kFailed);
  EXPECT_EQ(client.error().rfind("TLS handshake failed: ", 0), 0u) << client.error();
  EXPECT_NE(client.error().find("(upstream localhost)"), std::string::npos) << client.error();
  EXPECT_EQ(ERR_peek_error(), 0u);

  // A failure leaves nothing behind for the next connection on this thread.
  TlsTestServer server(pki_->localhost_cert(), pki_->localhost_key());
  TlsClient next(Context(true, true), "localhost");
  next.Start();
  ASSERT_EQ(Pump(next, server, &plaintext), Status::kOk) << next.error();
  EXPECT_TRUE(next.handshake_done());
}

}  // namespace
