// export/import and show --json on HTTP exchanges: JSON Lines carries them losslessly (bodies
// that are not UTF-8 included) and import redacts them as record does.
#include <nlohmann/json.hpp>

#include "recorder/redactor.h"
#include "tests/tools/tools_exchange_fixture.h"
#include "tools/text_util.h"

namespace wsr::tools_test {
namespace {
using nlohmann::json;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

TEST(ToolsExchangesJsonl, RoundTripKeepsEveryFieldAndByte) {
  TempDir t;
  WriteSample(t.File("a.cassette"));
  auto sample = SampleExchanges();
  AddExchanges(t.File("a.cassette"), "rec-1", sample);
  auto r = Wsr({"export", t.File("a.cassette"), "--format", "jsonl", "-o", t.File("a.jsonl")});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string first = ReadFile(t.File("a.jsonl"));
  std::vector<json> exchanges;
  for (const auto& l : Lines(first)) {
    auto j = json::parse(l);
    if (j["type"] == "exchange") exchanges.push_back(j);
  }
  ASSERT_EQ(exchanges.size(), 4u) << first;
  EXPECT_EQ(exchanges[1]["method"], "POST");
  EXPECT_EQ(exchanges[1]["request_body"], sample[1].request_body);
  EXPECT_FALSE(exchanges[1].contains("request_body_encoding"));
  EXPECT_EQ(exchanges[2]["response_body_encoding"], "base64");  // not valid UTF-8
  EXPECT_EQ(exchanges[3]["status"], nullptr);
  EXPECT_EQ(exchanges[3]["response_ns"], nullptr);

  r = Wsr({"import", t.File("a.jsonl"), "--cassette", t.File("b.cassette")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("4 HTTP exchange(s)"), std::string::npos) << r.out;
  auto got = ReadExchanges(t.File("b.cassette"));
  ASSERT_EQ(got.size(), sample.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ExpectSameExchange(sample[i], got[i]);
    EXPECT_EQ(got[i].ordinal, static_cast<int>(i) + 1);
  }
  r = Wsr({"export", t.File("b.cassette"), "--format", "jsonl"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, first);

  // Into an existing cassette (copied in from the scratch file) under another name.
  r = Wsr({"import", t.File("a.jsonl"), "--cassette", t.File("b.cassette"), "--session", "two"});
  ASSERT_EQ(r.status, 0) << r.err;
  got = ReadExchanges(t.File("b.cassette"), "two");
  ASSERT_EQ(got.size(), sample.size());
  for (size_t i = 0; i < got.size(); ++i) ExpectSameExchange(sample[i], got[i]);

  // show --json lists them between the frames, in time order.
  r = Wsr({"show", t.File("a.cassette"), "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<std::string> order;
  for (const auto& l : Lines(r.out)) {
    auto j = json::parse(l);
    order.push_back(j.contains("type") && j["type"] == "exchange"
                        ? j["method"].get<std::string>() + " " + j["path"].get<std::string>()
                        : "frame");
  }
  // frames at 100, 120, 200, 220 ms, the GET at 500 ms, the push at 1 s, the POST at 1.5 s
  ASSERT_GE(order.size(), 7u);
  EXPECT_EQ(order[4], "GET /api/v1/agent/me");
  EXPECT_EQ(order[5], "frame");
  EXPECT_EQ(order[6], "POST /api/v1/agent/chats/r1/messages");
  EXPECT_EQ(std::count(order.begin(), order.end(), "frame"), 10);
}

TEST(ToolsExchangesJsonl, ImportRedactsAndRefusesBadLines) {
  TempDir t;
  const std::string head =
      R"({"type":"header","format":"wsreplay-jsonl","version":3})"
      "\n"
      R"({"type":"session","name":"s","started_at_ns":0,"duration_ns":null,"upstream":"","source":"record","tool_version":""})"
      "\n";
  WriteFile(
      t.File("x.jsonl"),
      head +
          R"({"type":"exchange","session":"s","ordinal":1,"http_connection":1,"method":"POST","path":"/api/v1/agent/register","query":"api_key=QSECRET","request_headers":[["X-API-Key","HSECRET"]],"request_body":"{}","status":201,"response_headers":[],"response_body":"{\"data\":{\"api_key\":\"KSECRET\"}}","initiator":"upstream","error":"","request_ns":5,"response_ns":9,"flags":0})"
          "\n");
  auto r = Wsr({"import", t.File("x.jsonl"), "--cassette", t.File("x.cassette")});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string bytes = AllCassetteBytes(t.File("x.cassette"));
  for (const char* s : {"QSECRET", "HSECRET", "KSECRET"}) {
    EXPECT_EQ(bytes.find(s), std::string::npos) << s << " reached the cassette";
  }
  auto got = ReadExchanges(t.File("x.cassette"));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].request_headers[0].second, Redactor::Placeholder("x-api-key", "HSECRET"));
  EXPECT_EQ(got[0].response_body,
            R"({"data":{"api_key":")" + Redactor::Placeholder("api_key", "KSECRET") + R"("}})");

  WriteFile(
      t.File("y.jsonl"),
      head +
          R"({"type":"exchange","session":"s","ordinal":1,"method":"GET","path":"/","request_body":"%%%","request_body_encoding":"base64","request_ns":0})"
          "\n");
  r = Wsr({"import", t.File("y.jsonl"), "--cassette", t.File("y.cassette")});
  ExpectOneLineError(r, "line 3: field 'request_body' is not valid base64");
  WriteFile(t.File("z.jsonl"),
            head + R"({"type":"exchange","session":"s","ordinal":1,"path":"/","request_ns":0})"
                   "\n");
  r = Wsr({"import", t.File("z.jsonl"), "--cassette", t.File("z.cassette")});
  ExpectOneLineError(r, "line 3: missing field 'method'");
  WriteFile(
      t.File("big.jsonl"),
      head +
          R"({"type":"exchange","session":"s","ordinal":1,"method":"GET","path":"/","response_body":"0123456789","request_ns":0})"
          "\n");
  r = Wsr({"import", t.File("big.jsonl"), "--cassette", t.File("big.cassette"),
           "--max-message-size", "8"});
  ExpectOneLineError(r, "line 3: the response body is 10 bytes");
  EXPECT_TRUE(AllCassetteBytes(t.File("big.cassette")).empty());
}

TEST(ToolsExchangesHar, ExportWritesExchangesAsOrdinaryEntriesInStartOrder) {
  TempDir t;
  WriteSample(t.File("a.cassette"));
  AddExchanges(t.File("a.cassette"), "rec-1", SampleExchanges());
  auto r = Wsr({"export", t.File("a.cassette"), "--format", "har", "-o", t.File("a.har")});
  ASSERT_EQ(r.status, 0) << r.err;
  json har = json::parse(ReadFile(t.File("a.har")));
  const json& entries = har.at("log").at("entries");
  ASSERT_EQ(entries.size(), 6u);  // 2 WebSocket connections (0 s, 50 ms), then 4 exchanges
  EXPECT_EQ(entries[0]["_resourceType"], "websocket");
  EXPECT_EQ(entries[1]["_resourceType"], "websocket");
  for (size_t i = 2; i < 6; ++i) {
    const json& e = entries[i];
    EXPECT_EQ(e["_resourceType"], "fetch");
    EXPECT_FALSE(e.contains("_webSocketMessages"));
    ExpectHar12Entry(e);
    // HAR 1.2: time is the sum of the non-negative timings.
    EXPECT_DOUBLE_EQ(e["time"].get<double>(), e["timings"]["send"].get<double>() +
                                                  e["timings"]["wait"].get<double>() +
                                                  e["timings"]["receive"].get<double>());
  }
  const json& post = entries[3];
  EXPECT_EQ(post["startedDateTime"], "2025-11-28T20:00:01.500Z");
  EXPECT_NEAR(post["time"].get<double>(), 12.3, 1e-9);
  EXPECT_EQ(post["request"]["method"], "POST");
  EXPECT_EQ(post["request"]["url"],
            "https://app.thenvoi.com/api/v1/agent/chats/r1/messages?trace=1");
  EXPECT_EQ(post["request"]["queryString"][0]["name"], "trace");
  EXPECT_EQ(post["request"]["postData"]["mimeType"], "application/json");
  EXPECT_EQ(post["request"]["postData"]["text"],
            R"({"message":{"content":"hi @Ann","mentions":[{"id":"u1"}]}})");
  EXPECT_EQ(post["response"]["status"], 201);
  EXPECT_EQ(post["response"]["statusText"], "Created");
  EXPECT_EQ(post["response"]["content"]["text"], R"({"data":{"id":"m9","content":"hi @Ann"}})");
  const json& missing = entries[4];
  EXPECT_EQ(missing["response"]["status"], 404);
  EXPECT_EQ(missing["response"]["content"]["encoding"], "base64");
  EXPECT_EQ(tools::Base64Decode(missing["response"]["content"]["text"].get<std::string>()),
            std::string("\x00\xff\xfe raw", 7));
  const json& gone = entries[5];
  EXPECT_EQ(gone["response"]["status"], 0);
  EXPECT_EQ(gone["response"]["_error"], "the client closed the connection before the response");
}

TEST(ToolsExchangesHar, ExportImportExportKeepsTheExchanges) {
  TempDir t;
  WriteSample(t.File("a.cassette"), "rec-1", /*invalid_utf8=*/false);
  auto sample = SampleExchanges();
  AddExchanges(t.File("a.cassette"), "rec-1", sample);
  auto r = Wsr({"export", t.File("a.cassette"), "--format", "har", "-o", t.File("a.har")});
  ASSERT_EQ(r.status, 0) << r.err;
  r = Wsr({"import", t.File("a.har"), "--cassette", t.File("b.cassette")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("2 connection(s), 9 frame(s), 4 HTTP exchange(s)"), std::string::npos)
      << r.out;
  EXPECT_EQ(r.err.find("skipped"), std::string::npos) << r.err;
  auto got = ReadExchanges(t.File("b.cassette"));
  ASSERT_EQ(got.size(), sample.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ExpectSameExchange(sample[i], got[i]);
    EXPECT_EQ(got[i].ordinal, static_cast<int>(i) + 1);
  }
  r = Wsr({"export", t.File("b.cassette"), "--format", "har", "-o", t.File("b.har")});
  ASSERT_EQ(r.status, 0) << r.err;
  json a = json::parse(ReadFile(t.File("a.har")))["log"]["entries"];
  json b = json::parse(ReadFile(t.File("b.har")))["log"]["entries"];
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 2; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << i;
}

TEST(ToolsExchangesHar, BrowserHarKeepsApiCallsRedactedAndSkipsPageResources) {
  TempDir t;
  WriteFile(
      t.File("b.har"),
      R"({"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},"entries":[
    {"_resourceType":"document","startedDateTime":"2025-11-28T10:00:00.000Z","time":80,
     "request":{"method":"GET","url":"https://app.example.com/","headers":[]},
     "response":{"status":200,"content":{"size":6,"mimeType":"text/html","text":"<html>"}}},
    {"_resourceType":"fetch","connection":"77","startedDateTime":"2025-11-28T10:00:00.250Z","time":20.5,
     "request":{"method":"POST","url":"https://app.thenvoi.com/api/v1/agent/chats/r1/messages?api_key=QSECRET1",
       "headers":[{"name":"X-API-Key","value":"HSECRET2"},{"name":"Content-Type","value":"application/json"}],
       "postData":{"mimeType":"application/json","text":"{\"message\":{\"content\":\"hi\"}}"}},
     "response":{"status":201,"headers":[{"name":"content-type","value":"application/json"},
                                         {"name":"content-encoding","value":"gzip"}],
       "content":{"size":19,"mimeType":"application/json","text":"{\"data\":{\"id\":\"m1\"}}"}}},
    {"_resourceType":"xhr","connection":"78","startedDateTime":"2025-11-28T10:00:00.100Z","time":5,
     "request":{"method":"GET","url":"https://app.thenvoi.com/api/v1/agent/me","headers":[]},
     "response":{"status":200,"content":{"size":3,"mimeType":"application/octet-stream","text":"AP8B","encoding":"base64"}}}
  ]}})");
  auto r = Wsr({"import", t.File("b.har"), "--cassette", t.File("b.cassette")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("skipped 1 non-WebSocket HTTP entry"), std::string::npos) << r.err;
  std::string bytes = AllCassetteBytes(t.File("b.cassette"));
  for (const char* s : {"QSECRET1", "HSECRET2"}) {
    EXPECT_EQ(bytes.find(s), std::string::npos) << s << " reached the cassette";
  }
  auto c = Cassette::Open(t.File("b.cassette"), Cassette::Mode::kReadOnly);
  auto s = c->ResolveSession(std::nullopt);
  EXPECT_EQ(s.started_at_ns, tools::ParseIso8601("2025-11-28T10:00:00.100Z"));
  EXPECT_EQ(s.upstream, "https://app.thenvoi.com");
  auto got = c->Exchanges(s.id);
  ASSERT_EQ(got.size(), 2u);
  // In start order: the GET at 100 ms, then the POST at 250 ms.
  EXPECT_EQ(got[0].method, "GET");
  EXPECT_EQ(got[0].request_ns, 0);
  EXPECT_EQ(got[0].response_body, std::string("\x00\xff\x01", 3));
  EXPECT_EQ(got[0].http_connection, 1);
  const auto& post = got[1];
  EXPECT_EQ(post.ordinal, 2);
  EXPECT_EQ(post.http_connection, 2);
  EXPECT_EQ(post.path, "/api/v1/agent/chats/r1/messages");
  EXPECT_EQ(post.query, "api_key=" + Redactor::Placeholder("api_key", "QSECRET1"));
  EXPECT_EQ(post.request_headers[0].second, Redactor::Placeholder("x-api-key", "HSECRET2"));
  EXPECT_EQ(post.request_body, R"({"message":{"content":"hi"}})");
  EXPECT_EQ(post.status, 201);
  EXPECT_EQ(post.request_ns, 150 * kMs);
  EXPECT_EQ(post.response_ns, 150 * kMs + 20500000);
  EXPECT_EQ(post.response_body, R"({"data":{"id":"m1"}})");
  EXPECT_EQ(post.flags, cassette::kResponseBodyDecoded);  // HAR content is decoded
  EXPECT_EQ(post.initiator, "upstream");
}

}  // namespace
}  // namespace wsr::tools_test
