#include "cassettes/cassette.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <tuple>

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

// The recorder's batched insert (several rows per statement, the rest one by one) stores
// every field of every frame, in order, as InsertFrame does.
TEST(Cassette, InsertFramesStoresEveryFieldOfEveryFrameInOrder) {
  TempDir dir;
  std::string path = dir.File("batch.cassette");
  const size_t n = 2 * Cassette::kFramesPerInsert + 5;  // two full statements and a rest
  std::vector<Frame> frames;
  {
    auto c = Cassette::Open(path, Cassette::Mode::kCreate);
    Session s;
    s.name = "batch";
    int64_t sid = c->InsertSession(s);
    Connection conn;
    conn.session_id = sid;
    conn.ordinal = 1;
    int64_t cid = c->InsertConnection(conn);
    for (size_t i = 0; i < n; ++i) {
      Frame f = TextFrame(
          cid, static_cast<int64_t>(i), static_cast<int64_t>(i) * 7,
          i % 2 ? Direction::kServerToClient : Direction::kClientToServer,
          R"([")" + std::to_string(i) + R"(",null,"room:)" + std::to_string(i) + R"(","ev",{}])");
      if (i % 3 == 0) {  // a binary frame with NUL bytes, fragments and a violation note
        f = Frame{};
        f.connection_id = cid;
        f.seq = static_cast<int64_t>(i);
        f.offset_ns = static_cast<int64_t>(i) * 7;
        f.opcode = 2;
        f.payload = std::string("\x00\x01", 2) + std::to_string(i);
        f.fragments = {1, static_cast<uint32_t>(i + 1)};
        f.flags = kFrameViolation;
        f.note = "note " + std::to_string(i);
      }
      frames.push_back(std::move(f));
    }
    std::vector<const Frame*> ptrs;
    for (const Frame& f : frames) ptrs.push_back(&f);
    c->Begin();
    c->InsertFrames(ptrs);
    c->Commit();
    c->Seal();
  }
  auto c = Cassette::Open(path, Cassette::Mode::kReadOnly);
  auto cur = c->Frames({.include_control = true});
  Frame got;
  for (size_t i = 0; i < n; ++i) {
    ASSERT_TRUE(cur.Next(&got)) << "frame " << i << " of " << n << " missing";
    const Frame& want = frames[i];
    EXPECT_EQ(got.seq, want.seq);
    EXPECT_EQ(got.offset_ns, want.offset_ns);
    EXPECT_EQ(got.direction, want.direction);
    EXPECT_EQ(got.opcode, want.opcode);
    EXPECT_EQ(got.payload, want.payload);
    EXPECT_EQ(got.fragments, want.fragments);
    EXPECT_EQ(got.topic, want.topic);
    EXPECT_EQ(got.event, want.event);
    EXPECT_EQ(got.join_ref, want.join_ref);
    EXPECT_EQ(got.ref, want.ref);
    EXPECT_EQ(got.flags, want.flags);
    EXPECT_EQ(got.note, want.note);
  }
  EXPECT_FALSE(cur.Next(&got));
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

// Schema version 3: the handshake heads, a refusal body, control frames and their marks are
// stored and read back byte for byte; the typed frame readers leave control frames out.
TEST(Cassette, Version3ColumnsRoundTripAndControlFramesAreOptIn) {
  TempDir dir;
  std::string path = dir.File("v3.cassette");
  const std::string body("refused\0\xff", 9);
  {
    auto c = Cassette::Open(path, Cassette::Mode::kCreate);
    Session s;
    s.name = "v3";
    Connection conn;
    conn.session_id = c->InsertSession(s);
    conn.ordinal = 1;
    conn.path = "/socket";
    conn.request_head = "GET /socket HTTP/1.1\r\nHost: x\r\n\r\n";
    conn.response_head = "HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\n";
    conn.response_body = body;
    conn.extensions = "permessage-deflate; client_max_window_bits";
    conn.http_status = 403;
    int64_t cid = c->InsertConnection(conn);
    Frame text = TextFrame(cid, 0, 10, Direction::kClientToServer, "hi");
    text.flags = kFrameCompressed;
    c->InsertFrame(text);
    Frame ping;
    ping.connection_id = cid;
    ping.seq = 1;
    ping.offset_ns = 20;
    ping.direction = Direction::kServerToClient;
    ping.opcode = 9;
    ping.payload = "p";
    c->InsertFrame(ping);
    Frame close;
    close.connection_id = cid;
    close.seq = 2;
    close.offset_ns = 30;
    close.opcode = 8;
    close.payload = std::string(
        "\x03\xe8"
        "bye",
        5);
    close.flags = kFrameViolation;
    close.note = "RSV1 set on a control frame; masked by the server";
    c->InsertFrame(close);
    conn.id = cid;
    conn.response_body.reset();
    conn.extensions = "";
    c->UpdateConnection(conn);
    conn.response_body = body;
    conn.extensions = "permessage-deflate; client_max_window_bits";
    c->UpdateConnection(conn);
  }
  auto c = Cassette::Open(path, Cassette::Mode::kReadOnly);
  auto sess = c->ResolveSession(std::nullopt);
  auto conns = c->Connections(sess.id);
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].request_head, "GET /socket HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(conns[0].response_head, "HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\n");
  EXPECT_EQ(conns[0].response_body, body);
  EXPECT_EQ(conns[0].extensions, "permessage-deflate; client_max_window_bits");

  EXPECT_EQ(c->CountFrames({}), 1) << "control frames are left out by default";
  EXPECT_EQ(c->CountFrames({.include_control = true}), 3);
  std::vector<Frame> all;
  Frame f;
  for (auto cur = c->Frames({.include_control = true}); cur.Next(&f);) all.push_back(f);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].flags, kFrameCompressed);
  EXPECT_EQ(all[0].note, "");
  EXPECT_TRUE(all[1].is_control());
  EXPECT_EQ(all[1].opcode, 9);
  EXPECT_EQ(all[2].opcode, 8);
  EXPECT_EQ(all[2].payload, std::string("\x03\xe8"
                                        "bye",
                                        5));
  EXPECT_EQ(all[2].flags, kFrameViolation);
  EXPECT_EQ(all[2].note, "RSV1 set on a control frame; masked by the server");

  int n = 0;
  for (auto cur = c->ConnectionFrames(conns[0].id, {}); cur.Next(&f);) ++n;
  EXPECT_EQ(n, 1) << "replay's reader sees data frames only";
  n = 0;
  for (auto cur = c->ConnectionFrames(conns[0].id, {.include_control = true}); cur.Next(&f);) ++n;
  EXPECT_EQ(n, 3);
}

