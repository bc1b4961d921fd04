// export/import: JSON Lines round trip, HAR export, a hand-written Chrome HAR import.
#include <nlohmann/json.hpp>

#include "recorder/redactor.h"
#include "tests/tools/tools_fixture.h"
#include "tools/text_util.h"

namespace wsr::tools_test {
namespace {
using nlohmann::json;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

TEST(ToolsJsonl, ExportImportExportIsByteIdentical) {
  TempDir t;
  WriteSample(t.File("a.cassette"));
  auto r = Wsr({"export", t.File("a.cassette"), "--format", "jsonl", "-o", t.File("a.jsonl")});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string first = ReadFile(t.File("a.jsonl"));
  auto lines = Lines(first);
  ASSERT_EQ(lines.size(), 1u + 1 + 2 + 10);  // header, session, connections, frames
  auto header = json::parse(lines[0]);
  EXPECT_EQ(header["format"], "wsreplay-jsonl");
  EXPECT_EQ(header["version"], 3);
  EXPECT_EQ(json::parse(lines[1])["type"], "session");
  EXPECT_EQ(json::parse(lines[2])["type"], "connection");
  auto binary = json::parse(lines[11]);  // frame at 3 s
  EXPECT_EQ(binary["encoding"], "base64");
  EXPECT_EQ(binary["payload"], "AAH/");
  EXPECT_EQ(binary["fragments"], json::array({1, 2}));
  auto bad_utf8 = json::parse(lines[13]);
  EXPECT_EQ(bad_utf8["opcode"], 1);
  EXPECT_EQ(bad_utf8["encoding"], "base64");

  // stdout is the default output and gives the same bytes
  r = Wsr({"export", t.File("a.cassette"), "--format", "jsonl"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, first);

  r = Wsr({"import", t.File("a.jsonl"), "--cassette", t.File("b.cassette")});
  ASSERT_EQ(r.status, 0) << r.err;
  r = Wsr({"export", t.File("b.cassette"), "--format", "jsonl", "-o", t.File("b.jsonl")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(ReadFile(t.File("b.jsonl")), first);

  // The imported frames are the original bytes, Phoenix columns filled.
  auto a = ReadFrames(t.File("a.cassette"));
  auto b = ReadFrames(t.File("b.cassette"));
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].payload, b[i].payload);
    EXPECT_EQ(a[i].topic, b[i].topic);
    EXPECT_EQ(a[i].fragments, b[i].fragments);
  }

  // Importing the same session again into b clashes; --session gives it a new name.
  r = Wsr({"import", t.File("a.jsonl"), "--cassette", t.File("b.cassette")});
  ExpectOneLineError(r, "already has a session named 'rec-1'");
  r = Wsr({"import", t.File("a.jsonl"), "--cassette", t.File("b.cassette"), "--session", "again"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(ReadFrames(t.File("b.cassette"), "again").size(), a.size());
}

TEST(ToolsJsonl, BadInputIsAClearError) {
  TempDir t;
  WriteFile(t.File("x.jsonl"),
            "{\"type\":\"header\",\"format\":\"wsreplay-jsonl\",\"version\":1}\nnot json\n");
  auto r = Wsr({"import", t.File("x.jsonl"), "--cassette", t.File("out.cassette")});
  ExpectOneLineError(r, "line 2");
  EXPECT_TRUE(AllCassetteBytes(t.File("out.cassette")).empty())
      << "a failed import leaves no cassette";

  WriteFile(t.File("y.txt"), "hello\n");
  r = Wsr({"import", t.File("y.txt"), "--cassette", t.File("out.cassette")});
  ExpectOneLineError(r, "--from");
  r = Wsr({"import", t.File("missing.jsonl"), "--cassette", t.File("out.cassette")});
  ExpectOneLineError(r, "missing.jsonl");
}

TEST(ToolsHar, ExportIsHar12WithWebSocketMessages) {
  TempDir t;
  WriteSample(t.File("a.cassette"));
  auto r = Wsr({"export", t.File("a.cassette"), "--format", "har", "-o", t.File("a.har")});
  ASSERT_EQ(r.status, 0) << r.err;
  json har = json::parse(ReadFile(t.File("a.har")));
  const json& log = har.at("log");
  EXPECT_EQ(log.at("version"), "1.2");
  EXPECT_EQ(log.at("creator").at("name"), "wsreplay");
  ASSERT_TRUE(log.at("creator").at("version").is_string());
  const json& entries = log.at("entries");
  ASSERT_EQ(entries.size(), 2u);
  for (const auto& e : entries) {
    ExpectHar12Entry(e);
    EXPECT_EQ(e.at("_resourceType"), "websocket");
    EXPECT_TRUE(e.at("_webSocketMessages").is_array());
  }
  const json& e1 = entries[0];
  EXPECT_EQ(
      e1["request"]["url"],
      "wss://app.thenvoi.com/api/v1/socket/websocket?api_key=redacted:api_key:0a1b2c3d&vsn=2.0.0");
  EXPECT_EQ(e1["response"]["status"], 101);
  EXPECT_EQ(e1["startedDateTime"], "2025-11-28T20:00:00.000Z");
  const json& msgs = e1["_webSocketMessages"];
  ASSERT_EQ(msgs.size(), 10u);
  EXPECT_EQ(msgs[0]["type"], "send");
  EXPECT_EQ(msgs[1]["type"], "receive");
  EXPECT_EQ(msgs[0]["opcode"], 1);
  EXPECT_EQ(msgs[0]["data"], R"(["1","1","chat_room:r1","phx_join",{}])");
  EXPECT_NEAR(msgs[0]["time"].get<double>(), 1764360000.1, 1e-6);
  EXPECT_EQ(msgs[7]["opcode"], 2);
  EXPECT_EQ(msgs[7]["data"], "AAH/");
  EXPECT_EQ(entries[1]["response"]["status"], 403);
  EXPECT_EQ(entries[1]["_webSocketMessages"].size(), 0u);
}

TEST(ToolsHar, ExportThenImportGivesTheSameFrames) {
  TempDir t;
  WriteSample(t.File("a.cassette"), "rec-1", /*invalid_utf8=*/false);
  auto r = Wsr({"export", t.File("a.cassette"), "--format", "har", "-o", t.File("a.har")});
  ASSERT_EQ(r.status, 0) << r.err;
  r = Wsr({"import", t.File("a.har"), "--cassette", t.File("b.cassette")});
  ASSERT_EQ(r.status, 0) << r.err;
  auto a = ReadFrames(t.File("a.cassette"));
  auto b = ReadFrames(t.File("b.cassette"), "a");  // session named after the file
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].direction, b[i].direction) << i;
    EXPECT_EQ(a[i].opcode, b[i].opcode) << i;
    EXPECT_EQ(a[i].payload, b[i].payload) << i;
    EXPECT_EQ(a[i].topic, b[i].topic) << i;
    EXPECT_EQ(a[i].event, b[i].event) << i;
    EXPECT_NEAR(static_cast<double>(a[i].offset_ns), static_cast<double>(b[i].offset_ns), 1e6) << i;
  }
  auto c = Cassette::Open(t.File("b.cassette"), Cassette::Mode::kReadOnly);
  auto s = c->ResolveSession(std::nullopt);
  EXPECT_EQ(s.source, "import-har");
  EXPECT_EQ(s.upstream, "wss://app.thenvoi.com");
  auto conns = c->Connections(s.id);
  ASSERT_EQ(conns.size(), 2u);
  EXPECT_EQ(conns[0].http_status, 101);
  EXPECT_EQ(conns[0].path, "/api/v1/socket/websocket");
  EXPECT_EQ(conns[0].close_code, 1000);  // carried in our _webSocketClose extension
  EXPECT_EQ(conns[1].http_status, 403);
}

// A HAR as Chrome DevTools saves it ("Save all as HAR with content"), written by hand: an
// ordinary page request, then the WebSocket with its secret in the URL and a header.
constexpr const char* kChromeHar = R"({
  "log": {
    "version": "1.2",
    "creator": {"name": "WebInspector", "version": "537.36"},
    "pages": [{"startedDateTime": "2025-11-28T10:00:00.000Z", "id": "page_1", "title": "https://app.example.com/",
               "pageTimings": {"onContentLoad": 120.5, "onLoad": 300.1}}],
    "entries": [
      {
        "_initiator": {"type": "other"}, "_priority": "VeryHigh", "_resourceType": "document",
        "cache": {}, "connection": "443", "pageref": "page_1",
        "request": {"method": "GET", "url": "https://app.example.com/", "httpVersion": "http/2.0",
          "headers": [{"name": ":path", "value": "/"}, {"name": "cookie", "value": "sid=COOKIESECRET789"}],
          "queryString": [], "cookies": [{"name": "sid", "value": "COOKIESECRET789"}], "headersSize": -1, "bodySize": 0},
        "response": {"status": 200, "statusText": "", "httpVersion": "http/2.0", "headers": [], "cookies": [],
          "content": {"size": 5, "mimeType": "text/html", "text": "<html>"}, "redirectURL": "", "headersSize": -1,
          "bodySize": -1, "_transferSize": 900, "_error": null},
        "serverIPAddress": "203.0.113.7", "startedDateTime": "2025-11-28T10:00:00.000Z", "time": 80.2,
        "timings": {"blocked": 1.2, "dns": -1, "ssl": -1, "connect": -1, "send": 0.1, "wait": 70.3, "receive": 8.6,
                    "_blocked_queueing": 0.9}
      },
      {
        "_initiator": {"type": "script"}, "_priority": "Low", "_resourceType": "websocket",
        "cache": {}, "connection": "1234", "pageref": "page_1",
        "request": {
          "method": "GET",
          "url": "wss://app.thenvoi.com/api/v1/socket/websocket?api_key=HARSECRETKEY123&vsn=2.0.0",
          "httpVersion": "HTTP/1.1",
          "headers": [
            {"name": "Host", "value": "app.thenvoi.com"},
            {"name": "Connection", "value": "Upgrade"},
            {"name": "Upgrade", "value": "websocket"},
            {"name": "Origin", "value": "https://app.example.com"},
            {"name": "Authorization", "value": "Bearer HARSECRETTOKEN456"},
            {"name": "Sec-WebSocket-Version", "value": "13"},
            {"name": "Sec-WebSocket-Key", "value": "dGhlIHNhbXBsZSBub25jZQ=="}
          ],
          "queryString": [{"name": "api_key", "value": "HARSECRETKEY123"}, {"name": "vsn", "value": "2.0.0"}],
          "cookies": [], "headersSize": 420, "bodySize": 0
        },
        "response": {
          "status": 101, "statusText": "Switching Protocols", "httpVersion": "HTTP/1.1",
          "headers": [{"name": "Upgrade", "value": "websocket"}, {"name": "Connection", "value": "Upgrade"},
                      {"name": "Sec-WebSocket-Accept", "value": "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}],
          "cookies": [], "content": {"size": 0, "mimeType": "x-unknown"}, "redirectURL": "",
          "headersSize": 129, "bodySize": 0, "_transferSize": 129, "_error": null
        },
        "serverIPAddress": "203.0.113.8", "startedDateTime": "2025-11-28T10:00:01.000Z", "time": 0.0,
        "timings": {"blocked": -1, "dns": -1, "ssl": -1, "connect": -1, "send": 0, "wait": 0, "receive": 0},
        "_webSocketMessages": [
          {"type": "send", "time": 1764324001.25, "opcode": 1,
           "data": "[\"3\",\"3\",\"chat_room:r1\",\"phx_join\",{}]"},
          {"type": "receive", "time": 1764324001.3, "opcode": 1,
           "data": "[\"3\",\"3\",\"chat_room:r1\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]"},
          {"type": "receive", "time": 1764324002.5, "opcode": 1,
           "data": "[\"3\",null,\"chat_room:r1\",\"message_created\",{\"content\":\"hi\",\"sender_name\":\"Bo\"}]"},
          {"type": "send", "time": 1764324003.0, "opcode": 2, "data": "AQID"}
        ]
      }
    ]
  }
})";

TEST(ToolsHar, ChromeHarImportsRedactedWithItsFrames) {
  TempDir t;
  WriteFile(t.File("chrome.har"), kChromeHar);
  auto r = Wsr({"import", t.File("chrome.har"), "--cassette", t.File("c.cassette"), "--session",
                "from-chrome"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("fragment"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("close codes"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("non-WebSocket"), std::string::npos) << r.err;

  std::string bytes = AllCassetteBytes(t.File("c.cassette"));
  ASSERT_FALSE(bytes.empty());
  for (const char* secret : {"HARSECRETKEY123", "HARSECRETTOKEN456", "COOKIESECRET789"}) {
    EXPECT_EQ(bytes.find(secret), std::string::npos) << secret << " reached the cassette";
  }

  auto c = Cassette::Open(t.File("c.cassette"), Cassette::Mode::kReadOnly);
  auto s = c->ResolveSession(std::string("from-chrome"));
  EXPECT_EQ(s.started_at_ns, tools::ParseIso8601("2025-11-28T10:00:01.000Z"));
  auto conns = c->Connections(s.id);
  ASSERT_EQ(conns.size(), 1u);
  const auto& conn = conns[0];
  EXPECT_EQ(conn.ordinal, 1);
  EXPECT_EQ(conn.path, "/api/v1/socket/websocket");
  EXPECT_EQ(conn.query,
            "api_key=" + Redactor::Placeholder("api_key", "HARSECRETKEY123") + "&vsn=2.0.0");
  EXPECT_EQ(conn.http_status, 101);
  bool saw_auth = false;
  for (const auto& [k, v] : conn.request_headers) {
    if (k == "Authorization") {
      saw_auth = true;
      EXPECT_TRUE(Redactor::IsPlaceholder(v)) << v;
    }
  }
  EXPECT_TRUE(saw_auth);

  auto frames = ReadFrames(t.File("c.cassette"));
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(frames[0].direction, kC2S);
  EXPECT_EQ(frames[0].event, "phx_join");
  EXPECT_EQ(frames[0].topic, "chat_room:r1");
  EXPECT_EQ(frames[0].ref, "3");
  EXPECT_EQ(frames[0].offset_ns, 250 * kMs);
  EXPECT_EQ(frames[1].direction, kS2C);
  EXPECT_EQ(frames[1].event, "phx_reply");
  EXPECT_NEAR(static_cast<double>(frames[1].offset_ns), 300.0 * kMs, 1000.0);
  EXPECT_EQ(frames[2].event, "message_created");
  EXPECT_EQ(frames[2].payload,
            R"(["3",null,"chat_room:r1","message_created",{"content":"hi","sender_name":"Bo"}])");
  EXPECT_EQ(frames[3].opcode, 2);
  EXPECT_EQ(frames[3].payload, std::string("\x01\x02\x03"));
  EXPECT_EQ(frames[3].seq, 3);

  // ls reads it like any recording
  r = Wsr({"ls", t.File("c.cassette")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("from-chrome"), std::string::npos) << r.out;
}

TEST(ToolsHar, ImportedChromeHarReplaysToAClient) {
  TempDir t;
  WriteFile(t.File("chrome.har"), kChromeHar);
  auto r = Wsr({"import", t.File("chrome.har"), "--cassette", t.File("c.cassette")});
  ASSERT_EQ(r.status, 0) << r.err;
  Replay replay(t.File("c.cassette"));
  ASSERT_TRUE(replay.client && replay.client->connected());
  replay.client->SendText(R"(["3","3","chat_room:r1","phx_join",{}])");
  auto seen = replay.ReceiveUntil("message_created");
  EXPECT_TRUE(
      Contains(seen, R"(["3","3","chat_room:r1","phx_reply",{"status":"ok","response":{}}])"))
      << ::testing::PrintToString(seen) << replay.server->stderr_text();
  EXPECT_TRUE(Contains(
      seen, R"(["3",null,"chat_room:r1","message_created",{"content":"hi","sender_name":"Bo"}])"))
      << ::testing::PrintToString(seen) << replay.server->stderr_text();
}

TEST(ToolsHar, ExportImportReplayGivesTheClientTheSameEvents) {
  TempDir t;
  WriteSample(t.File("a.cassette"), "rec-1", /*invalid_utf8=*/false);
  auto r = Wsr({"export", t.File("a.cassette"), "--format", "har", "-o", t.File("a.har")});
  ASSERT_EQ(r.status, 0) << r.err;
  r = Wsr({"import", t.File("a.har"), "--cassette", t.File("b.cassette")});
  ASSERT_EQ(r.status, 0) << r.err;
  Replay replay(t.File("b.cassette"));
  ASSERT_TRUE(replay.client && replay.client->connected());
  replay.client->SendText(R"(["1","1","chat_room:r1","phx_join",{}])");
  replay.client->SendText(R"(["2","2","user_room:u1","phx_join",{}])");
  auto seen = replay.ReceiveUntil("message_created");
  // The recording continues after the client's heartbeat; a real client sends one too.
  replay.client->SendText(R"([null,"3","phoenix","heartbeat",{}])");
  for (auto& m : replay.ReceiveUntil("room_added")) seen.push_back(m);
  std::string all = ::testing::PrintToString(seen) + replay.server->stderr_text();
  EXPECT_TRUE(
      Contains(seen, R"(["1","1","chat_room:r1","phx_reply",{"status":"ok","response":{}}])"))
      << all;
  EXPECT_TRUE(
      Contains(seen, R"(["2","2","user_room:u1","phx_reply",{"status":"ok","response":{}}])"))
      << all;
  EXPECT_TRUE(Contains(
      seen,
      R"(["1",null,"chat_room:r1","message_created",{"content":"h\u00e9llo","sender_name":"Ann"}])"))
      << all;
  EXPECT_TRUE(Contains(seen, R"([null,"3","phoenix","phx_reply",{"status":"ok","response":{}}])"))
      << all;
  EXPECT_TRUE(Contains(seen, std::string("\x00\x01\xff", 3))) << all;
  EXPECT_TRUE(Contains(seen, R"(["2",null,"user_room:u1","room_added",{"id":"r2"}])")) << all;
}

TEST(ToolsHar, HarWithOnlyPageResourcesIsRefused) {
  TempDir t;
  WriteFile(t.File("plain.har"),
            R"({"log":{"version":"1.2","creator":{"name":"x","version":"1"},"entries":[
    {"startedDateTime":"2025-11-28T10:00:00Z","time":1,"_resourceType":"document",
     "request":{"method":"GET","url":"https://a/"},"response":{"status":200}}]}})");
  auto r = Wsr({"import", t.File("plain.har"), "--cassette", t.File("p.cassette")});
  ExpectOneLineError(r, "no WebSocket entries");
  EXPECT_TRUE(AllCassetteBytes(t.File("p.cassette")).empty());
}

}  // namespace
}  // namespace wsr::tools_test

