// Unit tests of the simulator's REST core (sim/rest_api.h): requests in, responses and
// pushes out, no sockets. Uses the built-in keys (sim/default_keys.jsonl).
#include "sim/rest_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

using nlohmann::json;
using wsr::sim::Keys;
using wsr::sim::RestApi;
using wsr::sim::RestRequest;
using wsr::sim::RestResult;

namespace {

const std::string kAlice = "0b8e5a92-61d4-4c3e-8f7a-9e2c1d4b6a58";
const std::string kWeather = "7d2f4c1e-3b9a-4e8f-9c61-2a5b8d0e4f13";
const std::string kBooking = "9c3e5a71-0d2f-4b84-a6e9-3f1b7d5c2e80";
const std::string kRoom = "5f0c9a3e-2d71-4b8e-a6c4-81e9f2d03b7a";
const std::string kRoom2 = "a7b8c9d0-1e2f-4a3b-8c4d-5e6f7a8b9c0d";
const std::string kAliceKey = "sim-user-alice";
const std::string kWeatherKey = "sim-agent-weather";
const std::string kBookingKey = "sim-agent-booking";
const int64_t kNow = 1773140102481;  // 2026-03-10T10:55:02.481Z

class RestApiTest : public ::testing::Test {
 protected:
  RestResult Call(const std::string& method, const std::string& target,
                  const std::string& key = kWeatherKey, const std::string& body = "") {
    RestRequest r;
    r.method = method;
    r.target = target;
    if (!key.empty()) r.headers["x-api-key"] = key;
    r.body = body;
    last_ = api_.Handle(r, kNow);
    return last_;
  }
  json Body() const {
    return last_.response.body.empty() ? json() : json::parse(last_.response.body);
  }
  int Status() const { return last_.response.status; }
  std::string Agent(const std::string& rest) { return "/api/v1/agent" + rest; }
  std::string Chat(const std::string& rest = "") { return Agent("/chats/" + kRoom + rest); }
  // Posts a text message from `key` mentioning `mention`; returns its id.
  std::string PostText(const std::string& key, const std::string& mention,
                       const std::string& text = "@someone hello") {
    Call("POST", Chat("/messages"), key,
         json{{"message", {{"content", text}, {"mentions", {{{"id", mention}}}}}}}.dump());
    EXPECT_EQ(Status(), 201) << last_.response.body;
    return Body()["data"].value("id", "");
  }

