// ConnectionMatcher without sockets: which recorded connection serves each live upgrade, and
// what a live upgrade gets when none is left (409) or none was ever recorded for its path (404).
#include "replay/connection_matcher.h"

#include <gtest/gtest.h>

namespace wsr::replay {
namespace {

cassette::Connection Recorded(int ordinal, const std::string& path, const std::string& query,
                              int status = 101) {
  cassette::Connection c;
  c.ordinal = ordinal;
  c.path = path;
  c.query = query;
  c.http_status = status;
  return c;
}

TEST(ConnectionMatcher, ServesInRecordedOrderPerPathEachOnceThen409Or404) {
  ConnectionMatcher m({Recorded(1, "/socket", "vsn=2.0.0&api_key=redacted:api_key:1"),
                       Recorded(2, "/echo", ""), Recorded(3, "/socket", "vsn=1.0.0"),
                       Recorded(4, "/socket", "vsn=2.0.0&api_key=redacted:api_key:2", 403)});
  // The first /socket with a matching query (order-insensitive, placeholder = any value).
  EXPECT_EQ(m.Choose("/socket", "api_key=live&vsn=2.0.0").index, 0);
  EXPECT_EQ(m.Choose("/echo", "").index, 1);
  // #3's query does not match: #4 serves, with its recorded refusal.
  auto refused = m.Choose("/socket", "vsn=2.0.0&api_key=other");
  EXPECT_EQ(refused.index, 3);
  EXPECT_EQ(refused.status, 403);
  // Everything before the first unused entry is used; what is left does not match: 409.
  auto none_left = m.Choose("/echo", "");
  EXPECT_EQ(none_left.index, -1);
  EXPECT_EQ(none_left.status, 409);
  EXPECT_NE(none_left.message.find("#2 /echo (served)"), std::string::npos) << none_left.message;
  EXPECT_EQ(m.Choose("/socket", "vsn=2.0.0&api_key=x").status, 409);
  EXPECT_EQ(m.Choose("/socket", "vsn=1.0.0").index, 2);
  EXPECT_EQ(m.Choose("/nowhere", "").status, 404);
  // All used: the same answers.
  EXPECT_EQ(m.Choose("/socket", "vsn=1.0.0").status, 409);
  EXPECT_EQ(m.Choose("/echo", "").status, 409);
}

}  // namespace
}  // namespace wsr::replay