namespace wsr::tools_test {
namespace {

// Found by the har_import fuzz target: two entries whose startedDateTime are each within what
// nanoseconds since 1970 hold (1678 and 2026) but more than 292 years apart. Their offsets
// from the session start overflowed (undefined behaviour). Now a HAR is refused when it starts
// outside what a cassette holds (cassette::kStartRange, the years 1824-2116) or spans more
// than its offsets (kOffsetRange, 36 years either side of the start).
std::string TwoEntryHar(const std::string& first, const std::string& second) {
  return R"({"log":{"version":"1.2","creator":{"name":"x","version":"1"},"entries":[
    {"startedDateTime":")" +
         first + R"(","time":12.5,
     "request":{"method":"GET","url":"wss://app.thenvoi.com/api/v1/socket/websocket?vsn=2.0.0"},
     "response":{"status":101}},
    {"startedDateTime":")" +
         second + R"(",
     "request":{"method":"GET","url":"ws://localhost/socket"},
     "response":{"status":0,"_error":"net::ERR_CONNECTION_REFUSED"}}]}})";
}

TEST(ToolsHar, TimesOutsideWhatACassetteHoldsAreRefused) {
  TempDir t;
  WriteFile(t.File("old.har"),
            TwoEntryHar("2026-03-10T09:00:00.123456+00:00", "1678-03-10T09:00:01Z"));
  auto r = Wsr({"import", t.File("old.har"), "--cassette", t.File("old.cassette")});
  ExpectOneLineError(r, "outside what a cassette holds (years 1824-2116)");
  EXPECT_TRUE(AllCassetteBytes(t.File("old.cassette")).empty());

  WriteFile(t.File("far.har"), TwoEntryHar("1990-01-01T00:00:00Z", "2030-01-01T00:00:00Z"));
  r = Wsr({"import", t.File("far.har"), "--cassette", t.File("far.cassette")});
  ExpectOneLineError(r,
                     "span 1990-01-01T00:00:00Z to 2030-01-01T00:00:00Z, more than a cassette "
                     "holds (+-36 years from the session start)");
  EXPECT_TRUE(AllCassetteBytes(t.File("far.cassette")).empty());

  WriteFile(t.File("ok.har"), TwoEntryHar("1990-01-01T00:00:00Z", "2020-01-01T00:00:00Z"));
  r = Wsr({"import", t.File("ok.har"), "--cassette", t.File("ok.cassette")});
  EXPECT_EQ(r.status, 0) << r.err << " (30 years apart is within the range)";
}

