// Unit tests for the Thenvoi spec table and payload checker (thenvoi/spec.h).
#include "thenvoi/spec.h"

#include <gtest/gtest.h>

using nlohmann::json;
using namespace wsr::thenvoi;

namespace {

size_t Errors(const std::vector<Finding>& f) {
  size_t n = 0;
  for (const auto& x : f) n += x.is_error();
  return n;
}
size_t Warnings(const std::vector<Finding>& f) { return f.size() - Errors(f); }

json Message() {
  return json::parse(R"({"id":"c41e7b20","content":"@weather-agent hi","message_type":"text",
    "sender_id":"u1","sender_type":"User","sender_name":"Alice Doe","chat_room_id":"r1",
    "metadata":{"mentions":[{"id":"a1","username":"weather-agent"}],"status":"sent"},
    "inserted_at":"2026-03-10T09:15:02.481203Z","updated_at":"2026-03-10T09:15:02.481203Z"})");
}

TEST(ThenvoiSpec, SevenChannelsWithTheirEvents) {
  ASSERT_EQ(Channels().size(), 7u);
  EXPECT_NE(FindChannel("chat_room:abc"), nullptr);
  EXPECT_NE(FindChannel("tasks"), nullptr);
  EXPECT_EQ(FindChannel("bogus:1"), nullptr);
  EXPECT_EQ(FindChannel("chat_roomx:1"), nullptr);
  EXPECT_NE(FindEvent("user_contacts:u", "contact_request_received"), nullptr);
  EXPECT_EQ(FindEvent("agent_rooms:a", "message_created"), nullptr);
  EXPECT_NE(FindSystemEvent("phx_reply"), nullptr);
  EXPECT_EQ(FindSystemEvent("message_created"), nullptr);
  size_t events = 0;
  for (const auto& ch : Channels()) events += ch.events.size();
  EXPECT_EQ(events, 3u + 3 + 2 + 2 + 4 + 4 + 3);
}

TEST(ThenvoiSpec, JoinRules) {
  auto in_room = [](std::string_view id) { return id == "r1"; };
  auto U = Identity::kUser;
  auto A = Identity::kAgent;
  EXPECT_EQ(DecideJoin("chat_room:r1", U, "u1", in_room), JoinVerdict::kOk);
  EXPECT_EQ(DecideJoin("chat_room:r2", U, "u1", in_room), JoinVerdict::kUnauthorized);
  EXPECT_EQ(DecideJoin("room_participants:r1", A, "a1", in_room), JoinVerdict::kOk);
  EXPECT_EQ(DecideJoin("user_rooms:u1", U, "u1", in_room), JoinVerdict::kOk);
  EXPECT_EQ(DecideJoin("user_rooms:u2", U, "u1", in_room), JoinVerdict::kUnauthorized);
  EXPECT_EQ(DecideJoin("user_rooms:a1", A, "a1", in_room), JoinVerdict::kUnauthorized);
  EXPECT_EQ(DecideJoin("agent_rooms:a1", A, "a1", in_room), JoinVerdict::kOk);
  EXPECT_EQ(DecideJoin("agent_rooms:u1", U, "u1", in_room), JoinVerdict::kUnauthorized);
  EXPECT_EQ(DecideJoin("user_contacts:u1", U, "u1", in_room), JoinVerdict::kOk);
  EXPECT_EQ(DecideJoin("agent_contacts:a1", A, "a1", in_room), JoinVerdict::kOk);
  EXPECT_EQ(DecideJoin("agent_contacts:a1", U, "a1", in_room), JoinVerdict::kUnauthorized);
  EXPECT_EQ(DecideJoin("tasks:u1", U, "u1", in_room), JoinVerdict::kOk);
  EXPECT_EQ(DecideJoin("tasks:a1", A, "a1", in_room), JoinVerdict::kUnauthorized);
  EXPECT_EQ(DecideJoin("bogus:1", U, "u1", in_room), JoinVerdict::kUnmatchedTopic);
  EXPECT_EQ(DecideJoin("chat_room", U, "u1", in_room), JoinVerdict::kUnmatchedTopic);
}

