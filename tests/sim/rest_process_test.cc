// The simulator's REST API through the real `wsreplay sim` binary on loopback: plain HTTP/1.1
// requests (a blocking socket client here) next to Phoenix WebSocket clients
// (tests/support/ws_client.h) on the same port; a REST call's push must reach the joined
// clients.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "sim/http_client.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/ws_client.h"

using nlohmann::json;
using wsr::testing::Process;
using wsr::testing::WsClient;

namespace {

const std::string kAlice = "0b8e5a92-61d4-4c3e-8f7a-9e2c1d4b6a58";
const std::string kWeather = "7d2f4c1e-3b9a-4e8f-9c61-2a5b8d0e4f13";
const std::string kBooking = "9c3e5a71-0d2f-4b84-a6e9-3f1b7d5c2e80";
const std::string kRoom = "5f0c9a3e-2d71-4b8e-a6c4-81e9f2d03b7a";
const std::string kRoom2 = "a7b8c9d0-1e2f-4a3b-8c4d-5e6f7a8b9c0d";

struct HttpAnswer {
  int status = 0;
  std::string head, body;
};

// One keep-alive HTTP/1.1 connection to 127.0.0.1:port. Every call has a 5 s timeout.
class HttpConn {
 public:
  explicit HttpConn(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~HttpConn() {
    if (fd_ >= 0) close(fd_);
  }
  // nullopt when no complete answer arrived.
  std::optional<HttpAnswer> Request(const std::string& method, const std::string& target,
                                    const std::string& key, const std::string& body = "") {
    if (fd_ < 0) return std::nullopt;
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!key.empty()) req += "X-API-Key: " + key + "\r\n";
    req += "Accept: application/json\r\n";
    if (!body.empty()) req += "Content-Type: application/json\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    if (write(fd_, req.data(), req.size()) != static_cast<ssize_t>(req.size())) return std::nullopt;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (true) {
      size_t h = buf_.find("\r\n\r\n");
      if (h != std::string::npos) {
        HttpAnswer a;
        a.head = buf_.substr(0, h);
        a.status = std::stoi(a.head.substr(a.head.find(' ') + 1, 3));
        std::string lower;
        for (char c : a.head)
          lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        size_t len = 0;
        if (auto cl = lower.find("content-length:"); cl != std::string::npos) {
          len = std::stoul(lower.substr(cl + 15));
        }
        if (buf_.size() >= h + 4 + len) {
          a.body = buf_.substr(h + 4, len);
          buf_.erase(0, h + 4 + len);
          return a;
        }
      }
      int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      deadline - std::chrono::steady_clock::now())
                                      .count());
      pollfd p{fd_, POLLIN, 0};
      if (left <= 0 || poll(&p, 1, left) <= 0) return std::nullopt;
      char tmp[65536];
      ssize_t n = read(fd_, tmp, sizeof tmp);
      if (n <= 0) return std::nullopt;
      buf_.append(tmp, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  std::string buf_;
};

class SimRest : public ::testing::Test {
 protected:
  void SetUp() override {
    // No scripted pushes: every push a client sees here was caused by a REST call.
    wsr::testing::WriteFile(dir_.File("empty.jsonl"), "");
    proc_ = std::make_unique<Process>(
        std::vector<std::string>{wsr::testing::WsreplayBin(), "sim", "--listen", "127.0.0.1:0",
                                 "--scenario", dir_.File("empty.jsonl")});
    url_ = proc_->WaitForListening();
    ASSERT_FALSE(url_.empty()) << proc_->stderr_text();
    port_ = wsr::testing::PortOf(url_);
  }
  void TearDown() override {
    if (!proc_) return;
    proc_->Signal(SIGTERM);
    EXPECT_EQ(proc_->Wait(), 0) << proc_->stderr_text();
  }

  // A v2 Phoenix client with `key`, joined to `topics` (each join's ok reply awaited).
  std::unique_ptr<WsClient> Join(const std::string& key, const std::vector<std::string>& topics) {
    auto ws = WsClient::Connect(url_ + "/api/v1/socket/websocket?api_key=" + key + "&vsn=2.0.0");
    EXPECT_TRUE(ws->connected()) << ws->error();
    int ref = 0;
    for (const auto& t : topics) {
      std::string r = std::to_string(++ref);
      ws->SendText(json::array({r, r, t, "phx_join", json::object()}).dump());
      auto reply = ws->Receive();
      EXPECT_TRUE(reply.has_value()) << t;
      if (reply) {
        json j = json::parse(reply->data);
        EXPECT_EQ(j[3], "phx_reply");
        EXPECT_EQ(j[4]["status"], "ok") << reply->data;
      }
    }
    return ws;
  }
  // The next pushed frame, parsed; null on timeout.
  static json NextPush(WsClient& ws, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto m = ws.Receive(timeout);
    return m ? json::parse(m->data) : json();
  }

  wsr::testing::TempDir dir_;
  std::unique_ptr<Process> proc_;
  std::string url_;
  int port_ = 0;
};

TEST_F(SimRest, PostedMessageReturns201AndArrivesAsMessageCreated) {
  auto alice = Join("sim-user-alice", {"chat_room:" + kRoom});
  auto weather = Join("sim-agent-weather", {"chat_room:" + kRoom});

  HttpConn http(port_);
  json body = {
      {"message", {{"content", "@weather-agent forecast?"}, {"mentions", {{{"id", kWeather}}}}}}};
  auto a = http.Request("POST", "/api/v1/agent/chats/" + kRoom + "/messages", "sim-agent-booking",
                        body.dump());
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->status, 201) << a->body;
  EXPECT_NE(a->head.find("application/json"), std::string::npos) << a->head;
  json created = json::parse(a->body);
  ASSERT_TRUE(created["data"].is_object()) << a->body;
  std::string id = created["data"]["id"];
  EXPECT_EQ(created["data"]["sender_id"], kBooking);

