// `wsreplay record`: secrets are forwarded upstream but never reach the cassette files.
#include "tests/proxy/record_fixture.h"

namespace wsr::testing {
namespace {

class RecordSecrets : public RecordFixture {};

TEST_F(RecordSecrets, SecretBytesAreInNoCassetteFile) {
  const std::string kQueryKey = "QKEY5ecret0001";
  const std::string kAuth = "Bearer AUTH5ecret0002";
  const std::string kCookie = "session=COOKIE5ecret0003";
  const std::string kApiKey = "XKEY5ecret0004";
  const std::string kBearer = "BEARER5ecret0005";
  const std::string kJson = "JSON5ecret0006";
  const std::string kCustom = "CUSTOM5ecret0007";
  TestUpstream up;
  StartRecord(up.url(), {"--redact-json", "/token", "--redact-header", "X-Custom-Auth"});
  WsClient::Options o;
  o.headers = {{"Authorization", kAuth},
               {"Cookie", kCookie},
               {"X-Api-Key", kApiKey},
               {"X-Custom-Auth", kCustom}};
  o.subprotocols = "phoenix, base64url.bearer.phx." + kBearer;
  auto c =
      WsClient::Connect(url_ + "/api/v1/socket/websocket?api_key=" + kQueryKey + "&vsn=2.0.0", o);
  ASSERT_TRUE(c->connected()) << c->error();
  EXPECT_EQ(c->subprotocol(), "phoenix");
  const std::string join =
      R"(["1","1","agent_rooms:a1","phx_join",{"token":")" + kJson + R"(","other":1}])";
  c->SendText(join);
  auto echo = c->Receive();
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->data, join);  // relayed unchanged; only the recording is redacted

  // The upstream got the real values.
  auto seen = up.connections();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].query, "api_key=" + kQueryKey + "&vsn=2.0.0");
  EXPECT_EQ(seen[0].headers["authorization"], kAuth);
  EXPECT_EQ(seen[0].headers["cookie"], kCookie);
  EXPECT_EQ(seen[0].headers["x-api-key"], kApiKey);
  EXPECT_NE(seen[0].headers["sec-websocket-protocol"].find(kBearer), std::string::npos);

  c->Close(1000, "");
  c->WaitClosed();
  ASSERT_EQ(StopRecord(), 0) << proc_->stderr_text();

  std::string files;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) files += ReadFile(cassette_ + suffix);
  ASSERT_FALSE(files.empty());
  for (const auto& secret : {kQueryKey, std::string("AUTH5ecret0002"),
                             std::string("COOKIE5ecret0003"), kApiKey, kBearer, kJson, kCustom}) {
    EXPECT_EQ(files.find(secret), std::string::npos) << secret << " leaked into the cassette";
    EXPECT_EQ(proc_->stderr_text().find(secret), std::string::npos)
        << secret << " leaked into logs";
  }
  // What was recorded carries placeholders where the secrets were.
  Recorded r = Read();
  EXPECT_NE(r.connections[0].query.find("api_key=redacted:api_key:"), std::string::npos);
  EXPECT_NE(r.connections[0].upstream_url.find("redacted:api_key:"), std::string::npos);
  EXPECT_NE(r.frames[0][0].payload.find("redacted:token:"), std::string::npos);
  EXPECT_NE(r.frames[0][0].payload.find("\"other\":1"), std::string::npos);
}

}  // namespace
}  // namespace wsr::testing
