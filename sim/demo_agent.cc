#include "sim/demo_agent.h"

#include <nlohmann/json.hpp>

#include "phoenix/frame.h"
#include "sim/rest_api.h"

namespace wsr::sim {

std::vector<HttpCallRequest> AnswerMention(std::string_view frame_text, const AgentIdentity& me) {
  auto frame = phoenix::Parse(frame_text);
  constexpr std::string_view kRoom = "chat_room:";
  if (!frame || frame->event != "message_created" || frame->topic.rfind(kRoom, 0) != 0) return {};
  auto payload = nlohmann::json::parse(frame->payload, nullptr, /*allow_exceptions=*/false);
  if (!payload.is_object()) return {};
  const std::string id = payload.value("id", "");
  const std::string sender = payload.value("sender_id", "");
  if (id.empty() || sender == me.id) return {};
  bool mentioned = false;
  const auto meta = payload.find("metadata");
  if (meta != payload.end() && meta->is_object()) {
    const auto mentions = meta->find("mentions");
    if (mentions != meta->end() && mentions->is_array()) {
      for (const auto& m : *mentions) {
        if (m.is_object() && m.value("id", "") == me.id) mentioned = true;
      }
    }
  }
  if (!mentioned) return {};

  const std::string chat =
      std::string(kRestAgentBase) + "/chats/" + frame->topic.substr(kRoom.size());
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"X-API-Key", me.api_key}, {"Content-Type", "application/json"}};
  nlohmann::json mention = {{"id", sender}};
  if (payload.contains("sender_name") && payload["sender_name"].is_string()) {
    mention["name"] = payload["sender_name"];
  }
  nlohmann::json reply = {
      {"message",
       {{"content", "@" + mention.value("name", sender) + " Lisbon: sunny, 24°C all week."},
        {"mentions", nlohmann::json::array({mention})}}}};
  return {
      {"POST", chat + "/messages/" + id + "/processing", headers, ""},
      {"POST", chat + "/messages", headers, reply.dump()},
      {"POST", chat + "/messages/" + id + "/processed", headers, ""},
  };
}

}  // namespace wsr::sim
