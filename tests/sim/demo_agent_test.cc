// Unit tests of the demo's agent (sim/demo_agent.h): a received frame in, REST calls out.
#include "sim/demo_agent.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace wsr::sim {
namespace {

const std::string kMe = "7d2f4c1e-3b9a-4e8f-9c61-2a5b8d0e4f13";
const std::string kAlice = "0b8e5a92-61d4-4c3e-8f7a-9e2c1d4b6a58";
const std::string kRoom = "5f0c9a3e-2d71-4b8e-a6c4-81e9f2d03b7a";

std::string Push(const std::string& event, const std::string& topic, const std::string& sender,
                 const std::string& mention) {
  nlohmann::json payload = {{"id", "m1"},
                            {"content", "hi"},
                            {"sender_id", sender},
                            {"sender_name", "Alice Doe"},
                            {"metadata", {{"mentions", {{{"id", mention}}}}}}};
  return nlohmann::json::array({nullptr, nullptr, topic, event, payload}).dump();
}

TEST(DemoAgent, AnswersAMentionWithProcessingReplyProcessed) {
  auto calls =
      AnswerMention(Push("message_created", "chat_room:" + kRoom, kAlice, kMe), {kMe, "the-key"});
  ASSERT_EQ(calls.size(), 3u);
  const std::string chat = "/api/v1/agent/chats/" + kRoom;
  EXPECT_EQ(calls[0].method, "POST");
  EXPECT_EQ(calls[0].target, chat + "/messages/m1/processing");
  EXPECT_EQ(calls[1].target, chat + "/messages");
  EXPECT_EQ(calls[2].target, chat + "/messages/m1/processed");
  auto reply = nlohmann::json::parse(calls[1].body);
  EXPECT_EQ(reply["message"]["mentions"][0]["id"], kAlice);
  EXPECT_EQ(reply["message"]["content"].get<std::string>().rfind("@Alice Doe ", 0), 0u);
  for (const auto& c : calls) {
    bool keyed = false;
    for (const auto& [name, value] : c.headers) keyed |= name == "X-API-Key" && value == "the-key";
    EXPECT_TRUE(keyed) << c.target;
  }
}

TEST(DemoAgent, IgnoresEverythingElse) {
  const AgentIdentity me{kMe, "k"};
  const std::string room = "chat_room:" + kRoom;
  EXPECT_TRUE(AnswerMention(Push("message_created", room, kAlice, kAlice), me).empty());
  EXPECT_TRUE(AnswerMention(Push("message_created", room, kMe, kMe), me).empty()) << "own";
  EXPECT_TRUE(AnswerMention(Push("message_updated", room, kAlice, kMe), me).empty());
  EXPECT_TRUE(AnswerMention(Push("message_created", "agent_rooms:x", kAlice, kMe), me).empty());
  EXPECT_TRUE(AnswerMention("not json", me).empty());
  EXPECT_TRUE(AnswerMention(R"([null,null,"chat_room:r","message_created","x"])", me).empty());
}

}  // namespace
}  // namespace wsr::sim
