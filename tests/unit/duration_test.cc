#include "common/duration.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace wsr {
namespace {

TEST(Duration, Parses) {
  EXPECT_EQ(ParseDurationNs("2s"), 2'000'000'000);
  EXPECT_EQ(ParseDurationNs("150ms"), 150'000'000);
  EXPECT_EQ(ParseDurationNs("1.5s"), 1'500'000'000);
  EXPECT_EQ(ParseDurationNs("2m"), 120'000'000'000);
  EXPECT_EQ(ParseDurationNs("5"), 5'000'000'000);
  EXPECT_THROW(ParseDurationNs("fast"), Error);
  EXPECT_THROW(ParseDurationNs("3 parsecs"), Error);
  EXPECT_THROW(ParseDurationNs("-1s"), Error);
}

// Longer than any recording (cassettes hold offsets up to 2^60 ns, about 36 years): refused
// with a message, not wrapped into a negative or nonsense number of nanoseconds.
TEST(Duration, RefusesWhatNoClockReaches) {
  EXPECT_EQ(ParseDurationNs("300000h"), 300'000LL * 3600 * 1'000'000'000);  // 34 years
  for (const char* text : {"1e300s", "1e30ns", "400000h", "inf", "nan"}) {
    SCOPED_TRACE(text);
    try {
      ParseDurationNs(text);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
  }
}

TEST(Duration, AFlagsErrorNamesTheFlag) {
  EXPECT_EQ(ParseDurationFlag("--max-gap", "250ms"), 250'000'000);
  try {
    ParseDurationFlag("--max-gap", "3 parsecs");
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(
        e.what(),
        "--max-gap: bad duration '3 parsecs': unknown unit ' parsecs' (use ns, us, ms, s, m, h)");
  }
}

TEST(Duration, Formats) {
  EXPECT_EQ(FormatDurationNs(1'234'000'000), "1.234s");
  EXPECT_EQ(FormatDurationNs(12'500'000), "12.500ms");
  EXPECT_EQ(FormatDurationNs(830'000), "830.0us");
}

}  // namespace
}  // namespace wsr