  Keys keys_ = Keys::Default();
  RestApi api_{keys_};
  RestResult last_;
};

TEST_F(RestApiTest, MissingOrWrongKeyIs401) {
  Call("GET", Agent("/me"), "");
  EXPECT_EQ(Status(), 401);
  EXPECT_EQ(Body()["error"], "unauthorized");
  EXPECT_NE(Body()["message"].get<std::string>().find("X-API-Key"), std::string::npos);
  Call("GET", Agent("/me"), "not-a-key");
  EXPECT_EQ(Status(), 401);
  EXPECT_EQ(Body()["error"], "unauthorized");
  EXPECT_TRUE(last_.pushes.empty());
}

TEST_F(RestApiTest, AgentKeyOnHumanRoutesIs403AndUserKeyOnAgentRoutesToo) {
  Call("GET", "/api/v1/me/profile", kWeatherKey);
  EXPECT_EQ(Status(), 403);
  EXPECT_EQ(Body()["error"], "forbidden");
  Call("GET", "/api/v1/me/chats", kWeatherKey);
  EXPECT_EQ(Status(), 403);
  Call("GET", Agent("/me"), kAliceKey);
  EXPECT_EQ(Status(), 403);
  Call("GET", "/api/v1/me/profile", kAliceKey);
  EXPECT_EQ(Status(), 200);
  EXPECT_EQ(Body()["data"]["id"], kAlice);
}

TEST_F(RestApiTest, UnknownRouteIs404AndWrongMethodIs405) {
  Call("GET", Agent("/nope"));
  EXPECT_EQ(Status(), 404);
  Call("DELETE", Agent("/chats"));
  EXPECT_EQ(Status(), 405);
  bool allow = false;
  for (auto& [k, v] : last_.response.headers) allow |= k == "allow" && v == "GET, POST";
  EXPECT_TRUE(allow);
}

TEST_F(RestApiTest, MeIsTheAgentInADataEnvelope) {
  Call("GET", Agent("/me"));
  ASSERT_EQ(Status(), 200);
  json d = Body()["data"];
  EXPECT_EQ(d["id"], kWeather);
  EXPECT_EQ(d["name"], "Weather Agent");
  EXPECT_EQ(d["handle"], "weather-agent");
  EXPECT_EQ(d["owner_uuid"], kAlice);
  EXPECT_TRUE(last_.pushes.empty());
}

TEST_F(RestApiTest, PeersLeaveOutSelfAndParticipantsOfNotInChat) {
  Call("GET", Agent("/peers"));
  ASSERT_EQ(Status(), 200);
  EXPECT_EQ(Body()["data"].size(), 2u);
  EXPECT_EQ(Body()["metadata"]["total_count"], 2);
  EXPECT_EQ(Body()["metadata"]["total_pages"], 1);
  Call("GET", Agent("/peers?not_in_chat=" + kRoom));
  EXPECT_EQ(Body()["data"].size(), 0u);
}

TEST_F(RestApiTest, ChatsArePaginatedWithCorrectTotals) {
  for (int i = 0; i < 4; ++i) Call("POST", Agent("/chats"), kWeatherKey, R"({"chat":{}})");
  Call("GET", Agent("/chats?page=2&page_size=2"));
  ASSERT_EQ(Status(), 200);
  EXPECT_EQ(Body()["data"].size(), 2u);
  EXPECT_EQ(Body()["metadata"],
            json::parse(R"({"page":2,"page_size":2,"total_count":5,"total_pages":3})"));
  Call("GET", Agent("/chats?page=3&page_size=2"));
  EXPECT_EQ(Body()["data"].size(), 1u);
  Call("GET", Agent("/chats?page=4&page_size=2"));
  EXPECT_EQ(Body()["data"].size(), 0u);
  Call("GET", Agent("/chats?page_size=101"));
  EXPECT_EQ(Status(), 422);
  Call("GET", Agent("/chats?page=0"));
  EXPECT_EQ(Status(), 422);
  Call("GET", Agent("/chats?page=x"));
  EXPECT_EQ(Status(), 422);
}

TEST_F(RestApiTest, CreateChatMakesTheAgentOwnerAndPushesRoomAdded) {
  Call("POST", Agent("/chats"), kWeatherKey, R"({"chat":{"task_id":null}})");
  ASSERT_EQ(Status(), 201);
  json room = Body()["data"];
  EXPECT_EQ(room["id"], "00000000-0000-4000-8000-000000000001");  // deterministic ids
  EXPECT_EQ(room["inserted_at"], "2026-03-10T10:55:02.481000Z");
  ASSERT_EQ(last_.pushes.size(), 1u);
  EXPECT_EQ(last_.pushes[0].topic, "agent_rooms:" + kWeather);
  EXPECT_EQ(last_.pushes[0].event, "room_added");
  EXPECT_EQ(last_.pushes[0].payload["id"], room["id"]);
  Call("GET", Agent("/chats/" + room["id"].get<std::string>() + "/participants"));
  ASSERT_EQ(Body()["data"].size(), 1u);
  EXPECT_EQ(Body()["data"][0]["role"], "owner");
  Call("POST", Agent("/chats"), kWeatherKey, R"({"nochat":1})");
  EXPECT_EQ(Status(), 422);
  Call("POST", Agent("/chats"), kWeatherKey, R"({"chat":)");
  EXPECT_EQ(Status(), 400);
}

TEST_F(RestApiTest, GetChatIs404ForUnknownOrForeignRooms) {
  Call("GET", Chat());
  EXPECT_EQ(Status(), 200);
  EXPECT_EQ(Body()["data"]["id"], kRoom);
  Call("GET", Agent("/chats/" + kRoom2));  // Alice's other room: the agent is not in it
  EXPECT_EQ(Status(), 404);
  Call("GET", Agent("/chats/00000000-0000-4000-8000-00000000ffff"));
  EXPECT_EQ(Status(), 404);
}

TEST_F(RestApiTest, ParticipantsFromTheKeysFile) {
  Call("GET", Chat("/participants"));
  ASSERT_EQ(Status(), 200);
  std::set<std::string> ids;
  json data = Body()["data"];
  for (auto& p : data) ids.insert(p["id"]);
  EXPECT_EQ(ids, (std::set<std::string>{kAlice, kWeather, kBooking}));
  EXPECT_TRUE(api_.IsParticipant(kRoom, kBooking));
  EXPECT_FALSE(api_.IsParticipant(kRoom2, kBooking));
}

TEST_F(RestApiTest, AddingAnAgentPushesParticipantAddedAndRoomAdded) {
  Call("POST", "/api/v1/me/chats/" + kRoom2 + "/participants", kAliceKey,
       json{{"participant", {{"participant_id", kBooking}, {"role", "member"}}}}.dump());
  ASSERT_EQ(Status(), 201) << last_.response.body;
  EXPECT_EQ(Body()["data"]["id"], kBooking);
  EXPECT_EQ(Body()["data"]["type"], "Agent");
  ASSERT_EQ(last_.pushes.size(), 2u);
  EXPECT_EQ(last_.pushes[0].topic, "room_participants:" + kRoom2);
  EXPECT_EQ(last_.pushes[0].event, "participant_added");
  EXPECT_EQ(last_.pushes[0].payload["id"], kBooking);
  EXPECT_EQ(last_.pushes[0].payload["type"], "Agent");
  EXPECT_EQ(last_.pushes[0].payload["name"], "Booking Agent");
  EXPECT_EQ(last_.pushes[1].topic, "agent_rooms:" + kBooking);
  EXPECT_EQ(last_.pushes[1].event, "room_added");
  EXPECT_EQ(last_.pushes[1].payload["id"], kRoom2);
  EXPECT_TRUE(api_.IsParticipant(kRoom2, kBooking));
  // Again: already a participant.
  Call("POST", "/api/v1/me/chats/" + kRoom2 + "/participants", kAliceKey,
       json{{"participant", {{"participant_id", kBooking}}}}.dump());
  EXPECT_EQ(Status(), 422);
  EXPECT_TRUE(last_.pushes.empty());
}

TEST_F(RestApiTest, AddParticipantErrors) {
  auto add = [&](const std::string& id) {
    Call("POST", Chat("/participants"), kWeatherKey,
         json{{"participant", {{"participant_id", id}}}}.dump());
  };
  add("not-a-uuid");
  EXPECT_EQ(Status(), 422);
  add("00000000-0000-4000-8000-00000000ffff");
  EXPECT_EQ(Status(), 404);
  Call("POST", Chat("/participants"), kWeatherKey,
       R"({"participant":{"participant_id":")" + kAlice + R"(","role":"king"}})");
  EXPECT_EQ(Status(), 422);
  Call("POST", Agent("/chats/" + kRoom2 + "/participants"), kWeatherKey,
       json{{"participant", {{"participant_id", kBooking}}}}.dump());
  EXPECT_EQ(Status(), 404);
}

TEST_F(RestApiTest, RemovingAParticipantPushesParticipantRemovedAndRoomRemoved) {
  Call("DELETE", Chat("/participants/" + kBooking));
  ASSERT_EQ(Status(), 200);
  ASSERT_EQ(last_.pushes.size(), 2u);
  EXPECT_EQ(last_.pushes[0].topic, "room_participants:" + kRoom);
  EXPECT_EQ(last_.pushes[0].event, "participant_removed");
  EXPECT_EQ(last_.pushes[0].payload, json::parse(R"({"id":")" + kBooking + R"(","type":"Agent"})"));
  EXPECT_EQ(last_.pushes[1].topic, "agent_rooms:" + kBooking);
  EXPECT_EQ(last_.pushes[1].event, "room_removed");
  EXPECT_FALSE(api_.IsParticipant(kRoom, kBooking));
  Call("DELETE", Chat("/participants/" + kBooking));
  EXPECT_EQ(Status(), 404);
}

TEST_F(RestApiTest, PostingAMessagePushesMessageCreatedOnTheRoom) {
  Call("POST", Chat("/messages"), kWeatherKey,
       json{{"message",
             {{"content", "@booking-agent find a hotel"}, {"mentions", {{{"id", kBooking}}}}}}}
           .dump());
  ASSERT_EQ(Status(), 201) << last_.response.body;
  json d = Body()["data"];
  EXPECT_EQ(d["success"], true);
  EXPECT_EQ(d["recipients"][0]["id"], kBooking);
  EXPECT_EQ(d["sender_id"], kWeather);
  EXPECT_EQ(d["sender_type"], "Agent");
  EXPECT_EQ(d["message_type"], "text");
  ASSERT_EQ(last_.pushes.size(), 1u);
  EXPECT_EQ(last_.pushes[0].topic, "chat_room:" + kRoom);
  EXPECT_EQ(last_.pushes[0].event, "message_created");
  json p = last_.pushes[0].payload;
  EXPECT_EQ(p["id"], d["id"]);
  EXPECT_EQ(p["content"], "@booking-agent find a hotel");
  EXPECT_EQ(p["sender_name"], "Weather Agent");
  EXPECT_EQ(p["metadata"]["mentions"][0]["id"], kBooking);
  EXPECT_EQ(p["chat_room_id"], kRoom);
}

TEST_F(RestApiTest, MessageValidation) {
  Call("POST", Chat("/messages"), kWeatherKey, R"({"message":{"content":"hi"}})");
  EXPECT_EQ(Status(), 422);  // agents must mention someone
  Call(
      "POST", Chat("/messages"), kWeatherKey,
      R"({"message":{"content":"hi","mentions":[{"id":"00000000-0000-4000-8000-00000000ffff"}]}})");
  EXPECT_EQ(Status(), 422);
  Call("POST", Chat("/messages"), kWeatherKey,
       R"({"message":{"content":"x","message_type":"thought","mentions":[{"id":")" + kAlice +
           R"("}]}})");
  EXPECT_EQ(Status(), 422);
  Call("POST", Chat("/messages"), kWeatherKey, R"({"message":{"content":""}})");
  EXPECT_EQ(Status(), 422);
  EXPECT_TRUE(last_.pushes.empty());
  // A user may post without mentions (Human API).
  Call("POST", "/api/v1/me/chats/" + kRoom + "/messages", kAliceKey,
       R"({"message":{"content":"hello all"}})");
  EXPECT_EQ(Status(), 201);
  EXPECT_EQ(last_.pushes.size(), 1u);
}

