#include "tests/viz/viz_cassettes.h"

#include <algorithm>

namespace wsr::viz_test {

using cassette::Cassette;
using cassette::Direction;

CassetteBuilder::CassetteBuilder(const std::string& path)
    : c_(Cassette::Open(path, Cassette::Mode::kCreate)) {}

CassetteBuilder::~CassetteBuilder() {
  FinishSession();
  c_->Seal();
}

void CassetteBuilder::FinishSession() {
  if (session_id_ == 0) return;
  for (auto& c : conns_) {
    if (!c.closed_ns) {
      c.closed_ns = end_ns_ + 1'000'000;
      c.close_code = 1000;
      c.close_initiator = "client";
      c_->UpdateConnection(c);
    }
    end_ns_ = std::max(end_ns_, *c.closed_ns);
  }
  c_->FinishSession(session_id_, end_ns_);
  c_->Commit();
  session_id_ = 0;
}

void CassetteBuilder::StartSession(const std::string& name) {
  FinishSession();
  cassette::Session s;
  s.name = name;
  s.started_at_ns = 1'773'000'000'000'000'000;
  s.upstream = "wss://app.thenvoi.com";
  c_->Begin();  // one transaction per session: fast inserts
  session_id_ = c_->InsertSession(s);
  conns_.clear();
  next_seq_.clear();
  end_ns_ = 0;
}

int CassetteBuilder::Connect(const std::string& query, int64_t opened_ms) {
  cassette::Connection c;
  c.session_id = session_id_;
  c.ordinal = static_cast<int>(conns_.size()) + 1;
  c.path = "/api/v1/socket/websocket";
  c.query = query;
  c.http_status = 101;
  c.opened_ns = opened_ms * 1'000'000;
  c.id = c_->InsertConnection(c);
  conns_.push_back(c);
  next_seq_.push_back(0);
  return c.ordinal;
}

void CassetteBuilder::Add(int conn, Direction d, int opcode, const std::string& payload,
                          double at_ms, int flags, const std::string& note) {
  cassette::Frame f;
  f.connection_id = conns_.at(conn - 1).id;
  f.seq = next_seq_.at(conn - 1)++;
  f.offset_ns = static_cast<int64_t>(at_ms * 1e6);
  f.direction = d;
  f.opcode = opcode;
  f.payload = payload;
  f.flags = flags;
  f.note = note;
  if (opcode == 1) f.FillPhoenixColumns();
  c_->InsertFrame(f);
  end_ns_ = std::max(end_ns_, f.offset_ns);
  ++frames_;
}

void CassetteBuilder::C2S(int conn, const std::string& text, double at_ms) {
  Add(conn, Direction::kClientToServer, 1, text, at_ms);
}
void CassetteBuilder::S2C(int conn, const std::string& text, double at_ms) {
  Add(conn, Direction::kServerToClient, 1, text, at_ms);
}
void CassetteBuilder::Binary(int conn, const std::string& bytes, double at_ms) {
  Add(conn, Direction::kServerToClient, 2, bytes, at_ms);
}

void CassetteBuilder::Control(int conn, Direction d, int opcode, const std::string& payload,
                              double at_ms, int flags, const std::string& note) {
  Add(conn, d, opcode, payload, at_ms, flags, note);
}

void CassetteBuilder::Flagged(int conn, Direction d, const std::string& text, double at_ms,
                              int flags, const std::string& note) {
  Add(conn, d, 1, text, at_ms, flags, note);
}

void CassetteBuilder::Refuse(int conn, int status, double at_ms) {
  auto& c = conns_.at(conn - 1);
  c.http_status = status;
  c.error = "upstream refused the handshake: HTTP " + std::to_string(status);
  c.response_head = "HTTP/1.1 " + std::to_string(status) + " Refused\r\n\r\n";
  c.closed_ns = static_cast<int64_t>(at_ms * 1e6);
  c_->UpdateConnection(c);
  end_ns_ = std::max(end_ns_, *c.closed_ns);
}

void CassetteBuilder::Close(int conn, int code, double at_ms, const std::string& initiator,
                            const std::string& reason) {
  auto& c = conns_.at(conn - 1);
  c.closed_ns = static_cast<int64_t>(at_ms * 1e6);
  c.close_code = code;
  c.close_initiator = initiator;
  c.close_reason = reason;
  c_->UpdateConnection(c);
  end_ns_ = std::max(end_ns_, *c.closed_ns);
}

std::string Join(const std::string& ref, const std::string& topic) {
  return "[\"" + ref + "\",\"" + ref + "\",\"" + topic + "\",\"phx_join\",{}]";
}

std::string ReplyOk(const std::string& join_ref, const std::string& ref, const std::string& topic) {
  return "[\"" + join_ref + "\",\"" + ref + "\",\"" + topic +
         "\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]";
}

std::string MessageCreated(const std::string& join_ref, const std::string& content,
                           const std::string& id, const std::string& inserted_at) {
  return "[\"" + join_ref + "\",null,\"chat_room:" + kRoom + "\",\"message_created\",{\"id\":\"" +
         id + "\",\"content\":\"" + content + "\",\"message_type\":\"text\",\"sender_id\":\"" +
         kUser + "\",\"sender_type\":\"User\",\"sender_name\":\"Alice Doe\",\"chat_room_id\":\"" +
         kRoom + "\",\"metadata\":{\"mentions\":[{\"id\":\"" + kAgent +
         "\",\"username\":\"weather-agent\"}],\"status\":\"sent\"},\"inserted_at\":\"" +
         inserted_at + "\",\"updated_at\":\"" + inserted_at + "\"}]";
}

size_t WriteSection7Session(CassetteBuilder& b, const std::string& session_name) {
  size_t before = b.frames();
  b.StartSession(session_name);
  const std::string agent = kAgent, user = kUser, room = kRoom;
  int a = b.Connect("api_key=redacted:api_key:0badc0de&vsn=2.0.0&agent_id=" + agent);
  // 1) agent joins its rooms channel, then the room's chat and participants channels.
  b.C2S(a, Join("1", "agent_rooms:" + agent), 10);
  b.S2C(a, ReplyOk("1", "1", "agent_rooms:" + agent), 12);
  b.C2S(a, Join("2", "chat_room:" + room), 14);
  b.S2C(a, ReplyOk("2", "2", "chat_room:" + room), 16);
  b.C2S(a, Join("3", "room_participants:" + room), 18);
  b.S2C(a, ReplyOk("3", "3", "room_participants:" + room), 20);
  // 2) refused joins.
  b.C2S(a, Join("4", "agent_rooms:11111111-2222-4333-8444-555555555555"), 22);
  b.S2C(
      a,
      R"(["4","4","agent_rooms:11111111-2222-4333-8444-555555555555","phx_reply",{"status":"error","response":{"reason":"unauthorized"}}])",
      24);
  b.C2S(a, Join("5", "bogus:1"), 26);
  b.S2C(
      a,
      R"([null,"5","bogus:1","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}])",
      28);
  b.C2S(a, Join("6", "agent_contacts:" + agent), 30);
  b.S2C(a, ReplyOk("6", "6", "agent_contacts:" + agent), 32);
  // 3) heartbeat.
  b.C2S(a, R"([null,"7","phoenix","heartbeat",{}])", 300);
  b.S2C(a, R"([null,"7","phoenix","phx_reply",{"status":"ok","response":{}}])", 301);
  // 4) message_created to the mentioned agent.
  b.S2C(a, MessageCreated("2", "@weather-agent what's the forecast for Lisbon?"), 400);
  // 5) room_added.
  b.S2C(
      a,
      R"(["1",null,"agent_rooms:7d2f4c1e-3b9a-4e8f-9c61-2a5b8d0e4f13","room_added",{"id":"5f0c9a3e-2d71-4b8e-a6c4-81e9f2d03b7a","title":"Trip planning","task_id":null,"inserted_at":"2026-03-10T09:14:40.102934Z","updated_at":"2026-03-10T09:14:40.102934Z"}])",
      410);
  // 6) participant_added (an agent).
  b.S2C(
      a,
      R"(["3",null,"room_participants:5f0c9a3e-2d71-4b8e-a6c4-81e9f2d03b7a","participant_added",{"id":"9c3e5a71-0d2f-4b84-a6e9-3f1b7d5c2e80","type":"Agent","name":"Booking Agent","description":"Books hotels","is_external":true,"handle":"alice/booking-agent"}])",
      420);
  // 7) flat contact request on agent_contacts.
  b.S2C(
      a,
      R"(["6",null,"agent_contacts:7d2f4c1e-3b9a-4e8f-9c61-2a5b8d0e4f13","contact_request_received",{"id":"3a6d8f10-4c2e-4b97-a1d5-6e8f0b2c4d91","from_handle":"bob/research-bot","from_name":"Research Bot","message":"Let's collaborate","status":"pending","inserted_at":"2026-03-10T10:00:00.000000Z"}])",
      430);
  // 8) approval.
  b.S2C(
      a,
      R"(["6",null,"agent_contacts:7d2f4c1e-3b9a-4e8f-9c61-2a5b8d0e4f13","contact_request_updated",{"id":"3a6d8f10-4c2e-4b97-a1d5-6e8f0b2c4d91","status":"approved"}])",
      440);
  b.S2C(
      a,
      R"(["6",null,"agent_contacts:7d2f4c1e-3b9a-4e8f-9c61-2a5b8d0e4f13","contact_added",{"id":"8b1f3d5a-9e7c-4a20-b6d8-2c4e6f8a0b13","handle":"bob/research-bot","name":"Research Bot","type":"Agent","description":"Finds papers","is_external":false,"inserted_at":"2026-03-10T10:01:12.004511Z"}])",
      450);
  // 10) leave.
  b.C2S(a, R"(["2","9","chat_room:5f0c9a3e-2d71-4b8e-a6c4-81e9f2d03b7a","phx_leave",{}])", 500);
  b.S2C(
      a,
      R"(["2","9","chat_room:5f0c9a3e-2d71-4b8e-a6c4-81e9f2d03b7a","phx_reply",{"status":"ok","response":{}}])",
      502);
  b.S2C(a, R"(["2","2","chat_room:5f0c9a3e-2d71-4b8e-a6c4-81e9f2d03b7a","phx_close",{}])", 503);
  b.Close(a, 1000, 600);

  int u = b.Connect("token=redacted:token:12345678&vsn=2.0.0", 5);
  b.C2S(u, Join("2", "user_contacts:" + user), 40);
  b.S2C(u, ReplyOk("2", "2", "user_contacts:" + user), 42);
  b.C2S(u, Join("4", "tasks:" + user), 44);
  b.S2C(u, ReplyOk("4", "4", "tasks:" + user), 46);
  // 7) nested contact request on user_contacts.
  b.S2C(
      u,
      R"(["2",null,"user_contacts:0b8e5a92-61d4-4c3e-8f7a-9e2c1d4b6a58","contact_request_received",{"id":"3a6d8f10-4c2e-4b97-a1d5-6e8f0b2c4d91","requester_id":"4e7a9c13-5b2d-4f86-8a10-c3e5f7a9b1d2","requester_type":"Agent","recipient_id":"0b8e5a92-61d4-4c3e-8f7a-9e2c1d4b6a58","recipient_type":"User","status":"pending","message":"Let's collaborate","requester":{"id":"4e7a9c13-5b2d-4f86-8a10-c3e5f7a9b1d2","handle":"bob/research-bot","name":"Research Bot"},"inserted_at":"2026-03-10T10:00:00.000000Z","responded_at":null}])",
      435);
  // 9) task_updated.
  b.S2C(
      u,
      R"(["4",null,"tasks:0b8e5a92-61d4-4c3e-8f7a-9e2c1d4b6a58","task_updated",{"id":"e9a1c3f5-7b2d-4e60-9c84-1f3b5d7a9e02","user_id":"0b8e5a92-61d4-4c3e-8f7a-9e2c1d4b6a58","title":"Plan Lisbon trip","description":"3 nights, May","summary":null,"status":"in_progress","metadata":{"progress":40},"inserted_at":"2026-03-10T09:14:40.102934Z","updated_at":"2026-03-10T09:20:11.731002Z"}])",
      460);
  b.Close(u, 1001, 650, "upstream");
  return b.frames() - before;
}

}  // namespace wsr::viz_test
