// The two SessionSource implementations return the same streams for the same rows: a
// CassetteSession over an SQLite cassette and a MemorySession over vectors, for every
// FrameQuery (direction, control frames, Phoenix selection, limit), including frames whose
// Phoenix columns are only half set. Also pins what each PhoenixSelect selects.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "cassettes/cassette.h"
#include "cassettes/cassette_session.h"
#include "cassettes/memory_session.h"
#include "cassettes/protocol_probe.h"
#include "tests/support/temp_dir.h"

namespace wsr::cassette {
namespace {

using wsr::testing::TempDir;
constexpr Direction kC2S = Direction::kClientToServer;
constexpr Direction kS2C = Direction::kServerToClient;

// Everything a stream yields, comparable.
auto Key(const Frame& f) {
  return std::make_tuple(f.id, f.connection_id, f.seq, f.offset_ns, f.direction, f.opcode,
                         f.payload, f.fragments, f.topic, f.event, f.join_ref, f.ref, f.flags,
                         f.note);
}

std::vector<Frame> Read(SessionSource& source, int64_t conn, const FrameQuery& q) {
  std::vector<Frame> out;
  auto stream = source.Frames(conn, q);
  Frame f;
  while (stream->Next(&f)) out.push_back(f);
  EXPECT_FALSE(stream->Next(&f)) << "a finished stream stays finished";
  return out;
}

std::vector<int64_t> Seqs(const std::vector<Frame>& frames) {
  std::vector<int64_t> v;
  for (const auto& f : frames) v.push_back(f.seq);
  return v;
}

// Two sessions in one cassette; the second holds the connections under test: a Phoenix one
// (with control frames and odd rows) and a raw one with fragments and flags.
class SessionSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = Cassette::Open(dir_.File("c.cassette"), Cassette::Mode::kCreate);
    Session other;
    other.name = "other";
    int64_t other_id = c->InsertSession(other);
    Connection oc;
    oc.session_id = other_id;
    oc.ordinal = 1;
    oc.path = "/other";
    int64_t oc_id = c->InsertConnection(oc);
    Add(*c, nullptr, oc_id, kS2C, 1, R"(["1",null,"room:X","msg",{}])");

    session_.name = "s";
    session_.started_at_ns = 7;
    session_.upstream = "wss://example.test";
    session_.id = c->InsertSession(session_);
    // Inserted out of ordinal order: both sources list connections by ordinal.
    Connection raw = Conn(2, "/raw", "x=1");
    raw.session_id = session_.id;
    raw.id = c->InsertConnection(raw);
    Connection phx = Conn(1, "/socket/websocket", "vsn=2.0.0");
    phx.session_id = session_.id;
    phx.close_code = 1000;
    phx.close_initiator = "upstream";
    phx.closed_ns = 900;
    phx.id = c->InsertConnection(phx);
    conns_ = {raw, phx};
    phx_ = phx.id;
    raw_ = raw.id;

    auto* v = &frames_;
    Add(*c, v, phx_, kC2S, 1, R"(["1","1","room:A","phx_join",{}])");
    Add(*c, v, phx_, kS2C, 1, R"(["1","1","room:A","phx_reply",{"status":"ok","response":{}}])");
    Add(*c, v, phx_, kC2S, 1, R"([null,"2","phoenix","heartbeat",{}])");
    Add(*c, v, phx_, kS2C, 1, R"([null,"2","phoenix","phx_reply",{"status":"ok","response":{}}])");
    Add(*c, v, phx_, kS2C, 9, "ping");
    Add(*c, v, phx_, kC2S, 10, "ping");
    Add(*c, v, phx_, kS2C, 1, R"(["1",null,"room:A","message_created",{"n":1}])");
    Add(*c, v, phx_, kC2S, 1, R"(["1","3","room:A","phx_leave",{}])");
    Add(*c, v, phx_, kS2C, 1, R"(["1","3","room:A","phx_reply",{"status":"ok","response":{}}])");
    Add(*c, v, phx_, kS2C, 1, R"(["1","1","room:A","phx_close",{}])");
    Add(*c, v, phx_, kS2C, 1, R"(["1",null,"room:B","phx_error",{}])");
    Add(*c, v, phx_, kS2C, 1, "not phoenix");
    Add(*c, v, phx_, kC2S, 2, std::string("\x00\x01", 2));
    // Half-set Phoenix columns (no writer produces them; the sources must still agree).
    Add(*c, v, phx_, kC2S, 1, "odd", [](Frame* f) { f->topic = "phoenix"; });
    Add(*c, v, phx_, kS2C, 1, "odd", [](Frame* f) { f->event = "phx_reply"; });
    Add(*c, v, phx_, kS2C, 1, "odd", [](Frame* f) { f->topic = "room:C"; });
    Add(*c, v, phx_, kS2C, 8, std::string("\x03\xe8", 2));
    Add(*c, v, raw_, kC2S, 1, "hello", [](Frame* f) { f->fragments = {2, 3}; });
    Add(*c, v, raw_, kS2C, 2, "bin", [](Frame* f) {
      f->flags = kFrameCompressed | kFrameViolation;
      f->note = "RSV2 set";
    });
    Add(*c, v, raw_, kS2C, 1, "world");
    // Exchanges: one in the other session; in this one, ordinals out of request_ns order
    // (both sources list by request_ns, ties by ordinal) and one without a response.
    AddExchange(*c, nullptr, other_id, 1, 50, "GET", "/other");
    AddExchange(*c, &exchanges_, session_.id, 1, 500, "POST", "/api/v1/agent/chats");
    AddExchange(*c, &exchanges_, session_.id, 3, 300, "GET", "/api/v1/agent/me");
    AddExchange(*c, &exchanges_, session_.id, 2, 300, "GET", "/api/v1/agent/peers",
                [](Exchange* e) {
                  e->status.reset();
                  e->response_ns.reset();
                  e->initiator = "client";
                });
    cassette_ = std::move(c);
    sqlite_ = std::make_unique<CassetteSession>(*cassette_, session_);
    memory_ = std::make_unique<MemorySession>(session_, conns_, frames_, exchanges_);
  }

