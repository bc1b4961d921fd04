// The editing and counting tools on HTTP exchanges (the REST half of a session): cut, merge,
// redact, sessions rm and stats keep, copy, scrub and count them. Through the real binary.
#include <nlohmann/json.hpp>

#include "common/duration.h"
#include "recorder/redactor.h"
#include "tests/tools/tools_exchange_fixture.h"

namespace wsr::tools_test {
namespace {
using testing::TempDir;

TEST(ToolsExchanges, CutKeepsTheExchangesStartedInTheWindowOnTheSliceClock) {
  TempDir t;
  WriteSample(t.File("a.cassette"));
  auto sample = SampleExchanges();
  AddExchanges(t.File("a.cassette"), "rec-1", sample);
  auto r = Wsr({"cut", t.File("a.cassette"), "--out", t.File("cut.cassette"), "--from", "900ms",
                "--to", "3.2s", "--topic", "chat_room:r1"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("2 HTTP exchange(s)"), std::string::npos) << r.out;
  // The GET at 500 ms is before --from and the POST at 4 s after --to; the 404 started at
  // 3.1 s and keeps its response at 3.4 s (after --to), rebased like everything else.
  auto got = ReadExchanges(t.File("cut.cassette"));
  ASSERT_EQ(got.size(), 2u);
  ExpectSameExchange(sample[1], got[0], 900 * kMs);
  ExpectSameExchange(sample[2], got[1], 900 * kMs);
  EXPECT_EQ(got[0].ordinal, 1);
  EXPECT_EQ(got[1].ordinal, 2);

  // The whole session: every exchange, offsets unchanged.
  r = Wsr({"cut", t.File("a.cassette"), "--out", t.File("all.cassette")});
  ASSERT_EQ(r.status, 0) << r.err;
  got = ReadExchanges(t.File("all.cassette"));
  ASSERT_EQ(got.size(), sample.size());
  for (size_t i = 0; i < got.size(); ++i) ExpectSameExchange(sample[i], got[i]);
}

TEST(ToolsExchanges, MergeCopiesEveryFieldOfEveryExchange) {
  TempDir t;
  WriteSample(t.File("a.cassette"), "alpha");
  WriteSample(t.File("b.cassette"), "beta");
  auto sample = SampleExchanges();
  AddExchanges(t.File("a.cassette"), "alpha", sample);
  AddExchanges(t.File("b.cassette"), "beta", {sample[0]});
  // Into a new file, then into an existing one.
  auto r = Wsr({"merge", t.File("m.cassette"), t.File("a.cassette")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("4 HTTP exchange(s)"), std::string::npos) << r.out;
  r = Wsr({"merge", t.File("m.cassette"), t.File("b.cassette")});
  ASSERT_EQ(r.status, 0) << r.err;
  auto alpha = ReadExchanges(t.File("m.cassette"), "alpha");
  ASSERT_EQ(alpha.size(), sample.size());
  for (size_t i = 0; i < alpha.size(); ++i) {
    ExpectSameExchange(sample[i], alpha[i]);
    EXPECT_EQ(alpha[i].ordinal, static_cast<int>(i) + 1);
  }
  auto beta = ReadExchanges(t.File("m.cassette"), "beta");
  ASSERT_EQ(beta.size(), 1u);
  ExpectSameExchange(sample[0], beta[0]);

  // sessions rm takes the session's exchanges with it.
  r = Wsr({"sessions", t.File("m.cassette"), "rm", "alpha"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto c = Cassette::Open(t.File("m.cassette"), Cassette::Mode::kReadOnly);
  ASSERT_EQ(c->Sessions().size(), 1u);
  EXPECT_EQ(ReadExchanges(t.File("m.cassette")).size(), 1u);
}

TEST(ToolsExchanges, RedactScrubsSecretsFromExchangesAsRecordWould) {
  TempDir t;
  std::string path = t.File("s.cassette");
  WriteSample(path);
  Exchange e;
  e.http_connection = 1;
  e.method = "POST";
  e.path = "/api/v1/agent/register";
  e.query = "api_key=QUERYSECRET1&page=2";
  e.request_headers = {{"X-API-Key", "HEADERSECRET2"},
                       {"Authorization", "Bearer HEADERSECRET3"},
                       {"Cookie", "sid=COOKIESECRET4"},
                       {"X-Custom", "CUSTOMSECRET5"}};
  e.request_body = R"({"agent":{"name":"Bot","password":"JSONSECRET6"}})";
  e.status = 201;
  e.response_headers = {{"Set-Cookie", "sid=COOKIESECRET7; HttpOnly"},
                        {"Location", "/x?api_key=LOCATIONSECRET8"}};
  e.response_body = R"({"data":{"agent":{"id":"a2","api_key":"NEWKEYSECRET9"}}})";
  e.initiator = "upstream";
  e.request_ns = 10 * kMs;
  e.response_ns = 20 * kMs;
  Exchange plain;  // nothing to redact: left byte-identical
  plain.method = "GET";
  plain.path = "/api/v1/agent/peers";
  plain.status = 200;
  plain.response_body = R"({"data": [ {"id": "p1"} ], "metadata": {"page": 1}})";
  plain.request_ns = 30 * kMs;
  plain.response_ns = 31 * kMs;
  AddExchanges(path, "rec-1", {e, plain});
  const std::vector<std::string> secrets = {"QUERYSECRET1",  "HEADERSECRET2",   "HEADERSECRET3",
                                            "COOKIESECRET4", "CUSTOMSECRET5",   "JSONSECRET6",
                                            "COOKIESECRET7", "LOCATIONSECRET8", "NEWKEYSECRET9"};
  std::string before = AllCassetteBytes(path);
  for (const auto& s : secrets) ASSERT_NE(before.find(s), std::string::npos) << s;

  auto r = Wsr({"redact", path, "--header", "X-Custom", "--json", "/agent/password"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("1 HTTP exchange(s)"), std::string::npos) << r.out;
  std::string after = AllCassetteBytes(path);
  ASSERT_FALSE(after.empty());
  for (const auto& s : secrets) EXPECT_EQ(after.find(s), std::string::npos) << s << " survived";

  auto got = ReadExchanges(path);
  ASSERT_EQ(got.size(), 2u);
  const Exchange& x = got[0];
  EXPECT_EQ(x.query, "api_key=" + Redactor::Placeholder("api_key", "QUERYSECRET1") + "&page=2");
  EXPECT_EQ(x.request_headers[0].second, Redactor::Placeholder("x-api-key", "HEADERSECRET2"));
  EXPECT_EQ(x.request_headers[3].second, Redactor::Placeholder("x-custom", "CUSTOMSECRET5"));
  EXPECT_EQ(x.request_body, R"({"agent":{"name":"Bot","password":")" +
                                Redactor::Placeholder("password", "JSONSECRET6") + R"("}})");
  EXPECT_EQ(x.response_body, R"({"data":{"agent":{"id":"a2","api_key":")" +
                                 Redactor::Placeholder("api_key", "NEWKEYSECRET9") + R"("}}})");
  EXPECT_EQ(x.response_headers[1].second,
            "/x?api_key=" + Redactor::Placeholder("api_key", "LOCATIONSECRET8"));
  ExpectSameExchange(plain, got[1]);