TEST_F(RestApiTest, ProcessingLifecycleAndNext) {
  std::string m1 = PostText(kBookingKey, kWeather);
  std::string m2 = PostText(kBookingKey, kWeather);
  PostText(kBookingKey, kAlice);  // not for the weather agent
  Call("GET", Chat("/messages/next"));
  ASSERT_EQ(Status(), 200);
  EXPECT_EQ(Body()["data"]["id"], m1);

  Call("POST", Chat("/messages/" + m1 + "/processed"));
  EXPECT_EQ(Status(), 422);  // no attempt open
  Call("POST", Chat("/messages/" + m1 + "/processing"));
  ASSERT_EQ(Status(), 200);
  EXPECT_EQ(Body()["data"],
            json::parse(R"({"id":")" + m1 +
                        R"(","status":"processing","attempt_number":1,"success":true})"));
  EXPECT_TRUE(last_.pushes.empty());
  Call("GET", Chat("/messages/next"));
  EXPECT_EQ(Body()["data"]["id"], m2);  // processing messages are skipped
  Call("GET", Chat("/messages?status=processing"));
  ASSERT_EQ(Body()["data"].size(), 1u);
  EXPECT_EQ(Body()["data"][0]["metadata"]["status"], "processing");
  EXPECT_EQ(Body()["metadata"]["status_filter"], "processing");

  Call("POST", Chat("/messages/" + m1 + "/failed"), kWeatherKey, "{}");
  EXPECT_EQ(Status(), 422);  // error text required
  Call("POST", Chat("/messages/" + m1 + "/failed"), kWeatherKey, R"({"error":"boom"})");
  ASSERT_EQ(Status(), 200);
  EXPECT_EQ(Body()["data"]["status"], "failed");
  Call("GET", Chat("/messages/next"));
  EXPECT_EQ(Body()["data"]["id"], m1);  // a failed message can be retried
  Call("POST", Chat("/messages/" + m1 + "/processing"));
  EXPECT_EQ(Body()["data"]["attempt_number"], 2);
  Call("POST", Chat("/messages/" + m1 + "/processed"));
  EXPECT_EQ(Body()["data"]["status"], "processed");
  Call("POST", Chat("/messages/" + m1 + "/processed"));
  EXPECT_EQ(Status(), 422);

  Call("GET", Chat("/messages"));  // default: everything not processed
  ASSERT_EQ(Body()["data"].size(), 1u);
  EXPECT_EQ(Body()["data"][0]["id"], m2);
  Call("GET", Chat("/messages?status=processed"));
  ASSERT_EQ(Body()["data"].size(), 1u);
  EXPECT_EQ(Body()["data"][0]["metadata"]["attempts"].size(), 2u);
  Call("GET", Chat("/messages?status=all"));
  EXPECT_EQ(Body()["data"].size(), 2u);
  Call("GET", Chat("/messages?status=bogus"));
  EXPECT_EQ(Status(), 422);

  Call("POST", Chat("/messages/" + m2 + "/processing"));
  Call("POST", Chat("/messages/" + m2 + "/processed"));
  Call("GET", Chat("/messages/next"));
  EXPECT_EQ(Status(), 204);
  EXPECT_TRUE(last_.response.body.empty());
  Call("POST", Chat("/messages/00000000-0000-4000-8000-00000000ffff/processing"));
  EXPECT_EQ(Status(), 404);
}

