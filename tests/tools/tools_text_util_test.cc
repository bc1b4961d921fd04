// Unit tests of the tools' text helpers: base64, UTF-8 validation, ISO 8601 times.
#include <gtest/gtest.h>

#include "tools/text_util.h"

namespace wsr::tools {
namespace {

TEST(ToolsTextUtil, Base64RoundTripsAndRejectsJunk) {
  for (std::string s : {std::string(""), std::string("a"), std::string("ab"), std::string("abc"),
                        std::string("\x00\xff\x10\x80", 4)}) {
    EXPECT_EQ(Base64Decode(Base64Encode(s)), s);
  }
  EXPECT_EQ(Base64Encode(std::string("\x00\x01\xff", 3)), "AAH/");
  EXPECT_EQ(Base64Decode("AQID"), std::string("\x01\x02\x03"));
  EXPECT_EQ(Base64Decode("AA-_"), std::string("\x00\x0f\xbf", 3));  // base64url
  EXPECT_EQ(Base64Decode("YQ"), "a");                               // no padding
  EXPECT_FALSE(Base64Decode("a*b").has_value());
  EXPECT_FALSE(Base64Decode("YQ==YQ").has_value());
  EXPECT_FALSE(Base64Decode("Y").has_value());
}

TEST(ToolsTextUtil, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // > U+10FFFF
}

TEST(ToolsTextUtil, Iso8601) {
  const int64_t t = 1764360000LL * 1000000000;  // 2025-11-28T20:00:00Z
  EXPECT_EQ(FormatIso8601(t + 123456789, 3), "2025-11-28T20:00:00.123Z");
  EXPECT_EQ(FormatIso8601(t, 0), "2025-11-28T20:00:00Z");
  EXPECT_EQ(ParseIso8601("2025-11-28T20:00:00.123Z"), t + 123000000);
  EXPECT_EQ(ParseIso8601("2025-11-28T20:00:00Z"), t);
  EXPECT_EQ(ParseIso8601("2025-11-28T21:30:00.5+01:30"), t + 500000000);
  EXPECT_EQ(ParseIso8601("2025-11-28T19:00:00-0100"), t);
  EXPECT_EQ(ParseIso8601("2025-11-28T20:00:00.123456789Z"), t + 123456789);
  EXPECT_FALSE(ParseIso8601("2025-13-28T20:00:00Z").has_value());
  EXPECT_FALSE(ParseIso8601("yesterday").has_value());
  EXPECT_FALSE(ParseIso8601("2025-11-28T20:00:00Zjunk").has_value());
}

}  // namespace
}  // namespace wsr::tools
