// ParseControlRequest: what each control endpoint accepts and the one-line errors it gives.
#include "replay/control_request.h"

#include <gtest/gtest.h>

namespace wsr::replay {
namespace {

ControlError Err(std::string_view method, std::string_view what, ControlArgs args = {}) {
  auto r = ParseControlRequest(method, what, args);
  EXPECT_TRUE(std::holds_alternative<ControlError>(r)) << method << " " << what;
  return std::holds_alternative<ControlError>(r) ? std::get<ControlError>(r) : ControlError{};
}

ControlRequest Ok(std::string_view method, std::string_view what, ControlArgs args = {}) {
  auto r = ParseControlRequest(method, what, args);
  EXPECT_TRUE(std::holds_alternative<ControlRequest>(r))
      << method << " " << what << ": "
      << (std::holds_alternative<ControlError>(r) ? std::get<ControlError>(r).message : "");
  return std::holds_alternative<ControlRequest>(r) ? std::get<ControlRequest>(r) : ControlRequest{};
}

TEST(ControlRequest, EndpointsAndMethods) {
  EXPECT_EQ(Ok("GET", "status").kind, ControlRequest::Kind::kStatus);
  EXPECT_EQ(Ok("GET", "report").kind, ControlRequest::Kind::kReport);
  EXPECT_EQ(Ok("POST", "step").kind, ControlRequest::Kind::kStep);
  EXPECT_EQ(Ok("POST", "pause").kind, ControlRequest::Kind::kPause);
  EXPECT_EQ(Ok("POST", "resume").kind, ControlRequest::Kind::kResume);
  EXPECT_EQ(Err("GET", "step").status, 405);
  EXPECT_EQ(Err("POST", "status").status, 405);
  auto e = Err("POST", "rewind");
  EXPECT_EQ(e.status, 404);
  EXPECT_EQ(e.message, "unknown control endpoint /__wsreplay/rewind");
}

TEST(ControlRequest, AdvanceTakesANonNegativeIntegerOfMilliseconds) {
  EXPECT_EQ(Ok("POST", "advance", {.ms = "250"}).advance_ms, 250);
  EXPECT_EQ(Ok("POST", "advance", {.ms = "0"}).advance_ms, 0);
  // Up to 2^60 ns (36 years, the longest span a cassette holds): more would wrap the clock.
  EXPECT_EQ(Ok("POST", "advance", {.ms = "1152921504606"}).advance_ms, 1152921504606);
  for (const char* bad : {"", "-1", "+5", " 5", "5ms", "1.5", "99999999999999999999999",
                          "1152921504607", "9223372036854775807"}) {
    EXPECT_EQ(Err("POST", "advance", {.ms = bad}).message,
              "advance needs ?ms=N (an integer from 0 to 1152921504606, 36 years)")
        << bad;
  }
  EXPECT_EQ(Err("POST", "advance").status, 400);
}

TEST(ControlRequest, SpeedTakesAPositiveNumberOrMax) {
  EXPECT_DOUBLE_EQ(Ok("POST", "speed", {.x = "2.5"}).speed, 2.5);
  EXPECT_EQ(Ok("POST", "speed", {.x = "max"}).speed, 0);
  EXPECT_EQ(Err("POST", "speed").message, "speed needs ?x=F (a positive number or max)");
  EXPECT_EQ(Err("POST", "speed", {.x = "fast"}).message,
            "speed needs ?x=F (a positive number or max), got 'fast'");
  EXPECT_EQ(Err("POST", "speed", {.x = "1\n2"}).message,
            "speed needs ?x=F (a positive number or max), got '1\\x0a2'");
  EXPECT_EQ(Err("POST", "speed", {.x = "-1"}).status, 400);
  EXPECT_EQ(Err("POST", "speed", {.x = "nan"}).status, 400);
}

}  // namespace
}  // namespace wsr::replay