TEST_F(RestApiTest, EventsAreStoredWithoutPushesAndShowInContext) {
  std::string asked = PostText(kBookingKey, kWeather);
  Call("POST", Chat("/events"), kWeatherKey,
       R"({"event":{"content":"looking it up","message_type":"thought"}})");
  ASSERT_EQ(Status(), 201);
  EXPECT_EQ(Body()["data"]["message_type"], "thought");
  EXPECT_EQ(Body()["data"]["success"], true);
  EXPECT_TRUE(last_.pushes.empty());
  Call("POST", Chat("/events"), kWeatherKey, R"({"event":{"content":"x","message_type":"text"}})");
  EXPECT_EQ(Status(), 422);
  PostText(kWeatherKey, kBooking);
  PostText(kBookingKey, kAlice);  // neither from nor for the weather agent

  Call("GET", Chat("/context"));
  ASSERT_EQ(Status(), 200);
  ASSERT_EQ(Body()["data"].size(), 3u);
  EXPECT_EQ(Body()["data"][0]["id"], asked);  // oldest first
  EXPECT_EQ(Body()["data"][1]["message_type"], "thought");
  EXPECT_EQ(Body()["metadata"]["total_count"], 3);
  EXPECT_EQ(Body()["metadata"]["has_more"], false);

  Call("GET", Chat("/context?limit=2"));
  EXPECT_EQ(Body()["data"].size(), 2u);
  EXPECT_EQ(Body()["metadata"]["has_more"], true);
  std::string cursor = Body()["metadata"]["next_cursor"];
  Call("GET", Chat("/context?limit=2&cursor=" + cursor));
  EXPECT_EQ(Body()["data"].size(), 1u);
  EXPECT_EQ(Body()["metadata"]["has_more"], false);
  EXPECT_TRUE(Body()["metadata"]["next_cursor"].is_null());
  Call("GET", Chat("/context?cursor=zzz"));
  EXPECT_EQ(Status(), 422);
}

