// Readers of cassette schema 3 (heads, refusal bodies, control frames, frame flags):
// JSON Lines and HAR round trips, HAR's headers/content/control messages, stats and ls.
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "recorder/redactor.h"
#include "tests/tools/tools_v3_fixture.h"
#include "tools/text_util.h"

namespace wsr::tools_test {
namespace {
using nlohmann::json;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

std::vector<Frame> AllFrames(const std::string& path) {
  auto c = Cassette::Open(path, Cassette::Mode::kReadOnly);
  cassette::FrameFilter filter;
  filter.session_id = c->ResolveSession(std::nullopt).id;
  filter.include_control = true;
  auto cur = c->Frames(filter);
  std::vector<Frame> out;
  Frame f;
  while (cur.Next(&f)) out.push_back(f);
  return out;
}

bool Has(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

TEST(ToolsV3Jsonl, ExportImportExportIsByteIdentical) {
  TempDir t;
  WriteV3Sample(t.File("a.cassette"));
  auto r = Wsr({"export", t.File("a.cassette"), "--format", "jsonl", "-o", t.File("a.jsonl")});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string first = ReadFile(t.File("a.jsonl"));
  // header, session, 4 connections, 9 frames (control frames included)
  ASSERT_EQ(Lines(first).size(), 1u + 1 + 4 + 9) << first;
  r = Wsr({"import", t.File("a.jsonl"), "--cassette", t.File("b.cassette")});
  ASSERT_EQ(r.status, 0) << r.err;
  r = Wsr({"export", t.File("b.cassette"), "--format", "jsonl", "-o", t.File("b.jsonl")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(ReadFile(t.File("b.jsonl")), first);

  // The rows themselves came back, not only their text.
  auto b = Cassette::Open(t.File("b.cassette"), Cassette::Mode::kReadOnly);
  auto conns = b->Connections(b->ResolveSession(std::nullopt).id);
  ASSERT_EQ(conns.size(), 4u);
  EXPECT_EQ(conns[0].request_head, kV3RequestHead);
  EXPECT_EQ(conns[0].response_head, kV3ResponseHead);
  EXPECT_EQ(conns[0].extensions, "permessage-deflate");
  EXPECT_EQ(conns[1].response_body, "forbidden");
  EXPECT_EQ(conns[2].response_body, std::string("\xff\xfe\x00 bad", 7));
  auto frames = AllFrames(t.File("b.cassette"));
  ASSERT_EQ(frames.size(), 9u);
  EXPECT_EQ(frames[2].opcode, 9);
  EXPECT_EQ(frames[5].payload, std::string("\x01\xff", 2));
  EXPECT_EQ(frames[4].flags, cassette::kFrameViolation);
  EXPECT_EQ(frames[4].note, "RSV2 set without a negotiated extension");
  EXPECT_EQ(frames[8].opcode, 8);
  EXPECT_EQ(frames[8].payload,
            "\x03\xe8"
            "bye");
}

TEST(ToolsV3Har, ExportCarriesHeadsRefusalBodiesControlFramesAndMarks) {
  TempDir t;
  WriteV3Sample(t.File("a.cassette"));
  auto r = Wsr({"export", t.File("a.cassette"), "--format", "har", "-o", t.File("a.har")});
  ASSERT_EQ(r.status, 0) << r.err;
  json entries = json::parse(ReadFile(t.File("a.har"))).at("log").at("entries");
  ASSERT_EQ(entries.size(), 4u);

  // Every header of the recorded heads, in order, case kept (not the short header lists).
  const json& req = entries[0]["request"]["headers"];
  ASSERT_EQ(req.size(), 7u) << req.dump();
  EXPECT_EQ(req[0], json({{"name", "Host"}, {"value", "upstream.test"}}));
  EXPECT_EQ(req[5]["name"], "Sec-WebSocket-Extensions");
  EXPECT_EQ(req[5]["value"], "permessage-deflate; client_max_window_bits");
  EXPECT_EQ(req[6], json({{"name", "x-Trace-ID"}, {"value", "abc"}}));
  const json& resp = entries[0]["response"]["headers"];
  ASSERT_EQ(resp.size(), 4u) << resp.dump();
  EXPECT_EQ(resp[2]["name"], "Sec-WebSocket-Accept");
  EXPECT_EQ(entries[0]["response"]["statusText"], "Switching Protocols");

  // Refusals: status, reason, body as content (text, or base64 when not UTF-8).
  const json& r403 = entries[1]["response"];
  EXPECT_EQ(r403["status"], 403);
  EXPECT_EQ(r403["statusText"], "Forbidden");
  EXPECT_EQ(r403["content"]["text"], "forbidden");
  EXPECT_EQ(r403["content"]["size"], 9);
  EXPECT_EQ(r403["content"]["mimeType"], "text/plain");
  EXPECT_FALSE(r403["content"].contains("encoding"));
  EXPECT_EQ(r403["bodySize"], 9);
  const json& r400 = entries[2]["response"];
  EXPECT_EQ(r400["content"]["encoding"], "base64");
  EXPECT_EQ(r400["content"]["text"], tools::Base64Encode(std::string("\xff\xfe\x00 bad", 7)));
  EXPECT_EQ(r400["content"]["size"], 7);
  EXPECT_EQ(entries[3]["response"]["status"], 0);
  EXPECT_EQ(entries[3]["response"]["_error"], "upstream unreachable: connection refused");

  // Control frames among the messages, with their opcodes; marks in _wsreplay.
  const json& m = entries[0]["_webSocketMessages"];
  ASSERT_EQ(m.size(), 9u) << m.dump(1);
  EXPECT_EQ(m[0]["_wsreplay"], json({{"compressed", true}}));
  EXPECT_EQ(m[2]["opcode"], 9);
  EXPECT_EQ(m[2]["type"], "send");
  EXPECT_EQ(m[2]["data"], "hb-1");
  EXPECT_FALSE(m[2].contains("_wsreplay"));
  EXPECT_EQ(m[3]["opcode"], 10);
  EXPECT_EQ(m[3]["type"], "receive");
  EXPECT_EQ(m[4]["_wsreplay"],
            json({{"violation", true}, {"note", "RSV2 set without a negotiated extension"}}));
  EXPECT_EQ(m[5]["opcode"], 9);
  EXPECT_EQ(m[5]["data"], "Af8=");
  EXPECT_EQ(m[5]["_wsreplay"]["encoding"], "base64");
  EXPECT_EQ(m[7]["opcode"], 8);
  EXPECT_EQ(m[7]["data"], "03e8627965");  // 1000 "bye"
  EXPECT_EQ(m[8]["opcode"], 8);
  EXPECT_EQ(entries[0]["_webSocketClose"]["reason"], "bye");
}

TEST(ToolsV3Har, ExportImportExportGivesTheSameEntries) {
  TempDir t;
  WriteV3Sample(t.File("a.cassette"));
  auto r = Wsr({"export", t.File("a.cassette"), "--format", "har", "-o", t.File("a.har")});
  ASSERT_EQ(r.status, 0) << r.err;
  r = Wsr({"import", t.File("a.har"), "--cassette", t.File("b.cassette")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(Has(r.out + r.err, "skipped")) << r.out << r.err;
  r = Wsr({"export", t.File("b.cassette"), "--format", "har", "-o", t.File("b.har")});
  ASSERT_EQ(r.status, 0) << r.err;
  json a = json::parse(ReadFile(t.File("a.har")))["log"]["entries"];
  json b = json::parse(ReadFile(t.File("b.har")))["log"]["entries"];
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << "entry " << i;

  // The imported cassette holds the control frames, flags and refusal bodies as rows.
  auto frames = AllFrames(t.File("b.cassette"));
  ASSERT_EQ(frames.size(), 9u);
  EXPECT_EQ(frames[0].flags, cassette::kFrameCompressed);
  EXPECT_EQ(frames[3].opcode, 10);
  EXPECT_EQ(frames[4].flags, cassette::kFrameViolation);
  EXPECT_EQ(frames[5].payload, std::string("\x01\xff", 2));
  EXPECT_EQ(frames[7].payload,
            "\x03\xe8"
            "bye");
  auto c = Cassette::Open(t.File("b.cassette"), Cassette::Mode::kReadOnly);
  auto conns = c->Connections(c->ResolveSession(std::nullopt).id);
  ASSERT_EQ(conns.size(), 4u);
  EXPECT_EQ(conns[0].extensions, "permessage-deflate");
  EXPECT_EQ(conns[1].http_status, 403);
  EXPECT_EQ(conns[1].response_body, "forbidden");
  EXPECT_EQ(conns[2].response_body, std::string("\xff\xfe\x00 bad", 7));
  EXPECT_FALSE(conns[3].http_status.has_value());
  // Typed reads still see only the data frames.
  EXPECT_EQ(ReadFrames(t.File("b.cassette")).size(), 4u);
}

TEST(ToolsV3Har, CloseCodeComesFromACloseMessageWhenTheHarHasNoCloseField) {
  TempDir t;
  WriteFile(t.File("x.har"), R"({"log": {"version": "1.2", "entries": [{
    "startedDateTime": "2025-11-28T10:00:01.000Z", "time": 2000, "_resourceType": "websocket",
    "request": {"method": "GET", "url": "wss://h.test/s", "headers": []},
    "response": {"status": 101, "headers": []},
    "_webSocketMessages": [
      {"type": "send", "time": 1764324001.5, "opcode": 9, "data": "p"},
      {"type": "receive", "time": 1764324001.6, "opcode": 8, "data": "03e9676f6e65"},
      {"type": "send", "time": 1764324001.7, "opcode": 7, "data": "AA=="},
      {"type": "send", "time": 1764324001.8, "opcode": 7, "data": "AA==", "_wsreplay": {"violation": true}}
    ]}]}})");
  auto r = Wsr({"import", t.File("x.har"), "--cassette", t.File("x.cassette")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(Has(r.out + r.err, "skipped 1 malformed")) << r.out << r.err;
  auto c = Cassette::Open(t.File("x.cassette"), Cassette::Mode::kReadOnly);
  auto conns = c->Connections(c->ResolveSession(std::nullopt).id);
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].close_code, 1001);
  EXPECT_EQ(conns[0].close_reason, "gone");
  EXPECT_EQ(conns[0].close_initiator, "upstream");
  auto frames = AllFrames(t.File("x.cassette"));
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[2].opcode, 7);  // an unknown opcode is kept only with the violation mark
  EXPECT_EQ(frames[2].flags, cassette::kFrameViolation);

  WriteFile(t.File("bad.har"), R"({"log": {"entries": [{"request": {"url": "wss://h.test/s"},
    "_webSocketMessages": [{"type": "send", "time": 1764324001.5, "opcode": 8, "data": "zz"}]}]}})");
  r = Wsr({"import", t.File("bad.har"), "--cassette", t.File("bad.cassette")});
  ExpectOneLineError(r, "not hex");
}

