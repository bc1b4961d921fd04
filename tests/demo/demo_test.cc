// `wsreplay demo` end to end through the real binary: it must record the simulator's
// scenario, replay it identically, and leave a cassette that opens.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "cassettes/cassette.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace wsr {
namespace {

TEST(Demo, RecordsAndReplaysTheSimulatorScenario) {
  testing::TempDir dir;
  std::string cassette = dir.File("demo.cassette");
  auto r = testing::Run({testing::WsreplayBin(), "demo", "--cassette", cassette, "--session", "d1"},
                        {}, std::chrono::seconds(120));
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Result: replay matched the recording"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("DIFFERENT"), std::string::npos) << r.out;

  // The agent answered its mention over REST through the proxy, and replay answered the same
  // calls from the cassette with the recorded statuses and bodies.
  EXPECT_NE(r.out.find("answered its mention over the REST API"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("its REST calls were answered from the cassette"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("http: 3 requests answered from 3 recorded, mismatches 0"),
            std::string::npos)
      << r.out;

  auto c = cassette::Cassette::Open(cassette, cassette::Cassette::Mode::kReadOnly);
  auto s = c->ResolveSession(std::string("d1"));
  ASSERT_TRUE(s.duration_ns.has_value());
  auto conns = c->Connections(s.id);
  ASSERT_EQ(conns.size(), 2u);
  auto exchanges = c->Exchanges(s.id);
  ASSERT_EQ(exchanges.size(), 3u);
  EXPECT_EQ(exchanges[0].method, "POST");
  EXPECT_NE(exchanges[0].path.find("/processing"), std::string::npos) << exchanges[0].path;
  EXPECT_EQ(exchanges[0].status, 200);
  EXPECT_EQ(exchanges[1].status, 201);
  EXPECT_NE(exchanges[1].request_body.find("Lisbon"), std::string::npos);
  EXPECT_EQ(exchanges[2].status, 200);
  sqlite3* db = nullptr;  // the file itself, read with SQL
  ASSERT_EQ(sqlite3_open_v2(cassette.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  // Every one of the 7 channels carried at least one recorded push.
  for (const char* prefix : {"chat_room:", "room_participants:", "user_rooms:", "agent_rooms:",
                             "user_contacts:", "agent_contacts:", "tasks:"}) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db,
                       "SELECT count(*) FROM frames WHERE direction='s2c' AND topic LIKE ?1 || '%' "
                       "AND event NOT LIKE 'phx_%'",
                       -1, &st, nullptr);
    sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_GT(sqlite3_column_int(st, 0), 0) << prefix;
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  // The keys the demo used are not in the file.
  std::string bytes = testing::ReadFile(cassette);
  EXPECT_EQ(bytes.find("sim-agent-weather"), std::string::npos);
  EXPECT_EQ(bytes.find("sim-user-alice"), std::string::npos);
}

TEST(Demo, SecondRunAddsASessionToTheSameCassette) {
  testing::TempDir dir;
  std::string cassette = dir.File("demo.cassette");
  for (const char* name : {"a", "b"}) {
    auto r =
        testing::Run({testing::WsreplayBin(), "demo", "--cassette", cassette, "--session", name},
                     {}, std::chrono::seconds(120));
    ASSERT_EQ(r.status, 0) << r.out << r.err;
  }
  auto again =
      testing::Run({testing::WsreplayBin(), "demo", "--cassette", cassette, "--session", "a"});
  EXPECT_EQ(again.status, 1);
  EXPECT_NE(again.err.find("already has a session named 'a'"), std::string::npos) << again.err;
  auto c = cassette::Cassette::Open(cassette, cassette::Cassette::Mode::kReadOnly);
  EXPECT_EQ(c->Sessions().size(), 2u);
}

}  // namespace
}  // namespace wsr
