#include "common/url.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace wsr {
namespace {

TEST(Url, ParsesUpstreams) {
  auto u = ParseWsUrl("wss://app.thenvoi.com");
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.host, "app.thenvoi.com");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.path, "");
  auto v = ParseWsUrl("ws://127.0.0.1:4000/prefix/");
  EXPECT_FALSE(v.tls);
  EXPECT_EQ(v.port, 4000);
  EXPECT_EQ(v.path, "/prefix");
  EXPECT_EQ(ParseWsUrl("ws://[::1]:9/x").host, "::1");
  EXPECT_THROW(ParseWsUrl("ftp://x"), Error);
  EXPECT_THROW(ParseWsUrl("ws://host:99999"), Error);
  EXPECT_THROW(ParseWsUrl("ws://:80"), Error);
}

TEST(Url, ListenAddr) {
  auto a = ParseListenAddr("127.0.0.1:0");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 0);
  EXPECT_EQ(ParseListenAddr(":9000").host, "127.0.0.1");
  EXPECT_EQ(ParseListenAddr("9000").port, 9000);
  EXPECT_EQ(ParseListenAddr("0.0.0.0:1").host, "0.0.0.0");
  EXPECT_THROW(ParseListenAddr("x:y"), Error);
}

// The URLs record, replay and sim print: an IPv6 listen address must come out in brackets, or
// a client given `ws://::1:8080` cannot parse it.
TEST(Url, HostPortBracketsIPv6Literals) {
  EXPECT_EQ(HostPort("127.0.0.1", 8080), "127.0.0.1:8080");
  EXPECT_EQ(HostPort("localhost", 1), "localhost:1");
  EXPECT_EQ(HostPort("::1", 8080), "[::1]:8080");
  EXPECT_EQ(HostPort("fe80::1", 443), "[fe80::1]:443");
  EXPECT_EQ(UrlHost("::1"), "[::1]");
  EXPECT_EQ(UrlHost("127.0.0.1"), "127.0.0.1");
  auto u = ParseWsUrl("wss://[::1]:9/x");
  EXPECT_EQ(u.ToString(), "wss://[::1]:9/x");
  EXPECT_EQ(ParseWsUrl(u.ToString()).host, "::1");
}

TEST(Url, QuerySplitJoinDecode) {
  auto q = SplitQuery("?b=2&a=1&flag&e=");
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q[0].first, "b");
  EXPECT_EQ(q[2].first, "flag");
  EXPECT_EQ(JoinQuery(q), "b=2&a=1&flag=&e=");
  EXPECT_EQ(PercentDecode("a%2Fb+c%zz%4"), "a/b c%zz%4");
  EXPECT_EQ(PercentEncode("aZ0-._~ /?&=\xff"), "aZ0-._~%20%2F%3F%26%3D%FF");
  EXPECT_EQ(PercentEncode("a/b?c&d", "/?"), "a/b?c%26d");
  EXPECT_EQ(PercentDecode(PercentEncode(std::string("x\0y\x80", 4))), std::string("x\0y\x80", 4));
  auto [p, qs] = SplitPathQuery("/x/y?z=1");
  EXPECT_EQ(p, "/x/y");
  EXPECT_EQ(qs, "z=1");
}

}  // namespace
}  // namespace wsr