  for (WsClient* ws : {alice.get(), weather.get()}) {
    json push = NextPush(*ws);
    ASSERT_FALSE(push.is_null()) << "no message_created push";
    EXPECT_TRUE(push[1].is_null());  // pushes carry no ref
    EXPECT_EQ(push[2], "chat_room:" + kRoom);
    EXPECT_EQ(push[3], "message_created");
    EXPECT_EQ(push[4]["id"], id);
    EXPECT_EQ(push[4]["content"], "@weather-agent forecast?");
  }

  // Same keep-alive connection: the message is now the weather agent's next one.
  auto next =
      http.Request("GET", "/api/v1/agent/chats/" + kRoom + "/messages/next", "sim-agent-weather");
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(json::parse(next->body)["data"]["id"], id);

  // A POST with an empty body (`Content-Length: 0`) is answered once: the next request on the
  // connection gets its own answer (lws reports a body completion for it too).
  auto mark =
      http.Request("POST", "/api/v1/agent/chats/" + kRoom + "/messages/" + id + "/processing",
                   "sim-agent-weather");
  ASSERT_TRUE(mark.has_value());
  EXPECT_EQ(mark->status, 200) << mark->body;
  EXPECT_EQ(json::parse(mark->body)["data"]["status"], "processing") << mark->body;
  auto me = http.Request("GET", "/api/v1/agent/me", "sim-agent-weather");
  ASSERT_TRUE(me.has_value());
  EXPECT_EQ(me->status, 200);
  EXPECT_EQ(json::parse(me->body)["data"]["id"], kWeather) << me->body;
}

TEST_F(SimRest, WrongOrMissingKeyIs401AndAgentKeyOnMeIs403) {
  HttpConn http(port_);
  auto a = http.Request("GET", "/api/v1/agent/me", "wrong-key");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->status, 401);
  EXPECT_EQ(json::parse(a->body)["error"], "unauthorized");
  a = http.Request("POST", "/api/v1/agent/chats/" + kRoom + "/messages", "",
                   R"({"message":{"content":"x"}})");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->status, 401);
  a = http.Request("GET", "/api/v1/me/chats", "sim-agent-weather");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->status, 403);
  a = http.Request("GET", "/api/v1/agent/me", "sim-agent-weather");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->status, 200);
  EXPECT_EQ(json::parse(a->body)["data"]["id"], kWeather);
}

TEST_F(SimRest, AddedAgentGetsRoomAddedAndMayThenJoinTheRoom) {
  auto alice = Join("sim-user-alice", {"room_participants:" + kRoom2});
  auto booking = Join("sim-agent-booking", {"agent_rooms:" + kBooking});

  HttpConn http(port_);
  auto a = http.Request("POST", "/api/v1/me/chats/" + kRoom2 + "/participants", "sim-user-alice",
                        json{{"participant", {{"participant_id", kBooking}}}}.dump());
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->status, 201) << a->body;

  json added = NextPush(*alice);
  ASSERT_FALSE(added.is_null());
  EXPECT_EQ(added[2], "room_participants:" + kRoom2);
  EXPECT_EQ(added[3], "participant_added");
  EXPECT_EQ(added[4]["id"], kBooking);
  json room = NextPush(*booking);
  ASSERT_FALSE(room.is_null());
  EXPECT_EQ(room[2], "agent_rooms:" + kBooking);
  EXPECT_EQ(room[3], "room_added");
  EXPECT_EQ(room[4]["id"], kRoom2);

  // The new participant's join of the room is now accepted.
  booking->SendText(
      json::array({"9", "9", "chat_room:" + kRoom2, "phx_join", json::object()}).dump());
  json reply = NextPush(*booking);
  ASSERT_FALSE(reply.is_null());
  EXPECT_EQ(reply[4]["status"], "ok") << reply.dump();
}

TEST_F(SimRest, OtherPathsKeepTheirOldAnswers) {
  HttpConn http(port_);
  auto a = http.Request("GET", "/api/v1/socket/websocket", "");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->status, 400);
  HttpConn http2(port_);
  a = http2.Request("GET", "/elsewhere", "");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->status, 404);
}

}  // namespace

namespace {

// sim::HttpCall (the demo agent's blocking client) against the real simulator: a keyed GET is
// answered, a wrong key's 401 is a status and not an error, a dead port is an error.
TEST_F(SimRest, HttpCallGetsStatusAndBodyAndNamesADeadPort) {
  wsr::sim::HttpCallRequest req;
  req.target = "/api/v1/agent/me";
  req.headers = {{"X-API-Key", "sim-agent-weather"}};
  auto r = wsr::sim::HttpCall(url_, req);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["data"].value("id", ""), kWeather) << r.body;
  req.headers = {{"X-API-Key", "wrong"}};
  r = wsr::sim::HttpCall(url_, req);
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.status, 401);
  int dead = 0;
  {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), len), 0);
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    dead = ntohs(a.sin_port);
    close(fd);  // bound, never listening, now closed: nothing answers there
  }
  r = wsr::sim::HttpCall("http://127.0.0.1:" + std::to_string(dead), req);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("cannot connect"), std::string::npos) << r.error;
}

}  // namespace