TEST_F(RestApiTest, ContactRequestApprovedPushesToBothSides) {
  Call("POST", Agent("/contacts/add"), kWeatherKey,
       R"({"handle":"@booking-agent","message":"hi"})");
  ASSERT_EQ(Status(), 201) << last_.response.body;
  std::string req = Body()["data"]["id"];
  EXPECT_EQ(Body()["data"]["status"], "pending");
  ASSERT_EQ(last_.pushes.size(), 1u);
  EXPECT_EQ(last_.pushes[0].topic, "agent_contacts:" + kBooking);
  EXPECT_EQ(last_.pushes[0].event, "contact_request_received");
  EXPECT_EQ(last_.pushes[0].payload["from_handle"], "weather-agent");
  EXPECT_EQ(last_.pushes[0].payload["message"], "hi");

  Call("POST", Agent("/contacts/add"), kWeatherKey, R"({"handle":"@booking-agent"})");
  EXPECT_EQ(Status(), 422);  // already pending
  Call("POST", Agent("/contacts/add"), kWeatherKey, R"({"handle":"@nobody"})");
  EXPECT_EQ(Status(), 404);

  Call("GET", Agent("/contacts/requests"), kBookingKey);
  ASSERT_EQ(Status(), 200);
  EXPECT_EQ(Body()["data"]["received"].size(), 1u);
  EXPECT_EQ(Body()["metadata"]["received"]["total"], 1);
  Call("GET", Agent("/contacts/requests"), kWeatherKey);
  EXPECT_EQ(Body()["data"]["sent"][0]["to_handle"], "booking-agent");

  Call("POST", Agent("/contacts/requests/respond"), kBookingKey,
       json{{"action", "approve"}, {"request_id", req}}.dump());
  ASSERT_EQ(Status(), 200);
  EXPECT_EQ(Body()["data"]["status"], "approved");
  ASSERT_EQ(last_.pushes.size(), 4u);
  EXPECT_EQ(last_.pushes[0].event, "contact_request_updated");
  EXPECT_EQ(last_.pushes[1].event, "contact_request_updated");
  EXPECT_EQ(last_.pushes[2].event, "contact_added");
  EXPECT_EQ(last_.pushes[2].topic, "agent_contacts:" + kWeather);
  EXPECT_EQ(last_.pushes[2].payload["id"], kBooking);
  EXPECT_EQ(last_.pushes[3].topic, "agent_contacts:" + kBooking);

  Call("GET", Agent("/contacts"));
  ASSERT_EQ(Body()["data"].size(), 1u);
  EXPECT_EQ(Body()["data"][0]["handle"], "booking-agent");
  Call("GET", Agent("/peers"));
  json peers = Body()["data"];
  for (auto& p : peers) EXPECT_EQ(p["is_contact"], p["id"] == kBooking);

  Call("POST", Agent("/contacts/remove"), kWeatherKey, R"({"handle":"booking-agent"})");
  ASSERT_EQ(Status(), 200);
  ASSERT_EQ(last_.pushes.size(), 2u);
  EXPECT_EQ(last_.pushes[0].event, "contact_removed");
  EXPECT_EQ(last_.pushes[1].topic, "agent_contacts:" + kBooking);
  Call("POST", Agent("/contacts/remove"), kWeatherKey, R"({"contact_id":")" + kBooking + "\"}");
  EXPECT_EQ(Status(), 404);
}

