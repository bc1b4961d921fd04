// End to end with every real piece: the Thenvoi simulator (`wsreplay sim`) recorded through
// `wsreplay record` by the official phoenix.js client, then replayed by `wsreplay replay` to
// the same client joining in the opposite order with another heartbeat interval, at speed 10
// and max: the same events in the same order, and a clean --strict report.
#include <gtest/gtest.h>

#include "tests/support/phoenix_js.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace wsr::testing {
namespace {

const char* kRoom = "5f0c9a3e-2d71-4b8e-a6c4-81e9f2d03b7a";  // Alice's room in the built-in data

RunResult Client(const std::string& url, const std::string& first, const std::string& second,
                 const std::string& heartbeat_ms, const std::string& stop_flag,
                 const std::string& stop_value) {
  return testing::Run({"node", PhoenixJsClient(), "--url", url + "/api/v1/socket", "--params",
                       R"({"api_key":"sim-user-alice"})", "--join", first, "--join", second,
                       "--heartbeat-ms", heartbeat_ms, stop_flag, stop_value},
                      {}, std::chrono::seconds(30));
}

TEST(ReplayFromSim, RecordedSimulatorSessionReplaysIdentically) {
  TempDir dir;
  std::string cassette = dir.File("sim.db");
  std::string chat = std::string("chat_room:") + kRoom;
  std::string people = std::string("room_participants:") + kRoom;

  std::string recorded;
  {
    Process sim({WsreplayBin(), "sim", "--listen", "127.0.0.1:0"});
    std::string sim_url = sim.WaitForListening();
    ASSERT_FALSE(sim_url.empty()) << sim.stderr_text();
    Process rec({WsreplayBin(), "record", "--upstream", sim_url, "--cassette", cassette,
                 "--session", "alice", "--listen", "127.0.0.1:0"});
    std::string rec_url = rec.WaitForListening();
    ASSERT_FALSE(rec_url.empty()) << rec.stderr_text();
    auto r = Client(rec_url, chat, people, "100", "--duration-ms", "1800");
    ASSERT_EQ(r.status, 0) << r.err;
    recorded = ReadPhoenixJsOutput(r.out).EventLines();
    rec.Signal(SIGTERM);
    ASSERT_EQ(rec.Wait(), 0) << rec.stderr_text();
    sim.Signal(SIGTERM);
    sim.Wait();
  }
  ASSERT_EQ(std::count(recorded.begin(), recorded.end(), '\n'), 9) << recorded;

  for (const char* speed : {"10", "max"}) {
    Process rep({WsreplayBin(), "replay", "--cassette", cassette, "--listen", "127.0.0.1:0",
                 "--speed", speed, "--strict"});
    std::string url = rep.WaitForListening();
    ASSERT_FALSE(url.empty()) << rep.stderr_text();
    auto r = Client(url, people, chat, "37", "--until-events", "9");  // other order, heartbeat
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(ReadPhoenixJsOutput(r.out).EventLines(), recorded) << "speed " << speed;
    rep.Signal(SIGTERM);
    EXPECT_EQ(rep.Wait(), 0) << rep.stderr_text();
  }
}

}  // namespace
}  // namespace wsr::testing