// The same ranges for JSON Lines, whose times are given as numbers.
TEST(ToolsJsonl, TimesOutsideWhatACassetteHoldsAreRefused) {
  TempDir t;
  const std::string header = "{\"type\":\"header\",\"format\":\"wsreplay-jsonl\",\"version\":1}\n";
  const std::string session =
      "{\"type\":\"session\",\"name\":\"s\",\"started_at_ns\":%START%,\"duration_ns\":null}\n";
  const std::string connection =
      "{\"type\":\"connection\",\"session\":\"s\",\"ordinal\":1,\"path\":\"/\","
      "\"opened_ns\":%OPENED%,\"closed_ns\":null}\n";
  auto file = [&](const std::string& start, const std::string& opened) {
    std::string s = session, c = connection;
    s.replace(s.find("%START%"), 7, start);
    c.replace(c.find("%OPENED%"), 8, opened);
    return header + s + c;
  };
  const std::string in_range = std::to_string(int64_t{1} << 60);
  const std::string beyond = std::to_string((int64_t{1} << 60) + 1);
  WriteFile(t.File("a.jsonl"), file("0", beyond));
  auto r = Wsr({"import", t.File("a.jsonl"), "--cassette", t.File("a.cassette")});
  ExpectOneLineError(r, "line 3: field 'opened_ns' is outside what a cassette holds");
  EXPECT_TRUE(AllCassetteBytes(t.File("a.cassette")).empty());

  WriteFile(t.File("b.jsonl"), file("18446744073709551615", "0"));  // wraps to -1 as int64
  r = Wsr({"import", t.File("b.jsonl"), "--cassette", t.File("b.cassette")});
  ExpectOneLineError(r, "line 2: field 'started_at_ns' is outside what a cassette holds");

  WriteFile(t.File("c.jsonl"), file("1764360000000000000", in_range));
  r = Wsr({"import", t.File("c.jsonl"), "--cassette", t.File("c.cassette")});
  EXPECT_EQ(r.status, 0) << r.err;
}

}  // namespace
}  // namespace wsr::tools_test
