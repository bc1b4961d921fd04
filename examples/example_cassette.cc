#include "examples/example_cassette.h"

#include <stdlib.h>

#include <filesystem>

#include "cassettes/cassette.h"

namespace wsr::examples {

ExampleCassette::~ExampleCassette() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

ExampleCassette::ExampleCassette() {
  char dir[] = "/tmp/wsreplay-example-XXXXXX";
  dir_ = mkdtemp(dir);
  path_ = dir_ + "/chat.db";
  auto c = cassette::Cassette::Open(path_, cassette::Cassette::Mode::kCreate);
  cassette::Session s;
  s.name = "chat";
  s.started_at_ns = 1;
  s.upstream = "wss://app.thenvoi.com";
  int64_t session = c->InsertSession(s);
  cassette::Connection conn;
  conn.session_id = session;
  conn.ordinal = 1;
  conn.path = "/socket/websocket";
  conn.query = "vsn=2.0.0";
  conn.http_status = 101;
  conn.id = c->InsertConnection(conn);
  int64_t seq = 0;
  auto frame = [&](int64_t ms, cassette::Direction d, const std::string& text) {
    cassette::Frame f;
    f.connection_id = conn.id;
    f.seq = seq++;
    f.offset_ns = ms * 1'000'000;
    f.direction = d;
    f.payload = text;
    f.FillPhoenixColumns();
    c->InsertFrame(f);
  };
  using D = cassette::Direction;
  frame(10, D::kClientToServer, R"(["3","3","room:lobby","phx_join",{}])");
  frame(20, D::kServerToClient,
        R"(["3","3","room:lobby","phx_reply",{"status":"ok","response":{}}])");
  frame(1000, D::kServerToClient, R"(["3",null,"room:lobby","message",{"text":"hi"}])");
  frame(2000, D::kServerToClient, R"(["3",null,"room:lobby","message",{"text":"bye"}])");
  c->FinishSession(session, 3'000'000'000);
}

}  // namespace wsr::examples