TEST_F(RestApiTest, ContactRequestToAUserIsNestedAndCanBeCancelled) {
  Call("POST", Agent("/contacts/add"), kBookingKey, R"({"handle":"alice-doe"})");
  ASSERT_EQ(Status(), 201);
  ASSERT_EQ(last_.pushes.size(), 1u);
  EXPECT_EQ(last_.pushes[0].topic, "user_contacts:" + kAlice);
  EXPECT_EQ(last_.pushes[0].payload["requester"]["handle"], "booking-agent");
  EXPECT_EQ(last_.pushes[0].payload["recipient_type"], "User");
  Call("POST", Agent("/contacts/requests/respond"), kBookingKey,
       R"({"action":"cancel","handle":"@alice-doe"})");
  ASSERT_EQ(Status(), 200);
  EXPECT_EQ(Body()["data"]["status"], "cancelled");
  ASSERT_EQ(last_.pushes.size(), 2u);
  EXPECT_EQ(last_.pushes[0].payload["status"], "cancelled");
  Call("POST", Agent("/contacts/requests/respond"), kBookingKey,
       R"({"action":"cancel","handle":"@alice-doe"})");
  EXPECT_EQ(Status(), 404);
  Call("POST", Agent("/contacts/requests/respond"), kBookingKey, R"({"action":"maybe"})");
  EXPECT_EQ(Status(), 422);
  Call("POST", Agent("/contacts/requests/respond"), kBookingKey,
       R"({"action":"approve","request_id":5})");
  EXPECT_EQ(Status(), 422);
  Call("POST", Agent("/contacts/add"), kBookingKey, R"({"handle":"alice-doe","message":7})");
  EXPECT_EQ(Status(), 201);  // a non-string message is ignored
}