// A version 2 cassette (UNIQUE (connection_id, seq) inside the frames table, no version 3
// columns) is read as it is with defaults, and migrated in place when opened for writing.
TEST(Cassette, Version2IsReadWithDefaultsAndMigratedToVersion3) {
  TempDir dir;
  std::string path = dir.File("v2.cassette");
  {
    sqlite3* db;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const char* v2 = R"SQL(
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE sessions (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
        started_at_ns INTEGER NOT NULL, duration_ns INTEGER, upstream TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL DEFAULT 'record', tool_version TEXT NOT NULL DEFAULT '');
      CREATE TABLE connections (id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL
        REFERENCES sessions(id) ON DELETE CASCADE, ordinal INTEGER NOT NULL, path TEXT NOT NULL,
        query TEXT NOT NULL DEFAULT '', request_headers TEXT NOT NULL DEFAULT '[]',
        upstream_url TEXT NOT NULL DEFAULT '', http_status INTEGER,
        response_headers TEXT NOT NULL DEFAULT '[]', subprotocol TEXT NOT NULL DEFAULT '',
        error TEXT NOT NULL DEFAULT '', opened_ns INTEGER NOT NULL, closed_ns INTEGER,
        close_code INTEGER, close_reason TEXT NOT NULL DEFAULT '',
        close_initiator TEXT NOT NULL DEFAULT '', UNIQUE (session_id, ordinal));
      CREATE TABLE frames (id INTEGER PRIMARY KEY, connection_id INTEGER NOT NULL
        REFERENCES connections(id) ON DELETE CASCADE, seq INTEGER NOT NULL,
        offset_ns INTEGER NOT NULL, direction TEXT NOT NULL CHECK (direction IN ('c2s', 's2c')),
        opcode INTEGER NOT NULL, payload BLOB NOT NULL, fragments TEXT, topic TEXT, event TEXT,
        join_ref TEXT, ref TEXT, UNIQUE (connection_id, seq));
      CREATE INDEX frames_by_topic ON frames (topic, event);
      PRAGMA application_id = 1465078352;
      PRAGMA user_version = 2;
      INSERT INTO sessions(id, name, started_at_ns) VALUES (1, 'old', 0);
      INSERT INTO connections(id, session_id, ordinal, path, opened_ns, http_status)
        VALUES (7, 1, 1, '/s', 0, 101);
      INSERT INTO frames(id, connection_id, seq, offset_ns, direction, opcode, payload, topic)
        VALUES (3, 7, 0, 5, 'c2s', 1, 'hello', 't');
    )SQL";
    ASSERT_EQ(sqlite3_exec(db, v2, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto read_all = [&](Cassette::Mode mode) {
    auto c = Cassette::Open(path, mode);
    auto conns = c->Connections(1);
    EXPECT_EQ(conns.size(), 1u);
    if (!conns.empty()) {
      EXPECT_EQ(conns[0].request_head, "");
      EXPECT_FALSE(conns[0].response_body);
    }
    Frame f;
    auto cur = c->Frames({.include_control = true});
    EXPECT_TRUE(cur.Next(&f));
    EXPECT_EQ(f.id, 3);
    EXPECT_EQ(f.payload, "hello");
    EXPECT_EQ(f.flags, 0);
    EXPECT_EQ(f.note, "");
    EXPECT_FALSE(cur.Next(&f));
  };
  auto user_version = [&] {
    sqlite3* db;
    sqlite3_open(path.c_str(), &db);
    sqlite3_stmt* st;
    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr);
    int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
  };
  read_all(Cassette::Mode::kReadOnly);
  EXPECT_EQ(user_version(), 2) << "a read-only open must not change the file";
  read_all(Cassette::Mode::kReadWrite);
  EXPECT_EQ(user_version(), kSchemaVersion);
  {  // the migrated file takes the new columns, and keeps (connection_id, seq) unique
    auto c = Cassette::Open(path, Cassette::Mode::kReadWrite);
    Frame f = TextFrame(7, 1, 6, Direction::kServerToClient, "x");
    f.flags = kFrameViolation;
    f.note = "bad";
    c->InsertFrame(f);
    EXPECT_THROW(c->InsertFrame(f), Error);
    Connection conn = c->Connections(1).at(0);
    conn.response_body = "no";
    c->UpdateConnection(conn);
  }
  auto c = Cassette::Open(path, Cassette::Mode::kReadOnly);
  EXPECT_EQ(c->Connections(1).at(0).response_body, "no");
  Frame f;
  auto cur = c->Frames({});
  ASSERT_TRUE(cur.Next(&f));
  ASSERT_TRUE(cur.Next(&f));
  EXPECT_EQ(f.note, "bad");
}

Exchange SampleExchange(int64_t session_id, int ordinal) {
  Exchange e;
  e.session_id = session_id;
  e.ordinal = ordinal;
  e.http_connection = 2;
  e.method = "POST";
  e.path = "/api/v1/agent/chats/c%2F1/messages";
  e.query = "api_key=redacted:api_key:0123abcd&x=1";
  e.request_headers = {{"Host", "app.thenvoi.com"}, {"Content-Type", "application/json"}};
  // {"a":"<FF><NUL>b"}: 11 bytes ("\x00" "b" split, or the escape would read 0x0b).
  e.request_body = std::string(
      "{\"a\":\"\xff\x00"
      "b\"}",
      11);
  e.status = 201;
  e.response_headers = {{"content-encoding", "gzip"}, {"x-dup", "1"}, {"x-dup", "2"}};
  e.response_body = std::string("\x00\x01\x02", 3);
  e.initiator = "upstream";
  e.error = "";
  e.request_ns = 1'000 + ordinal;
  e.response_ns = 12'300'000 + ordinal;
  e.flags = kResponseBodyDecoded;
  return e;
}

auto ExchangeKey(const Exchange& e) {
  return std::make_tuple(e.session_id, e.ordinal, e.http_connection, e.method, e.path, e.query,
                         e.request_headers, e.request_body, e.status, e.response_headers,
                         e.response_body, e.initiator, e.error, e.request_ns, e.response_ns,
                         e.flags);
}

// Schema version 4: every field of an exchange comes back as written (bodies as bytes, NULs
// and invalid UTF-8 included; an absent response as NULLs); exchanges belong to their session
// and are listed in ordinal order; deleting the session deletes them.
TEST(Cassette, ExchangesRoundTripEveryField) {
  TempDir dir;
  std::string path = dir.File("c.cassette");
  Exchange a, b;
  int64_t sid = 0, other = 0;
  {
    auto c = Cassette::Open(path, Cassette::Mode::kCreate);
    Session s;
    s.name = "s";
    sid = c->InsertSession(s);
    s.name = "other";
    other = c->InsertSession(s);
    b = SampleExchange(sid, 2);
    a = SampleExchange(sid, 1);
    a.method = "GET";
    a.request_body.clear();
    a.status.reset();
    a.response_ns.reset();
    a.response_headers.clear();
    a.response_body.clear();
    a.initiator = "client";
    a.error = "client went away";
    a.flags = kRequestBodyDecoded;
    b.id = c->InsertExchange(b);
    a.id = c->InsertExchange(a);
    c->InsertExchange(SampleExchange(other, 1));
    EXPECT_THROW(c->InsertExchange(SampleExchange(other, 1)), Error) << "ordinals are unique";
  }
  auto c = Cassette::Open(path, Cassette::Mode::kReadOnly);
  auto got = c->Exchanges(sid);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].id, a.id);
  EXPECT_TRUE(ExchangeKey(got[0]) == ExchangeKey(a));
  EXPECT_FALSE(got[0].status);
  EXPECT_FALSE(got[0].response_ns);
  EXPECT_EQ(got[1].id, b.id);
  EXPECT_TRUE(ExchangeKey(got[1]) == ExchangeKey(b));
  EXPECT_EQ(got[1].request_body.size(), 11u);
  EXPECT_EQ(c->CountExchanges(sid), 2);
  EXPECT_EQ(c->CountExchanges(other), 1);
  EXPECT_EQ(c->CountExchanges(12345), 0);
  c.reset();
  {
    auto e = Cassette::Open(path, Cassette::Mode::kEdit);
    e->Begin();
    e->DeleteSession(sid);  // foreign keys are on in kEdit: exchanges must go first
    e->Commit();
    EXPECT_EQ(e->CountExchanges(sid), 0);
    EXPECT_EQ(e->CountExchanges(other), 1);
  }
}

