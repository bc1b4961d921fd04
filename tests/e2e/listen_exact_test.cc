// Every listener binds exactly the address it prints: `sim`, `record` and `replay` started
// with --listen 127.0.0.1:0 hold one listening socket, on 127.0.0.1, and none on another
// address (0.0.0.0, ::). Read from the kernel's socket tables (/proc/net/tcp, tcp6), so the
// test connects to nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/ws_client.h"

namespace wsr::testing {
namespace {

// "ADDR:PORT" of each socket in LISTEN state (st 0A) on `port`, from /proc/net/tcp{,6}, as
// the kernel prints them (hex: 0100007F is 127.0.0.1, 00000000 any IPv4 address).
std::vector<std::string> ListenersOn(int port) {
  std::vector<std::string> found;
  char want_port[8];
  std::snprintf(want_port, sizeof want_port, "%04X", port);
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      auto colon = local.rfind(':');
      if (state == "0A" && colon != std::string::npos && local.substr(colon + 1) == want_port) {
        found.push_back(local);
      }
    }
  }
  return found;
}

void ExpectOnlyLoopback(const std::string& url, const std::string& what) {
  int port = PortOf(url);
  ASSERT_GT(port, 0) << what << " printed " << url;
  auto listeners = ListenersOn(port);
  ASSERT_EQ(listeners.size(), 1u) << what << " listens more than once on port " << port << ": "
                                  << ::testing::PrintToString(listeners);
  EXPECT_EQ(listeners[0], "0100007F:" + listeners[0].substr(listeners[0].rfind(':') + 1))
      << what << " is not bound to 127.0.0.1 only";
}

TEST(ListenExactly, SimBindsTheAddressItPrints) {
  Process sim({WsreplayBin(), "sim", "--listen", "127.0.0.1:0"});
  std::string url = sim.WaitForListening();
  ASSERT_FALSE(url.empty()) << sim.stderr_text();
  EXPECT_EQ(url.rfind("ws://127.0.0.1:", 0), 0u) << url;
  ExpectOnlyLoopback(url, "wsreplay sim");
}

TEST(ListenExactly, RecordAndReplayBindTheAddressTheyPrint) {
  TempDir dir;
  std::string cassette = dir.path() + "/listen.cassette";
  Process sim({WsreplayBin(), "sim", "--listen", "127.0.0.1:0"});
  std::string upstream = sim.WaitForListening();
  ASSERT_FALSE(upstream.empty()) << sim.stderr_text();
  {
    Process record({WsreplayBin(), "record", "--upstream", upstream, "--cassette", cassette,
                    "--session", "s", "--listen", "127.0.0.1:0"});
    std::string url = record.WaitForListening();
    ASSERT_FALSE(url.empty()) << record.stderr_text();
    ExpectOnlyLoopback(url, "wsreplay record");
    // One connection, so that the session has something to replay.
    auto client =
        WsClient::Connect(url + "/api/v1/socket/websocket?vsn=2.0.0&api_key=sim-user-alice");
    ASSERT_TRUE(client->connected()) << client->error();
    client->SendText(R"([null,"1","phoenix","heartbeat",{}])");
    ASSERT_TRUE(client->Receive().has_value());
    client->Close(1000, "done");
    client.reset();
    record.Signal(SIGINT);
    ASSERT_EQ(record.Wait(), 0) << record.stderr_text();
  }
  Process replay({WsreplayBin(), "replay", "--cassette", cassette, "--listen", "127.0.0.1:0"});
  std::string url = replay.WaitForListening();
  ASSERT_FALSE(url.empty()) << replay.stderr_text();
  ExpectOnlyLoopback(url, "wsreplay replay");
}

}  // namespace
}  // namespace wsr::testing