  // Again: nothing left to change.
  r = Wsr({"redact", path, "--header", "X-Custom", "--json", "/agent/password"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("0 HTTP exchange(s)"), std::string::npos) << r.out;
}

TEST(ToolsExchanges, StatsCountsStatusClassesAndLatency) {
  TempDir t;
  WriteSample(t.File("a.cassette"));
  AddExchanges(t.File("a.cassette"), "rec-1", SampleExchanges());
  auto r = Wsr({"stats", t.File("a.cassette")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("HTTP exchanges: 4 (2 GET, 2 POST); status 2xx 2 4xx 1 none 1"),
            std::string::npos)
      << r.out;
  // Latencies 12 ms, 12.3 ms, 300 ms (the unanswered POST has none).
  EXPECT_NE(r.out.find("HTTP latency (3 answered): p50 " + FormatDurationNs(12300000) + "  p90 " +
                       FormatDurationNs(300 * kMs)),
            std::string::npos)
      << r.out;

  r = Wsr({"stats", t.File("a.cassette"), "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["frames"], 10);
  const auto& http = j["http"];
  EXPECT_EQ(http["exchanges"], 4);
  EXPECT_EQ(http["methods"]["POST"], 2);
  EXPECT_EQ(http["status_classes"]["2xx"], 2);
  EXPECT_EQ(http["status_classes"]["4xx"], 1);
  EXPECT_EQ(http["status_classes"]["none"], 1);
  EXPECT_EQ(http["latency"]["answered"], 3);
  EXPECT_EQ(http["latency"]["p50_ns"], 12300000);
  EXPECT_EQ(http["latency"]["max_ns"], 300 * kMs);

  // A session without exchanges says nothing about HTTP in text.
  WriteSample(t.File("b.cassette"));
  r = Wsr({"stats", t.File("b.cassette")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.find("HTTP"), std::string::npos) << r.out;
}

TEST(ToolsExchanges, DiffComparesExchangesIgnoringVolatileFields) {
  TempDir t;
  auto a = SampleExchanges();
  // The same session recorded again: other ids and timestamps (in bodies and paths), nothing
  // else different -> equivalent.
  auto b = a;
  b[0].response_body = R"({"data":{"id":"a7","name":"Bot"}})";
  b[1].path = "/api/v1/agent/chats/9b2f6c1e-1c2d-4e5f-8a9b-0c1d2e3f4a5b/messages";
  a[1].path = "/api/v1/agent/chats/3f2c0d7e-5a4b-4c3d-9e8f-7a6b5c4d3e2f/messages";
  b[1].response_body = R"({"data":{"id":"m10","content":"hi @Ann"}})";
  WriteSample(t.File("a.cassette"));
  WriteSample(t.File("b.cassette"));
  AddExchanges(t.File("a.cassette"), "rec-1", a);
  AddExchanges(t.File("b.cassette"), "rec-1", b);
  auto r = Wsr({"diff", t.File("a.cassette"), t.File("b.cassette")});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("equivalent: 8 events and 4 HTTP exchanges compared"), std::string::npos)
      << r.out;

  // C: the POST now fails and says why, and the 404 GET is gone.
  auto c = b;
  c[1].status = 500;
  c[1].response_body = R"({"error":"boom"})";
  c.erase(c.begin() + 2);
  WriteSample(t.File("c.cassette"));
  AddExchanges(t.File("c.cassette"), "rec-1", c);
  r = Wsr({"diff", t.File("a.cassette"), t.File("c.cassette")});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("HTTP: changed: POST /api/v1/agent/chats/{id}/messages (A #2"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("/status: 201 -> 500"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/response/error: added in B"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("HTTP: missing in B: GET /api/v1/agent/chats/nope (A #3"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("2 difference(s); 8 events and 4 HTTP exchanges compared"),
            std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace wsr::tools_test
