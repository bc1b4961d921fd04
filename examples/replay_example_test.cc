// Example: replay a recorded Phoenix session to code under test, from a GoogleTest.
// Built and run by the test suite (ctest -R replay_example). The cassette comes from
// `wsreplay record`; here ExampleCassette writes a small one so the example is
// self-contained. WsClient stands in for your own client code.
#include <gtest/gtest.h>

#include "examples/example_cassette.h"
#include "replay/replay_server.h"
#include "tests/replay/wire_client.h"

using wsr::replay::ReplayServer;

TEST(ReplayExample, ClientSeesTheRecordedEventsInOrder) {
  wsr::examples::ExampleCassette cassette;  // normally a file from `wsreplay record`

  // Port 0 = a free port; speed 0 = as fast as order allows.
  auto server = ReplayServer::Start(cassette.path(), {.replay = {.speed = 0}});

  wsr::testing::wire::WsClient client(server->port(), "/socket/websocket?vsn=2.0.0");
  client.Send(1, R"(["1","1","room:lobby","phx_join",{}])");

  EXPECT_EQ(client.ReadMessage()->payload,
            R"(["1","1","room:lobby","phx_reply",{"status":"ok","response":{}}])");
  EXPECT_EQ(client.ReadMessage()->payload, R"(["1",null,"room:lobby","message",{"text":"hi"}])");
  EXPECT_EQ(client.ReadMessage()->payload, R"(["1",null,"room:lobby","message",{"text":"bye"}])");

  auto report = server->Stop();
  EXPECT_TRUE(report.Clean()) << report.ToText();
}

TEST(ReplayExample, ManualClockStepsOneFrameAtATime) {
  wsr::examples::ExampleCassette cassette;
  auto server = ReplayServer::Start(cassette.path(), {.replay = {.manual_clock = true}});

  wsr::testing::wire::WsClient client(server->port(), "/socket/websocket?vsn=2.0.0");
  client.Send(1, R"(["1","1","room:lobby","phx_join",{}])");
  client.ReadMessage();                   // the join reply comes at once
  EXPECT_FALSE(client.ReadMessage(200));  // time stands still...
  EXPECT_TRUE(server->Step());            // ...until the test moves it
  EXPECT_NE(client.ReadMessage()->payload.find("hi"), std::string::npos);
  server->Advance(5000);  // or jumps ahead
  EXPECT_NE(client.ReadMessage()->payload.find("bye"), std::string::npos);
}
