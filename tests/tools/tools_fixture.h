// Helpers for the cassette-tools tests: build small cassettes through the Cassette API, run
// the real wsreplay binary, read cassette files back. Not thread-safe; header-only.
#pragma once

#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cassettes/cassette.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/ws_client.h"
#include "tools/text_util.h"

namespace wsr::tools_test {

using cassette::Cassette;
using cassette::Connection;
using cassette::Direction;
using cassette::Frame;
using cassette::Session;

inline constexpr int64_t kMs = 1000000;
inline constexpr int64_t kSec = 1000000000;
inline constexpr int64_t kStart = 1764360000LL * kSec;  // 2025-11-28T20:00:00Z

inline testing::RunResult Wsr(std::vector<std::string> args) {
  args.insert(args.begin(), testing::WsreplayBin());
  return testing::Run(args);
}

inline Frame MakeFrame(int64_t offset, Direction d, std::string payload, int opcode = 1) {
  Frame f;
  f.offset_ns = offset;
  f.direction = d;
  f.opcode = opcode;
  f.payload = std::move(payload);
  f.FillPhoenixColumns();
  return f;
}

inline constexpr Direction kC2S = Direction::kClientToServer;
inline constexpr Direction kS2C = Direction::kServerToClient;

// Inserts a session with the given connections and frames (frames[i].connection_id is the
// index into conns, seq assigned in order). Returns the session id.
inline int64_t AddSession(Cassette& c, Session s, std::vector<Connection> conns,
                          std::vector<Frame> frames) {
  c.Begin();
  int64_t sid = c.InsertSession(s);
  std::vector<int64_t> ids;
  for (auto& conn : conns) {
    conn.session_id = sid;
    ids.push_back(c.InsertConnection(conn));
  }
  std::vector<int64_t> seq(conns.size(), 0);
  for (auto f : frames) {
    size_t idx = static_cast<size_t>(f.connection_id);
    f.connection_id = ids[idx];
    f.seq = seq[idx]++;
    c.InsertFrame(f);
  }
  c.Commit();
  return sid;
}

// A Thenvoi-like session: connection 1 (accepted, joins two topics, pushes, a heartbeat, a
// fragmented binary frame), connection 2 (refused with 403). With invalid_utf8 a text frame
// that is not valid UTF-8 is added (HAR cannot carry it).
inline void WriteSample(const std::string& path, const std::string& name = "rec-1",
                        bool invalid_utf8 = true) {
  auto c = Cassette::Open(path, Cassette::Mode::kCreate);
  Session s;
  s.name = name;
  s.started_at_ns = kStart;
  s.duration_ns = 5 * kSec;
  s.upstream = "wss://app.thenvoi.com";
  s.tool_version = "0.1.0";
  Connection c1;
  c1.ordinal = 1;
  c1.path = "/api/v1/socket/websocket";
  c1.query = "api_key=redacted:api_key:0a1b2c3d&vsn=2.0.0";
  c1.request_headers = {{"Host", "127.0.0.1:8765"}, {"User-Agent", "test"}};
  c1.upstream_url =
      "wss://app.thenvoi.com/api/v1/socket/websocket?api_key=redacted:api_key:0a1b2c3d&vsn=2.0.0";
  c1.http_status = 101;
  c1.response_headers = {{"Server", "Cowboy"}};
  c1.opened_ns = 0;
  c1.closed_ns = 5 * kSec;
  c1.close_code = 1000;
  c1.close_initiator = "client";
  Connection c2;
  c2.ordinal = 2;
  c2.path = "/api/v1/socket/websocket";
  c2.query = "api_key=redacted:api_key:99999999&vsn=2.0.0";
  c2.http_status = 403;
  c2.error = "upstream refused the handshake: HTTP 403";
  c2.opened_ns = 50 * kMs;
  c2.closed_ns = 60 * kMs;
  std::vector<Frame> fr = {
      MakeFrame(100 * kMs, kC2S, R"(["1","1","chat_room:r1","phx_join",{}])"),
      MakeFrame(120 * kMs, kS2C,
                R"(["1","1","chat_room:r1","phx_reply",{"status":"ok","response":{}}])"),
      MakeFrame(200 * kMs, kC2S, R"(["2","2","user_room:u1","phx_join",{}])"),
      MakeFrame(220 * kMs, kS2C,
                R"(["2","2","user_room:u1","phx_reply",{"status":"ok","response":{}}])"),
      MakeFrame(
          1000 * kMs, kS2C,
          R"(["1",null,"chat_room:r1","message_created",{"content":"h\u00e9llo","sender_name":"Ann"}])"),
      MakeFrame(2000 * kMs, kC2S, R"([null,"3","phoenix","heartbeat",{}])"),
      MakeFrame(2010 * kMs, kS2C,
                R"([null,"3","phoenix","phx_reply",{"status":"ok","response":{}}])"),
      MakeFrame(3000 * kMs, kS2C, std::string("\x00\x01\xff", 3), 2),
      MakeFrame(3500 * kMs, kS2C, R"(["2",null,"user_room:u1","room_added",{"id":"r2"}])"),
  };
  fr[7].fragments = {1, 2};
  if (invalid_utf8) fr.push_back(MakeFrame(4000 * kMs, kC2S, std::string("bad \xff\xfe text")));
  for (auto& f : fr) f.connection_id = 0;
  AddSession(*c, s, {c1, c2}, fr);
}

inline std::vector<Frame> ReadFrames(const std::string& path, const std::string& session = "") {
  auto c = Cassette::Open(path, Cassette::Mode::kReadOnly);
  auto s = c->ResolveSession(session.empty() ? std::nullopt : std::optional<std::string>(session));
  cassette::FrameFilter f;
  f.session_id = s.id;
  auto cur = c->Frames(f);
  std::vector<Frame> out;
  Frame fr;
  while (cur.Next(&fr)) out.push_back(fr);
  return out;
}

// Every byte of every file that belongs to the cassette (main, -wal, -shm, -journal).
inline std::string AllCassetteBytes(const std::string& path) {
  std::string all;
  std::string dir = path.substr(0, path.find_last_of('/'));
  std::string base = path.substr(path.find_last_of('/') + 1);
  DIR* d = opendir(dir.c_str());
  if (!d) return all;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.rfind(base, 0) == 0) all += testing::ReadFile(dir + "/" + n);
  }
  closedir(d);
  return all;
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