  static Connection Conn(int ordinal, const std::string& path, const std::string& query) {
    Connection c;
    c.ordinal = ordinal;
    c.path = path;
    c.query = query;
    c.http_status = 101;
    return c;
  }

  template <typename Tweak = void (*)(Frame*)>
  void Add(
      Cassette& c, std::vector<Frame>* out, int64_t conn, Direction d, int opcode,
      const std::string& payload, Tweak tweak = [](Frame*) {}) {
    Frame f;
    f.connection_id = conn;
    f.seq = seqs_[conn]++;
    f.offset_ns = 100 + 10 * f.seq;
    f.direction = d;
    f.opcode = opcode;
    f.payload = payload;
    f.FillPhoenixColumns();
    tweak(&f);
    f.id = c.InsertFrame(f);
    if (out) out->push_back(f);
  }

  template <typename Tweak = void (*)(Exchange*)>
  void AddExchange(
      Cassette& c, std::vector<Exchange>* out, int64_t session_id, int ordinal, int64_t at,
      const std::string& method, const std::string& path, Tweak tweak = [](Exchange*) {}) {
    Exchange e;
    e.session_id = session_id;
    e.ordinal = ordinal;
    e.http_connection = 1;
    e.method = method;
    e.path = path;
    e.request_headers = {{"X-API-Key", "redacted:x-api-key:00000000"}};
    e.request_body = method == "POST" ? R"({"chat":{}})" : "";
    e.status = 200;
    e.response_headers = {{"content-type", "application/json"}};
    e.response_body = R"({"data":{}})";
    e.initiator = "upstream";
    e.request_ns = at;
    e.response_ns = at + 5;
    tweak(&e);
    e.id = c.InsertExchange(e);
    if (out) out->push_back(e);
  }

  TempDir dir_;
  std::unique_ptr<Cassette> cassette_;
  Session session_;
  std::vector<Connection> conns_;
  std::vector<Frame> frames_;
  std::vector<Exchange> exchanges_;
  std::map<int64_t, int64_t> seqs_;
  int64_t phx_ = 0, raw_ = 0;
  std::unique_ptr<SessionSource> sqlite_, memory_;
};

TEST_F(SessionSourceTest, SameConnectionsInOrdinalOrder) {
  for (SessionSource* s : {sqlite_.get(), memory_.get()}) {
    auto conns = s->Connections();
    ASSERT_EQ(conns.size(), 2u);
    EXPECT_EQ(conns[0].id, phx_);
    EXPECT_EQ(conns[0].path, "/socket/websocket");
    EXPECT_EQ(conns[0].close_initiator, "upstream");
    EXPECT_EQ(conns[0].closed_ns, 900);
    EXPECT_EQ(conns[1].id, raw_);
    EXPECT_EQ(conns[1].query, "x=1");
    EXPECT_EQ(s->session().name, "s");
  }
  EXPECT_EQ(sqlite_->origin(), dir_.File("c.cassette"));
}

