#include "cassettes/cassette.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "common/error.h"
#include "tests/support/temp_dir.h"

namespace wsr::cassette {
namespace {

using wsr::testing::TempDir;

Frame TextFrame(int64_t conn, int64_t seq, int64_t off, Direction d, std::string payload) {
  Frame f;
  f.connection_id = conn;
  f.seq = seq;
  f.offset_ns = off;
  f.direction = d;
  f.payload = std::move(payload);
  f.FillPhoenixColumns();
  return f;
}

TEST(Cassette, CreateWriteReadBack) {
  TempDir dir;
  std::string path = dir.File("c.cassette");
  {
    auto c = Cassette::Open(path, Cassette::Mode::kCreate);
    Session s;
    s.name = "first";
    s.started_at_ns = 42;
    s.upstream = "wss://app.thenvoi.com";
    int64_t sid = c->InsertSession(s);
    Connection conn;
    conn.session_id = sid;
    conn.ordinal = 1;
    conn.path = "/api/v1/socket/websocket";
    conn.query = "vsn=2.0.0";
    conn.request_headers = {{"User-Agent", "t"}};
    conn.http_status = 101;
    int64_t cid = c->InsertConnection(conn);
    c->Begin();
    c->InsertFrame(TextFrame(cid, 0, 10, Direction::kClientToServer,
                             R"(["1","1","agent_rooms:a","phx_join",{}])"));
    c->InsertFrame(
        TextFrame(cid, 1, 20, Direction::kServerToClient,
                  R"(["1","1","agent_rooms:a","phx_reply",{"status":"ok","response":{}}])"));
    Frame bin;
    bin.connection_id = cid;
    bin.seq = 2;
    bin.offset_ns = 30;
    bin.opcode = 2;
    bin.payload = std::string("\x00\xff\x01", 3);
    bin.fragments = {1, 2};
    c->InsertFrame(bin);
    c->Commit();
    conn.id = cid;
    conn.closed_ns = 40;
    conn.close_code = 1000;
    conn.close_initiator = "client";
    c->UpdateConnection(conn);
    c->FinishSession(sid, 50);
    c->Seal();
  }
  auto c = Cassette::Open(path, Cassette::Mode::kReadOnly);
  auto sessions = c->Sessions();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].name, "first");
  EXPECT_EQ(sessions[0].duration_ns, 50);
  auto conns = c->Connections(sessions[0].id);
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].close_code, 1000);
  EXPECT_EQ(conns[0].request_headers.at(0).second, "t");
  auto cur = c->Frames({.session_id = sessions[0].id});
  Frame f;
  ASSERT_TRUE(cur.Next(&f));
  EXPECT_EQ(f.event, "phx_join");
  EXPECT_EQ(f.join_ref, "1");
  ASSERT_TRUE(cur.Next(&f));
  EXPECT_EQ(f.direction, Direction::kServerToClient);
  ASSERT_TRUE(cur.Next(&f));
  EXPECT_EQ(f.opcode, 2);
  EXPECT_EQ(f.payload, std::string("\x00\xff\x01", 3));
  EXPECT_EQ(f.fragments, (std::vector<uint32_t>{1, 2}));
  EXPECT_FALSE(f.topic);
  EXPECT_FALSE(cur.Next(&f));
  EXPECT_EQ(c->CountFrames({.topic = std::string("agent_rooms:a")}), 2);
  EXPECT_EQ(c->ResolveSession(std::nullopt).name, "first");
  EXPECT_THROW(c->ResolveSession(std::string("nope")), Error);
}

TEST(Cassette, RefusesMissingForeignAndNewerFiles) {
  TempDir dir;
  EXPECT_THROW(Cassette::Open(dir.File("missing"), Cassette::Mode::kReadOnly), Error);
  testing::WriteFile(dir.File("text"), std::string(4096, 'x'));
  try {
    Cassette::Open(dir.File("text"), Cassette::Mode::kReadOnly);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a wsreplay cassette"), std::string::npos) << e.what();
  }
  sqlite3* db;
  sqlite3_open(dir.File("foreign.db").c_str(), &db);
  sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  try {
    Cassette::Open(dir.File("foreign.db"), Cassette::Mode::kReadWrite);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("another application"), std::string::npos) << e.what();
  }
  { Cassette::Open(dir.File("new.cassette"), Cassette::Mode::kCreate); }
  sqlite3_open(dir.File("new.cassette").c_str(), &db);
  sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  try {
    Cassette::Open(dir.File("new.cassette"), Cassette::Mode::kReadOnly);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
  }
}

// A cassette written by the first release (schema version 1: one more frames index) is read
// as it is, and migrated in place when opened for writing.
TEST(Cassette, Version1IsReadAndMigratedToTheCurrentSchema) {
  TempDir dir;
  std::string path = dir.File("v1.cassette");
  int64_t conn_id = 0;
  {
    auto c = Cassette::Open(path, Cassette::Mode::kCreate);
    Session s;
    s.name = "old";
    Connection conn;
    conn.session_id = c->InsertSession(s);
    conn.ordinal = 1;
    conn.path = "/socket";
    conn_id = c->InsertConnection(conn);
    c->InsertFrame(
        TextFrame(conn_id, 0, 10, Direction::kClientToServer, R"([null,"1","t","e",{}])"));
    c->Seal();
  }
  auto query_int = [&](const char* sql) {
    sqlite3* db;
    sqlite3_open(path.c_str(), &db);
    sqlite3_stmt* st;
    sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
    int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
  };
  {  // turn it into what version 1 wrote
    sqlite3* db;
    sqlite3_open(path.c_str(), &db);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE INDEX frames_by_offset ON frames (connection_id, offset_ns);"
                           "PRAGMA user_version=1;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  const char* kHasOldIndex =
      "SELECT count(*) FROM sqlite_master WHERE type='index' AND name='frames_by_offset'";
  {
    auto c = Cassette::Open(path, Cassette::Mode::kReadOnly);
    EXPECT_EQ(c->Sessions().size(), 1u);
    EXPECT_EQ(c->CountFrames({}), 1);
  }
  EXPECT_EQ(query_int("PRAGMA user_version"), 1) << "a read-only open must not change the file";
  EXPECT_EQ(query_int(kHasOldIndex), 1);
  {
    auto c = Cassette::Open(path, Cassette::Mode::kReadWrite);
    c->InsertFrame(TextFrame(conn_id, 1, 20, Direction::kServerToClient, "x"));
    EXPECT_EQ(c->CountFrames({}), 2);
  }
  EXPECT_EQ(query_int("PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(query_int(kHasOldIndex), 0);
}

TEST(Cassette, ReadOnlyOpenDoesNotCreate) {
  TempDir dir;
  EXPECT_THROW(Cassette::Open(dir.File("x.cassette"), Cassette::Mode::kReadOnly), Error);
  EXPECT_TRUE(testing::ReadFile(dir.File("x.cassette")).empty());
}

TEST(Cassette, DuplicateSessionNameIsAClearError) {
  TempDir dir;
  auto c = Cassette::Open(dir.File("c"), Cassette::Mode::kCreate);
  Session s;
  s.name = "a";
  c->InsertSession(s);
  try {
    c->InsertSession(s);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("already has a session named 'a'"), std::string::npos);
  }
}

}  // namespace
}  // namespace wsr::cassette