// A one-line error on stderr: "wsreplay: error: ...\n" with nothing else.
inline void ExpectOneLineError(const testing::RunResult& r, const std::string& contains) {
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_EQ(r.err.rfind("wsreplay: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(contains), std::string::npos) << r.err;
}

// Serves `cassette` with `wsreplay replay` and connects a client to it.
struct Replay {
  std::unique_ptr<testing::Process> server;
  std::unique_ptr<testing::WsClient> client;
  explicit Replay(const std::string& cassette) {
    server = std::make_unique<testing::Process>(
        std::vector<std::string>{testing::WsreplayBin(), "replay", "--cassette", cassette,
                                 "--listen", "127.0.0.1:0", "--speed", "max"});
    std::string url = server->WaitForListening(std::chrono::seconds(20));
    EXPECT_FALSE(url.empty()) << server->stderr_text();
    if (url.empty()) return;
    client = testing::WsClient::Connect(url + "/api/v1/socket/websocket?api_key=LIVEKEY&vsn=2.0.0");
    EXPECT_TRUE(client->connected()) << client->error();
  }
  ~Replay() {
    client.reset();
    if (server) {
      server->Signal(SIGTERM);
      server->Wait(std::chrono::seconds(20));
    }
  }
  // Receives until a message containing `needle` arrives; returns all messages seen.
  std::vector<std::string> ReceiveUntil(const std::string& needle) {
    std::vector<std::string> seen;
    while (auto m = client->Receive(std::chrono::seconds(15))) {
      seen.push_back(m->data);
      if (m->data.find(needle) != std::string::npos) break;
    }
    return seen;
  }
};

// The fields HAR 1.2 requires of an entry.
inline void ExpectHar12Entry(const nlohmann::json& e) {
  ASSERT_TRUE(tools::ParseIso8601(e.at("startedDateTime").get<std::string>()).has_value());
  EXPECT_TRUE(e.at("time").is_number());
  for (const char* k : {"method", "url", "httpVersion", "cookies", "headers", "queryString",
                        "headersSize", "bodySize"}) {
    EXPECT_TRUE(e.at("request").contains(k)) << k;
  }
  for (const char* k : {"status", "statusText", "httpVersion", "cookies", "headers", "content",
                        "redirectURL", "headersSize", "bodySize"}) {
    EXPECT_TRUE(e.at("response").contains(k)) << k;
  }
  EXPECT_TRUE(e.at("response").at("content").contains("mimeType"));
  EXPECT_TRUE(e.at("cache").is_object());
  for (const char* k : {"send", "wait", "receive"}) {
    EXPECT_TRUE(e.at("timings").at(k).is_number()) << k;
  }
}

inline bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace wsr::tools_test