TEST_F(SessionSourceTest, EveryQueryGivesTheSameStreamAndCount) {
  int compared = 0;
  for (int64_t conn : {phx_, raw_, int64_t{12345}}) {
    for (std::optional<Direction> d :
         {std::optional<Direction>(), std::optional(kC2S), std::optional(kS2C)}) {
      for (bool control : {false, true}) {
        for (PhoenixSelect p :
             {PhoenixSelect::kAll, PhoenixSelect::kNoReplies, PhoenixSelect::kNoHeartbeatReplies,
              PhoenixSelect::kRequestsAndAnswers}) {
          for (std::optional<int64_t> limit :
               {std::optional<int64_t>(), std::optional<int64_t>(0), std::optional<int64_t>(1),
                std::optional<int64_t>(3), std::optional<int64_t>(100)}) {
            FrameQuery q{.direction = d, .include_control = control, .phoenix = p, .limit = limit};
            std::string what = "conn " + std::to_string(conn) + " dir " +
                               std::to_string(d ? static_cast<int>(*d) : -1) + " control " +
                               std::to_string(control) + " phoenix " +
                               std::to_string(static_cast<int>(p)) + " limit " +
                               std::to_string(limit.value_or(-1));
            auto a = Read(*sqlite_, conn, q);
            auto b = Read(*memory_, conn, q);
            ASSERT_EQ(a.size(), b.size()) << what;
            for (size_t i = 0; i < a.size(); ++i) {
              EXPECT_TRUE(Key(a[i]) == Key(b[i])) << what << " frame " << i;
            }
            EXPECT_EQ(sqlite_->CountFrames(conn, q), static_cast<int64_t>(a.size())) << what;
            EXPECT_EQ(memory_->CountFrames(conn, q), static_cast<int64_t>(b.size())) << what;
            ++compared;
          }
        }
      }
    }
  }
  EXPECT_EQ(compared, 3 * 3 * 2 * 4 * 5);
}

TEST_F(SessionSourceTest, SameExchangesInRequestOrder) {
  auto key = [](const Exchange& e) {
    return std::make_tuple(e.id, e.session_id, e.ordinal, e.http_connection, e.method, e.path,
                           e.query, e.request_headers, e.request_body, e.status, e.response_headers,
                           e.response_body, e.initiator, e.error, e.request_ns, e.response_ns,
                           e.flags);
  };
  auto a = sqlite_->Exchanges();
  auto b = memory_->Exchanges();
  ASSERT_EQ(a.size(), 3u) << "only this session's exchanges";
  ASSERT_EQ(b.size(), a.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(key(a[i]) == key(b[i])) << "exchange " << i;
  EXPECT_EQ(a[0].ordinal, 2) << "request_ns order, ties by ordinal";
  EXPECT_EQ(a[1].ordinal, 3);
  EXPECT_EQ(a[2].ordinal, 1);
  EXPECT_FALSE(a[0].status);
  MemorySession none(session_, conns_, frames_);
  EXPECT_TRUE(none.Exchanges().empty());
}

// What each selection means, on the Phoenix connection (seqs as inserted in SetUp).
TEST_F(SessionSourceTest, SelectionsSelectWhatTheReplayCoreNeeds) {
  for (SessionSource* s : {sqlite_.get(), memory_.get()}) {
    // Pushes streamed by PhoenixReplayer: server data frames except every phx_reply.
    EXPECT_EQ(Seqs(Read(*s, phx_, {.direction = kS2C, .phoenix = PhoenixSelect::kNoReplies})),
              (std::vector<int64_t>{6, 9, 10, 11, 15}));
    // PhoenixIndex: requests (no heartbeat) and their answers (no heartbeat reply).
    EXPECT_EQ(Seqs(Read(*s, phx_, {.phoenix = PhoenixSelect::kRequestsAndAnswers})),
              (std::vector<int64_t>{0, 1, 7, 8, 9, 13}));
    // The report's unused-connection count: server frames but heartbeat replies, control
    // frames included.
    EXPECT_EQ(s->CountFrames(phx_, {.direction = kS2C,
                                    .include_control = true,
                                    .phoenix = PhoenixSelect::kNoHeartbeatReplies}),
              10);
    // Raw replay: one direction, data frames only, fragments and flags kept.
    auto client = Read(*s, raw_, {.direction = kC2S});
    ASSERT_EQ(client.size(), 1u);
    EXPECT_EQ(client[0].fragments, (std::vector<uint32_t>{2, 3}));
    auto server = Read(*s, raw_, {.direction = kS2C});
    ASSERT_EQ(server.size(), 2u);
    EXPECT_EQ(server[0].note, "RSV2 set");
    EXPECT_EQ(server[0].flags, kFrameCompressed | kFrameViolation);
  }
}

TEST_F(SessionSourceTest, ProtocolProbeAgrees) {
  for (SessionSource* s : {sqlite_.get(), memory_.get()}) {
    auto phx = ProbeProtocol(*s, conns_[1]);
    EXPECT_EQ(phx.data_frames, 14);  // control frames are not probed
    EXPECT_EQ(phx.phoenix_frames, 11);
    EXPECT_FALSE(phx.AllPhoenix());
    EXPECT_TRUE(phx.AnyPhoenix());
    auto raw = ProbeProtocol(*s, conns_[0]);
    EXPECT_EQ(raw.data_frames, 3);
    EXPECT_EQ(raw.phoenix_frames, 0);
  }
}

}  // namespace
}  // namespace wsr::cassette
