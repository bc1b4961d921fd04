#include "phoenix/frame.h"

#include <gtest/gtest.h>

namespace wsr::phoenix {
namespace {

TEST(PhoenixFrame, ParsesJoinKeepingRawRefs) {
  auto f = Parse(R"(["1","1","agent_rooms:7d2f","phx_join",{}])");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->join_ref, "\"1\"");
  EXPECT_EQ(f->ref, "\"1\"");
  EXPECT_EQ(f->topic, "agent_rooms:7d2f");
  EXPECT_EQ(f->event, "phx_join");
  EXPECT_EQ(f->payload, "{}");
}

TEST(PhoenixFrame, NumericAndNullRefsKeepTheirType) {
  auto f = Parse(R"([null, 7 ,"phoenix","heartbeat",{}])");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->join_ref, "null");
  EXPECT_EQ(f->ref, "7");
  EXPECT_EQ(RefText(f->join_ref), std::nullopt);
  EXPECT_EQ(RefText(f->ref), "7");
  EXPECT_EQ(RefText("\"12\""), "12");
}

TEST(PhoenixFrame, PayloadBytesAreExactlyAsSent) {
  std::string text =
      R"(["2",null,"chat_room:r","message_created",{"content":"a, \"b\" [c]","n": 1.5e3, "x":[{},[]]}])";
  auto f = Parse(text);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->payload, R"({"content":"a, \"b\" [c]","n": 1.5e3, "x":[{},[]]})");
}

TEST(PhoenixFrame, DecodesEscapedTopic) {
  auto f = Parse(R"([null,null,"a\"b\u00e9","ev",{}])");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->topic, "a\"b\xc3\xa9");
}

TEST(PhoenixFrame, RejectsNonFrames) {
  for (const char* bad :
       {"", "{}", "[]", "[1,2,3,4]", R"([null,null,"t","e",{},1])", R"([null,null,1,"e",{}])",
        R"([null,null,"t","e",{"a":}])", R"([null,null,"t","e",{})", R"([{},null,"t","e",{}])",
        R"([null,null,"t","e",{}] x)", "not json"}) {
    EXPECT_FALSE(Parse(bad)) << bad;
  }
}

TEST(PhoenixFrame, EncodeRoundTripsRawPieces) {
  std::string payload = R"({"status":"ok","response":{}})";
  std::string out = Encode("\"3\"", "\"9\"", "chat_room:x", "phx_reply", payload);
  EXPECT_EQ(out, R"(["3","9","chat_room:x","phx_reply",{"status":"ok","response":{}}])");
  auto f = Parse(out);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->payload, payload);
  EXPECT_EQ(Encode("null", "null", "t\"q", "e", "{}"), R"([null,null,"t\"q","e",{}])");
}

TEST(PhoenixFrame, DeepNestingIsRejectedNotCrashing) {
  std::string deep = "[null,null,\"t\",\"e\"," + std::string(100000, '[') + "]";
  EXPECT_FALSE(Parse(deep));
}

}  // namespace
}  // namespace wsr::phoenix