TEST_F(RestApiTest, SameRequestsGiveTheSameAnswers) {
  auto script = [](RestApi& api) {
    std::string all;
    auto call = [&](const std::string& m, const std::string& t, const std::string& k,
                    const std::string& b) {
      RestRequest r{m, t, {{"x-api-key", k}}, b};
      auto res = api.Handle(r, kNow);
      all += std::to_string(res.response.status) + res.response.body;
      for (auto& p : res.pushes) all += p.topic + p.event + p.payload.dump();
    };
    call("POST", "/api/v1/agent/chats", kWeatherKey, R"({"chat":{}})");
    call("POST", "/api/v1/agent/chats/" + kRoom + "/messages", kBookingKey,
         R"({"message":{"content":"hi","mentions":[{"id":")" + kWeather + R"("}]}})");
    call("GET", "/api/v1/agent/chats/" + kRoom + "/messages/next", kWeatherKey, "");
    return all;
  };
  Keys keys = Keys::Default();
  RestApi a(keys), b(keys);
  EXPECT_EQ(script(a), script(b));
}

}  // namespace

namespace {

// A scenario's message_created becomes a message the mentioned agent can mark and see; pushes
// of unknown chats and other events change nothing, and noting a message twice keeps one.
TEST_F(RestApiTest, ScenarioMessagePushBecomesStateOnce) {
  const std::string id = "c41e7b20-9f3a-4d6e-8b15-3a0d92e6f4c7";
  json payload = {{"id", id},
                  {"content", "@weather-agent forecast?"},
                  {"message_type", "text"},
                  {"sender_id", kAlice},
                  {"sender_type", "User"},
                  {"sender_name", "Alice Doe"},
                  {"metadata", {{"mentions", {{{"id", kWeather}}}}, {"status", "sent"}}},
                  {"inserted_at", "2026-03-10T09:15:02.481203Z"}};
  Call("POST", Chat("/messages/" + id + "/processing"));
  EXPECT_EQ(Status(), 404) << "before the push, the message does not exist";
  api_.NoteScenarioPush("chat_room:" + kRoom, "message_created", payload);
  api_.NoteScenarioPush("chat_room:" + kRoom, "message_created", payload);
  api_.NoteScenarioPush("chat_room:no-such-room", "message_created", payload);
  api_.NoteScenarioPush("chat_room:" + kRoom, "message_updated", payload);
  Call("POST", Chat("/messages/" + id + "/processing"));
  EXPECT_EQ(Status(), 200) << last_.response.body;
  Call("POST", Chat("/messages/" + id + "/processed"));
  EXPECT_EQ(Status(), 200) << last_.response.body;
  Call("GET", Chat("/context"));
  ASSERT_EQ(Status(), 200) << last_.response.body;
  int seen = 0;
  const json context = Body();
  for (const auto& m : context["data"]) seen += m.value("id", "") == id;
  EXPECT_EQ(seen, 1) << last_.response.body;
}

}  // namespace
