// live_feed.h: the bounded event feed of the live page.
#include "replay/live_feed.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <vector>

namespace wsr::replay {
namespace {

// The data: lines of an SSE text, parsed.
std::vector<nlohmann::json> Events(const std::string& sse) {
  std::vector<nlohmann::json> out;
  size_t pos = 0;
  while ((pos = sse.find("data: ", pos)) != std::string::npos) {
    size_t end = sse.find('\n', pos);
    out.push_back(nlohmann::json::parse(sse.substr(pos + 6, end - pos - 6)));
    pos = end;
  }
  return out;
}

TEST(LiveFeed, FramesCarryLaneKindPayloadAndMismatch) {
  LiveFeed feed;
  feed.Open(1, 3, "/socket/websocket", "phoenix", 0);
  feed.Frame(1, false, 7, 2'000'000, 5'000'000, 1, R"(["1",null,"room:A","m",{"i":1}])");
  feed.Frame(1, true, -1, 2'500'000, 6'000'000, 1, R"(["2","2","room:C","phx_join",{}])",
             "topic 'room:C' is not in the cassette");
  feed.Close(1, "client closed 1000", 7'000'000);
  feed.Control("paused", 8'000'000);
  uint64_t cursor = feed.oldest_id();
  std::string out;
  ASSERT_TRUE(feed.Read(&cursor, 1 << 20, &out));
  auto ev = Events(out);
  ASSERT_EQ(ev.size(), 5u);
  EXPECT_EQ(ev[0]["type"], "open");
  EXPECT_EQ(ev[0]["recorded"], 3);
  EXPECT_EQ(ev[1]["type"], "frame");
  EXPECT_EQ(ev[1]["dir"], "s2c");
  EXPECT_EQ(ev[1]["seq"], 7);
  EXPECT_EQ(ev[1]["rec_ms"], 2.0);
  EXPECT_EQ(ev[1]["topic"], "room:A");
  EXPECT_EQ(ev[1]["event"], "m");
  EXPECT_EQ(ev[1]["payload"], R"(["1",null,"room:A","m",{"i":1}])");
  EXPECT_FALSE(ev[1].contains("mismatch"));
  EXPECT_EQ(ev[2]["dir"], "c2s");
  EXPECT_TRUE(ev[2]["seq"].is_null());
  EXPECT_EQ(ev[2]["mismatch"], "topic 'room:C' is not in the cassette");
  EXPECT_EQ(ev[3]["how"], "client closed 1000");
  EXPECT_EQ(ev[4]["what"], "paused");
  EXPECT_EQ(cursor, feed.next_id());
  out.clear();
  EXPECT_FALSE(feed.Read(&cursor, 1 << 20, &out));  // nothing new
}

TEST(LiveFeed, BoundedRingTellsASlowReaderWhatItLost) {
  LiveFeed feed(/*capacity=*/8, /*max_payload=*/16);
  uint64_t slow = feed.oldest_id();
  for (int i = 0; i < 100; ++i) {
    feed.Frame(1, false, i, i, i, 1, std::string(1000, 'x'));  // each payload cut to 16 bytes
  }
  EXPECT_EQ(feed.next_id() - feed.oldest_id(), 8u);
  std::string out;
  ASSERT_TRUE(feed.Read(&slow, 1 << 20, &out));
  auto ev = Events(out);
  ASSERT_EQ(ev.size(), 9u);
  EXPECT_EQ(ev[0]["type"], "lost");
  EXPECT_EQ(ev[0]["count"], 92);
  EXPECT_EQ(ev[1]["seq"], 92);
  EXPECT_EQ(ev[1]["size"], 1000);
  EXPECT_EQ(ev[1]["truncated"], true);
  EXPECT_EQ(ev[1]["payload"].get<std::string>().size(), 16u);
  EXPECT_EQ(ev[8]["seq"], 99);
}

TEST(LiveFeed, ReadStopsAtTheByteBudgetButAlwaysMakesProgress) {
  LiveFeed feed;
  for (int i = 0; i < 10; ++i) feed.Control("stepped", i);
  uint64_t cursor = feed.oldest_id();
  std::string out;
  ASSERT_TRUE(feed.Read(&cursor, 1, &out));  // budget smaller than one event: one event
  EXPECT_EQ(Events(out).size(), 1u);
  out.clear();
  ASSERT_TRUE(feed.Read(&cursor, 1 << 20, &out));
  EXPECT_EQ(Events(out).size(), 9u);
}

TEST(LiveFeed, CutPhoenixPayloadKeepsItsLane) {
  LiveFeed feed(8, 20);
  std::string big = R"(["1",null,"room:A","big",{"text":")" + std::string(500, 'y') + "\"}]";
  feed.Frame(1, false, 1, 0, 0, 1, big);
  uint64_t cursor = feed.oldest_id();
  std::string out;
  ASSERT_TRUE(feed.Read(&cursor, 1 << 20, &out));
  auto ev = Events(out);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["topic"], "room:A");
  EXPECT_EQ(ev[0]["event"], "big");
  EXPECT_EQ(ev[0]["truncated"], true);
}

}  // namespace
}  // namespace wsr::replay