TEST(ToolsV3Stats, CountsControlFramesCompressionAndViolationsApart) {
  TempDir t;
  WriteV3Sample(t.File("a.cassette"));
  auto r = Wsr({"stats", t.File("a.cassette")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "4 connection(s), 4 frames (1 c2s, 3 s2c)")) << r.out;
  EXPECT_TRUE(Has(r.out,
                  "control frames: 2 pings (1 c2s, 1 s2c), 1 pongs (0 c2s, 1 s2c), "
                  "2 closes (1 c2s, 1 s2c)"))
      << r.out;
  EXPECT_TRUE(Has(r.out, "compressed frames: 3; RFC 6455 violations: 1")) << r.out;
  EXPECT_TRUE(Has(r.out, "  1 x RSV2 set without a negotiated extension")) << r.out;
  // Gaps are between data frames only: 3 of them.
  EXPECT_TRUE(Has(r.out, "gaps between frames (3)")) << r.out;
}

TEST(ToolsV3Ls, CountsRefusedConnectionsAndControlFramesApart) {
  TempDir t;
  WriteV3Sample(t.File("a.cassette"));
  auto r = Wsr({"ls", t.File("a.cassette")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(Has(r.out,
                  "  4 connection(s) (3 refused/failed), 4 frames (1 c2s, 3 s2c), "
                  "5 control frames (close/ping/pong)\n"))
      << r.out;
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(r.out.back(), '\n');
  bool row1 = false;
  for (const auto& l : Lines(r.out)) {
    std::istringstream words(l);
    std::vector<std::string> w{std::istream_iterator<std::string>(words), {}};
    if (w.size() < 7 || w[0] != "1") continue;
    row1 = true;  // # PATH QUERY STATUS SUBPROTOCOL C2S S2C: control frames not in C2S/S2C
    EXPECT_EQ(w[5], "1") << l;
    EXPECT_EQ(w[6], "3") << l;
  }
  EXPECT_TRUE(row1) << r.out;
  for (const char* want : {"403", "400", "unreachable", "1000 by client \"bye\""}) {
    EXPECT_TRUE(Has(r.out, want)) << want << "\n" << r.out;
  }
}

}  // namespace
}  // namespace wsr::tools_test
