// request_guard.h: which Host and Origin headers may drive the replay server, and which
// origins may open a replayed WebSocket.
#include "replay/request_guard.h"

#include <gtest/gtest.h>

namespace wsr::replay {
namespace {

bool HostOk(const char* host, const char* listen = "127.0.0.1", int port = 8765) {
  return !CheckHost(std::string_view(host), listen, port);
}
bool OriginOk(const char* origin, const char* listen = "127.0.0.1", int port = 8765) {
  return !CheckControlOrigin(std::string_view(origin), listen, port);
}

TEST(RequestGuard, HostMustNameThisServer) {
  EXPECT_TRUE(HostOk("127.0.0.1:8765"));
  EXPECT_TRUE(HostOk("localhost:8765"));
  EXPECT_TRUE(HostOk("LocalHost:8765"));
  EXPECT_TRUE(HostOk("[::1]:8765"));
  EXPECT_TRUE(HostOk("127.0.0.1"));  // no port: a loopback literal cannot be rebound
  EXPECT_TRUE(HostOk("localhost"));
  EXPECT_TRUE(!CheckHost(std::nullopt, "127.0.0.1", 8765));  // HTTP/1.0
  // DNS rebinding: the attacker's name, whatever address it resolves to.
  auto r = CheckHost(std::string_view("evil.example:8765"), "127.0.0.1", 8765);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 421);
  EXPECT_NE(r->message.find("evil.example:8765"), std::string::npos);
  EXPECT_NE(r->message.find("DNS rebinding"), std::string::npos);
  EXPECT_FALSE(HostOk("evil.example"));
  EXPECT_FALSE(HostOk("localhost.evil.example:8765"));
  EXPECT_FALSE(HostOk("127.0.0.1:8766"));  // another port is another server
  EXPECT_FALSE(HostOk("localhost:8766"));
  EXPECT_FALSE(HostOk("10.1.2.3:8765"));  // not what we listen on
  EXPECT_FALSE(HostOk(""));
  EXPECT_FALSE(HostOk("127.0.0.1:"));
  EXPECT_FALSE(HostOk("127.0.0.1:99999"));
  EXPECT_FALSE(HostOk("[::1"));
  EXPECT_FALSE(HostOk("a:b:c"));
}

TEST(RequestGuard, HostOfANonLoopbackOrWildcardListener) {
  EXPECT_TRUE(HostOk("10.1.2.3:9000", "10.1.2.3", 9000));
  EXPECT_TRUE(HostOk("localhost:9000", "10.1.2.3", 9000));
  EXPECT_FALSE(HostOk("10.1.2.4:9000", "10.1.2.3", 9000));
  // Listening on every address: any IP literal names us, a domain name still does not.
  EXPECT_TRUE(HostOk("192.168.1.20:9000", "0.0.0.0", 9000));
  EXPECT_TRUE(HostOk("[fe80::1]:9000", "::", 9000));
  EXPECT_FALSE(HostOk("evil.example:9000", "0.0.0.0", 9000));
}

TEST(RequestGuard, ControlOriginMustBeOurOwn) {
  EXPECT_TRUE(!CheckControlOrigin(std::nullopt, "127.0.0.1", 8765));  // curl, test helpers
  EXPECT_TRUE(OriginOk("http://127.0.0.1:8765"));
  EXPECT_TRUE(OriginOk("http://localhost:8765"));
  EXPECT_TRUE(OriginOk("http://[::1]:8765"));
  auto r = CheckControlOrigin(std::string_view("http://evil.example"), "127.0.0.1", 8765);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_NE(r->message.find("cross-origin request from 'http://evil.example'"), std::string::npos);
  EXPECT_FALSE(OriginOk("http://localhost:3000"));  // another local app is another origin
  EXPECT_FALSE(OriginOk("https://127.0.0.1:8765"));
  EXPECT_FALSE(OriginOk("http://127.0.0.1"));  // port 80
  EXPECT_FALSE(OriginOk("null"));
  EXPECT_FALSE(OriginOk(""));
  EXPECT_FALSE(OriginOk("http://127.0.0.1:8765.evil.example"));
}

TEST(RequestGuard, UpgradeOrigins) {
  const std::vector<std::string> none;
  EXPECT_TRUE(UpgradeOriginAllowed(std::nullopt, none));
  EXPECT_TRUE(UpgradeOriginAllowed("http://localhost:3000", none));
  EXPECT_TRUE(UpgradeOriginAllowed("https://127.0.0.1:5173", none));
  EXPECT_TRUE(UpgradeOriginAllowed("http://[::1]:8080", none));
  EXPECT_TRUE(UpgradeOriginAllowed("http://app.localhost:8080", none));
  EXPECT_TRUE(UpgradeOriginAllowed("http://localhost", none));
  EXPECT_FALSE(UpgradeOriginAllowed("http://evil.example", none));
  EXPECT_FALSE(UpgradeOriginAllowed("http://localhost.evil.example", none));
  EXPECT_FALSE(UpgradeOriginAllowed("null", none));
  EXPECT_FALSE(UpgradeOriginAllowed("file://", none));
  const std::vector<std::string> allowed = {"http://app.test:8080/"};
  EXPECT_TRUE(UpgradeOriginAllowed("http://APP.test:8080", allowed));
  EXPECT_FALSE(UpgradeOriginAllowed("http://app.test:8081", allowed));
  EXPECT_TRUE(UpgradeOriginAllowed("http://anything.example", {"*"}));
}

}  // namespace
}  // namespace wsr::replay