// A version 3 cassette (no exchanges table) is read as it is, with no exchanges, by a
// read-only open, and gains the table when opened for writing.
TEST(Cassette, Version3ReadsNoExchangesAndIsMigratedToVersion4) {
  TempDir dir;
  std::string path = dir.File("c.cassette");
  int64_t sid = 0;
  {
    auto c = Cassette::Open(path, Cassette::Mode::kEditCreate);
    Session s;
    s.name = "v3";
    sid = c->InsertSession(s);
    Connection conn;
    conn.session_id = sid;
    conn.ordinal = 1;
    conn.path = "/socket";
    int64_t cid = c->InsertConnection(conn);
    c->InsertFrame(TextFrame(cid, 0, 5, Direction::kClientToServer, "hello"));
  }
  auto exec = [&](const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  };
  auto query_int = [&](const char* sql) {
    sqlite3* db = nullptr;
    sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
    int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
  };
  exec("DROP TABLE exchanges; PRAGMA user_version=3;");  // what version 3 wrote
  {
    auto c = Cassette::Open(path, Cassette::Mode::kReadOnly);
    EXPECT_TRUE(c->Exchanges(sid).empty());
    EXPECT_EQ(c->CountExchanges(sid), 0);
    EXPECT_EQ(c->CountFrames({.session_id = sid}), 1) << "the rest reads as before";
  }
  EXPECT_EQ(query_int("PRAGMA user_version"), 3) << "a read-only open must not change the file";
  EXPECT_EQ(query_int("SELECT count(*) FROM sqlite_master WHERE name = 'exchanges'"), 0);
  {
    auto c = Cassette::Open(path, Cassette::Mode::kReadWrite);
    EXPECT_TRUE(c->Exchanges(sid).empty());
    c->InsertExchange(SampleExchange(sid, 1));
  }
  EXPECT_EQ(query_int("PRAGMA user_version"), 4);
  auto c = Cassette::Open(path, Cassette::Mode::kReadOnly);
  ASSERT_EQ(c->Exchanges(sid).size(), 1u);
  EXPECT_TRUE(ExchangeKey(c->Exchanges(sid)[0]) == ExchangeKey(SampleExchange(sid, 1)));
  EXPECT_EQ(c->CountFrames({.session_id = sid}), 1);
}

// A recorder that crashed left its indexes dropped: readers work, and the next open for
// writing builds them.
TEST(Cassette, MissingIndexesAreBuiltWhenOpenedForWriting) {
  TempDir dir;
  std::string path = dir.File("c.cassette");
  auto count_indexes = [&] {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st;
    sqlite3_prepare_v2(db,
                       "SELECT count(*) FROM sqlite_master WHERE type='index' AND name IN "
                       "('frames_by_seq', 'frames_by_topic')",
                       -1, &st, nullptr);
    int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
  };
  {
    auto c = Cassette::Open(path, Cassette::Mode::kCreate);
    c->DropIndexes();
  }
  EXPECT_EQ(count_indexes(), 0);
  {
    auto c = Cassette::Open(path, Cassette::Mode::kReadOnly);
    EXPECT_TRUE(c->Sessions().empty());
  }
  { Cassette::Open(path, Cassette::Mode::kReadWrite); }
  EXPECT_EQ(count_indexes(), 2);
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