TEST(ThenvoiSpec, MessageCreatedValid) {
  auto f = CheckPayload("chat_room:r1", "message_created", Message());
  EXPECT_TRUE(f.empty()) << f[0].path << ": " << f[0].message;
}

TEST(ThenvoiSpec, MissingRequiredAndWrongTypes) {
  json m = Message();
  m.erase("content");
  m["sender_type"] = "Robot";
  m["metadata"]["mentions"][0]["id"] = 5;
  auto f = CheckPayload("chat_room:r1", "message_created", m);
  ASSERT_EQ(Errors(f), 3u);
  EXPECT_EQ(f[0].path, "/content");
  EXPECT_EQ(f[1].path, "/sender_type");
  EXPECT_EQ(f[2].path, "/metadata/mentions/0/id");
}

TEST(ThenvoiSpec, UnverifiedFieldOnlyWarns) {
  json m = Message();
  m["chat_room_id"] = 7;
  auto f = CheckPayload("chat_room:r1", "message_created", m);
  EXPECT_EQ(Errors(f), 0u);
  EXPECT_EQ(Warnings(f), 1u);
}

TEST(ThenvoiSpec, UnknownEventAndNonObjectPayload) {
  auto f = CheckPayload("tasks:u1", "message_created", json::object());
  ASSERT_EQ(Errors(f), 1u);
  EXPECT_NE(f[0].message.find("task_created"), std::string::npos);
  EXPECT_EQ(Errors(CheckPayload("tasks:u1", "task_deleted", json::array())), 1u);
  EXPECT_EQ(Errors(CheckPayload("bogus:1", "x", json::object())), 1u);
}

TEST(ThenvoiSpec, ContactRequestFormatsPerChannel) {
  json nested = json::parse(R"({"id":"c","requester_id":"r","requester_type":"Agent",
    "recipient_id":"u","recipient_type":"User","status":"pending","message":"hi",
    "requester":{"id":"r","handle":"bob/bot","name":"Bot"},
    "inserted_at":"2026-03-10T10:00:00.000000Z","responded_at":null})");
  json flat = json::parse(R"({"id":"c","from_handle":"bob/bot","from_name":"Bot",
    "status":"pending","inserted_at":"2026-03-10T10:00:00.000000Z"})");
  EXPECT_TRUE(CheckPayload("user_contacts:u", "contact_request_received", nested).empty());
  EXPECT_TRUE(CheckPayload("agent_contacts:a", "contact_request_received", flat).empty());
  EXPECT_GT(Errors(CheckPayload("user_contacts:u", "contact_request_received", flat)), 0u);
  EXPECT_GT(Errors(CheckPayload("agent_contacts:a", "contact_request_received", nested)), 0u);
  flat.erase("from_name");  // optional per docs, required by both SDKs
  auto f = CheckPayload("agent_contacts:a", "contact_request_received", flat);
  EXPECT_EQ(Errors(f), 0u);
  ASSERT_EQ(Warnings(f), 2u);
  EXPECT_NE(f[0].message.find("the Python SDK (pydantic) drops this contact_request_received"),
            std::string::npos)
      << f[0].message;
  EXPECT_NE(f[1].message.find("the TypeScript SDK (zod)"), std::string::npos) << f[1].message;
  EXPECT_NE(f[1].message.find("'from_name'"), std::string::npos) << f[1].message;
}

TEST(ThenvoiSpec, RoomRemovedTwoShapes) {
  json sdk = json::parse(R"({"id":"r","status":"removed","type":"direct","title":"T",
    "removed_at":"2026-03-10T10:00:00Z"})");
  json doc = json::parse(R"({"id":"r","title":"T","task_id":null,
    "inserted_at":"2026-03-10T10:00:00Z","updated_at":"2026-03-10T10:00:00Z"})");
  // Spec 3.4/3.5: the TypeScript SDK requires the SDK-model shape, the current Python
  // models the documented one. Each shape alone is valid but dropped by one SDK.
  auto sdk_f = CheckPayload("agent_rooms:a", "room_removed", sdk);
  EXPECT_EQ(Errors(sdk_f), 0u);
  ASSERT_EQ(Warnings(sdk_f), 1u);
  EXPECT_NE(sdk_f[0].message.find("Python SDK"), std::string::npos) << sdk_f[0].message;
  auto f = CheckPayload("agent_rooms:a", "room_removed", doc);
  EXPECT_EQ(Errors(f), 0u);
  ASSERT_EQ(Warnings(f), 1u);
  EXPECT_NE(f[0].message.find("TypeScript SDK"), std::string::npos) << f[0].message;
  EXPECT_NE(f[0].message.find("'status', 'type', 'removed_at'"), std::string::npos) << f[0].message;
  // Both shapes' fields together: accepted by both.
  json both = doc;
  both.update(sdk);
  EXPECT_TRUE(CheckPayload("agent_rooms:a", "room_removed", both).empty());
  // user_rooms goes to Human API clients, not to the (agent) SDKs: no SDK warning there.
  EXPECT_TRUE(CheckPayload("user_rooms:u", "room_removed", doc).empty());
  auto bad = CheckPayload("user_rooms:u", "room_removed", json::parse(R"({"id":"r"})"));
  EXPECT_GT(Errors(bad), 0u);
  EXPECT_NE(bad[0].message.find("closest shape"), std::string::npos);
}

TEST(ThenvoiSpec, EnumsChecked) {
  EXPECT_EQ(Errors(CheckPayload("tasks:u", "task_updated", json::parse(R"({"id":"t",
    "user_id":"u","status":"sleeping","inserted_at":"x","updated_at":"y"})"))),
            1u);
  EXPECT_EQ(Errors(CheckPayload("user_contacts:u", "contact_request_updated",
                                json::parse(R"({"id":"c","status":"approved"})"))),
            0u);
  EXPECT_EQ(Errors(CheckPayload("user_contacts:u", "contact_request_updated",
                                json::parse(R"({"id":"c","status":"pending"})"))),
            1u);
}

TEST(ThenvoiSpec, AgentMentionFiltering) {
  const ChannelSpec* ch = FindChannel("chat_room:r");
  const EventSpec* created = FindEvent(*ch, "message_created");
  const EventSpec* updated = FindEvent(*ch, "message_updated");
  json m = Message();
  EXPECT_TRUE(AgentReceives(*ch, *created, m, "a1"));
  EXPECT_FALSE(AgentReceives(*ch, *created, m, "a2"));  // not mentioned
  EXPECT_FALSE(AgentReceives(*ch, *updated, m, "a1"));  // never updates
  m["sender_id"] = "a1";
  EXPECT_FALSE(AgentReceives(*ch, *created, m, "a1"));  // own message
  m["sender_id"] = "u1";
  m["message_type"] = "thought";
  EXPECT_FALSE(AgentReceives(*ch, *created, m, "a1"));  // not text
  m["message_type"] = 3;                                // malformed: no throw
  EXPECT_FALSE(AgentReceives(*ch, *created, m, "a1"));
  const ChannelSpec* rooms = FindChannel("agent_rooms:a1");
  EXPECT_TRUE(AgentReceives(*rooms, *FindEvent(*rooms, "room_added"), json::object(), "a1"));
}

}  // namespace

namespace {

TEST(ThenvoiSpec, ParticipantAddedIsCheckedAgainstTheShapeItsTypeNames) {
  json agent = json::parse(R"({"id":"p1","type":"Agent","name":"Booking Agent",
    "description":"Books hotels","is_external":"yes","handle":"carol/booking-agent"})");
  auto f = CheckPayload("room_participants:r1", "participant_added", agent);
  ASSERT_EQ(Errors(f), 1u);
  EXPECT_EQ(f[0].path, "/is_external");
  agent["is_external"] = true;
  EXPECT_EQ(Errors(CheckPayload("room_participants:r1", "participant_added", agent)), 0u);
}

}  // namespace
