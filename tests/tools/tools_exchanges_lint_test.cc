// lint on HTTP exchanges: paths and methods against the REST table, the envelope, and the
// message_created push a posted message should cause. Through the real binary.
#include <cstdio>

#include "tests/tools/tools_exchange_fixture.h"
#include "thenvoi/rest_spec.h"
#include "tools/lint_rest.h"

namespace wsr::tools_test {
namespace {
using testing::TempDir;
using tools::LintExchanges;
using tools::LintWebSocketCollector;
using tools::RedactedCredential;
using tools::RestLintResult;

Exchange Call(std::string method, std::string path, int status, std::string body, int64_t at_ns) {
  Exchange e;
  e.method = std::move(method);
  e.path = std::move(path);
  e.status = status;
  e.response_body = std::move(body);
  e.initiator = "upstream";
  e.request_ns = at_ns;
  e.response_ns = at_ns + 10 * kMs;
  return e;
}

bool HasLine(const std::string& out, const std::string& start, const std::string& has) {
  for (const auto& l : Lines(out)) {
    if (l.rfind(start, 0) == 0 && l.find(has) != std::string::npos) return true;
  }
  return false;
}

TEST(ToolsExchangesLint, ChecksPathsEnvelopesAndTheCausedPush) {
  TempDir t;
  // The sample's connection 1 is a user's (no agent_id) and joins chat_room:r1 at 100 ms; a
  // message_created arrives there at 1 s.
  WriteSample(t.File("a.cassette"));
  AddExchanges(
      t.File("a.cassette"), "rec-1",
      {
          Call("GET", "/api/v1/agent/me", 200, R"({"data":{"id":"a1","name":"Bot"}})", 300 * kMs),
          // followed by the push at 1 s: fine
          Call("POST", "/api/v1/agent/chats/r1/messages", 201, R"({"data":{"id":"m1"}})",
               900 * kMs),
          // nothing on chat_room:r1 after 1.5 s: warning
          Call("POST", "/api/v1/agent/chats/r1/messages", 201, R"({"data":{"id":"m2"}})",
               1500 * kMs),
          // nobody recorded joined chat_room:r2: nothing to expect
          Call("POST", "/api/v1/agent/chats/r2/messages", 201, R"({"data":{"id":"m3"}})",
               1600 * kMs),
          Call("GET", "/api/v1/agent/chats", 200, R"({"data":[]})", 1700 * kMs),
          Call("GET", "/api/v1/agent/chats/r1", 200, R"({"id":"r1"})", 1800 * kMs),
          Call("PUT", "/api/v1/agent/chats/r1", 200, R"({"data":{}})", 1900 * kMs),
          Call("GET", "/api/v1/agent/nothing", 404, "", 2000 * kMs),
          Call("GET", "/health", 200, "ok", 2100 * kMs),
          Call("GET", "/api/v1/agent/chats/r1/messages/next", 204, "", 2200 * kMs),
      });
  auto r = Wsr({"lint", t.File("a.cassette")});
  EXPECT_EQ(r.status, 1) << r.out << r.err;  // the missing envelope is an error
  const std::string& o = r.out;
  EXPECT_TRUE(HasLine(o, "warning: http #3 +1.500000s POST /api/v1/agent/chats/r1/messages -> 201",
                      "no message_created push on chat_room:r1 followed"))
      << o;
  EXPECT_FALSE(HasLine(o, "warning: http #2 ", "")) << o;
  EXPECT_FALSE(HasLine(o, "warning: http #4 ", "")) << o;
  EXPECT_TRUE(HasLine(o, "warning: http #5 ", "/metadata: missing")) << o;
  EXPECT_TRUE(
      HasLine(o, "error: http #6 +1.800000s GET /api/v1/agent/chats/r1 -> 200", "/data: missing"))
      << o;
  EXPECT_TRUE(
      HasLine(o, "warning: http #7 ", "PUT is not documented for this path (documented: GET)"))
      << o;
  EXPECT_TRUE(HasLine(o, "warning: http #8 ", "not in the REST spec table")) << o;
  EXPECT_FALSE(HasLine(o, "warning: http #9 ", "")) << o;  // not under /api/v1
  EXPECT_FALSE(HasLine(o, "warning: http #10 ", "")) << o;
  // The frames' own findings (the sample breaks a few rules) plus 1 error and 4 warnings.
  WriteSample(t.File("frames-only.cassette"));
  auto base = Wsr({"lint", t.File("frames-only.cassette")});
  int errors = 0, warnings = 0;
  ASSERT_EQ(std::sscanf(base.out.substr(base.out.rfind("lint: ")).c_str(),
                        "lint: %d error(s), %d warning(s)", &errors, &warnings),
            2)
      << base.out;
  EXPECT_NE(o.find("lint: " + std::to_string(errors + 1) + " error(s), " +
                   std::to_string(warnings + 4) + " warning(s) in "),
            std::string::npos)
      << o;
  EXPECT_NE(o.find(" and 9 HTTP exchanges of session 'rec-1' (1 HTTP exchange(s) outside "
                   "/api/v1 not checked)"),
            std::string::npos)
      << o;
}

// The sans-I/O core: LintWebSocketCollector fed with frames, then LintExchanges.
std::string Phx(const std::string& ref, const std::string& topic, const std::string& event,
                const std::string& payload = "{}") {
  return "[\"" + ref + "\",\"" + ref + "\",\"" + topic + "\",\"" + event + "\"," + payload + "]";
}
std::string Ok(const std::string& ref, const std::string& topic) {
  return Phx(ref, topic, "phx_reply", R"({"status":"ok","response":{}})");
}

Exchange Post(const std::string& path, int64_t at_ns, const std::string& key = "") {
  Exchange e = Call("POST", path, 201, R"({"data":{"id":"m1"}})", at_ns);
  if (!key.empty()) e.request_headers = {{"x-api-key", "redacted:x-api-key:" + key}};
  return e;
}

// LintExchanges on `exchanges` numbered 1, 2, ... as a cassette numbers them.
RestLintResult Lint(std::vector<Exchange> exchanges, const tools::LintWebSocketSide& ws) {
  int ordinal = 0;
  for (auto& e : exchanges) e.ordinal = ++ordinal;
  return LintExchanges(exchanges, ws);
}

std::vector<std::string> Messages(const RestLintResult& r) {
  std::vector<std::string> out;
  for (const auto& f : r.findings) {
    out.push_back(std::string(f.error ? "error" : "warning") + " #" + std::to_string(f.seq) + " " +
                  f.message);
  }
  return out;
}

TEST(RestLint, PostedMessageWantsThePushOnlyOnUserConnectionsJoinedAtTheResponse) {
  LintWebSocketCollector c;
  c.AddConnection(1, "api_key=redacted:api_key:11111111&vsn=2.0.0", std::nullopt);  // user
  c.AddConnection(2, "api_key=redacted:api_key:22222222&vsn=2.0.0", 9 * kSec);      // agent key
  c.AddConnection(3, "api_key=redacted:api_key:33333333&vsn=2.0.0", 2 * kSec);      // closes
  c.AddConnection(4, "api_key=redacted:api_key:44444444&vsn=2.0.0", std::nullopt);  // refused
  c.AddFrame(1, MakeFrame(100 * kMs, kC2S, Phx("1", "chat_room:r1", "phx_join")));
  c.AddFrame(1, MakeFrame(110 * kMs, kS2C, Ok("1", "chat_room:r1")));
  c.AddFrame(2, MakeFrame(100 * kMs, kC2S, Phx("1", "chat_room:r2", "phx_join")));
  c.AddFrame(2, MakeFrame(110 * kMs, kS2C, Ok("1", "chat_room:r2")));
  c.AddFrame(3, MakeFrame(100 * kMs, kC2S, Phx("1", "chat_room:r3", "phx_join")));
  c.AddFrame(3, MakeFrame(110 * kMs, kS2C, Ok("1", "chat_room:r3")));
  c.AddFrame(4, MakeFrame(100 * kMs, kC2S, Phx("1", "chat_room:r4", "phx_join")));
  c.AddFrame(4, MakeFrame(110 * kMs, kS2C,
                          Phx("1", "chat_room:r4", "phx_reply",
                              R"({"status":"error","response":{"reason":"unauthorized"}})")));
  c.AddFrame(4, MakeFrame(120 * kMs, kC2S, Phx("2", "chat_room:r4", "phx_join")));
  c.AddFrame(4,
             MakeFrame(130 * kMs, kS2C, Phx("2", "chat_room:r4", "phx_reply", R"({"status":1})")));
  // Connection 1 gets the push of the first post only, then leaves at 5 s.
  c.AddFrame(1, MakeFrame(1010 * kMs, kS2C, Phx("1", "chat_room:r1", "message_created")));
  c.AddFrame(1, MakeFrame(5 * kSec, kC2S, Phx("9", "chat_room:r1", "phx_leave")));
  auto ws = c.Finish();
  ASSERT_EQ(ws.subscriptions.size(), 3u);  // the refused joins are none
  EXPECT_EQ(ws.subscriptions[0].left_ns, 5 * kSec);
  EXPECT_EQ(ws.subscriptions[2].left_ns, 2 * kSec);  // the connection's close

  auto r = Lint(
      {
          Call("GET", "/api/v1/agent/me", 200, R"({"data":{"id":"a2"}})", 10 * kMs),
          Post("/api/v1/agent/chats/r1/messages", 1 * kSec, "22222222"),  // pushed at 1.01 s
          Post("/api/v1/agent/chats/r1/messages", 3 * kSec, "22222222"),  // no push: warning
          Post("/api/v1/agent/chats/r1/messages", 6 * kSec, "22222222"),  // left at 5 s
          Post("/api/v1/agent/chats/r2/messages", 3 * kSec, "22222222"),  // only its agent
          Post("/api/v1/agent/chats/r3/messages", 3 * kSec, "22222222"),  // closed at 2 s
          Post("/api/v1/agent/chats/r4/messages", 3 * kSec, "22222222"),  // join refused
          Post("/api/v1/agent/chats/r9/messages", 3 * kSec, "22222222"),  // nobody joined
      },
      ws);
  ASSERT_EQ(r.checked, 8u);
  // The GET at 10 ms has no key: connection 2 is an agent's by the 2xx POSTs' key.
  EXPECT_EQ(Messages(r), std::vector<std::string>{
                             "warning #3 answered 201 but no message_created push on chat_room:r1 "
                             "followed, though user connection(s) 1 had joined it (spec section "
                             "6.2)"});
  // Without the key, connection 2 looks like a user's and the post to r2 is warned about.
  auto keyless = Lint({Post("/api/v1/agent/chats/r2/messages", 3 * kSec)}, ws);
  ASSERT_EQ(keyless.findings.size(), 1u);
  EXPECT_NE(keyless.findings[0].message.find("user connection(s) 2 had joined"), std::string::npos);
  // A 4xx post causes nothing.
  Exchange refused = Post("/api/v1/agent/chats/r1/messages", 3 * kSec);
  refused.status = 422;
  EXPECT_TRUE(Lint({refused}, ws).findings.empty());
}

TEST(RestLint, AddedParticipantWantsParticipantAddedOnAnyJoinedConnection) {
  LintWebSocketCollector c;
  c.AddConnection(1, "api_key=redacted:api_key:22222222&agent_id=a1&vsn=2.0.0", std::nullopt);
  c.AddFrame(1, MakeFrame(100 * kMs, kC2S, Phx("1", "room_participants:r1", "phx_join")));
  c.AddFrame(1, MakeFrame(110 * kMs, kS2C, Ok("1", "room_participants:r1")));
  c.AddFrame(1, MakeFrame(1020 * kMs, kS2C, Phx("1", "room_participants:r1", "participant_added")));
  auto ws = c.Finish();
  auto r = Lint(
      {
          Post("/api/v1/agent/chats/r1/participants", 1 * kSec),
          Post("/api/v1/agent/chats/r1/participants/", 2 * kSec),
          // The agent's own message: it never gets message_created for it.
          Post("/api/v1/agent/chats/r1/messages", 3 * kSec),
      },
      ws);
  EXPECT_EQ(Messages(r), std::vector<std::string>{
                             "warning #2 answered 201 but no participant_added push on "
                             "room_participants:r1 followed, though connection(s) 1 had joined it "
                             "(spec section 6.2)"});
}

TEST(RestLint, EnvelopeOfAgentMeIsOpenElsewhereRequired) {
  auto r = Lint(
      {
          Call("GET", "/api/v1/agent/me", 200, R"({"id":"a1","name":"Bot"})", 1 * kMs),
          Call("GET", "/api/v1/me/chats/r1", 200, R"({"id":"r1"})", 2 * kMs),
          Call("GET", "/api/v1/agent/chats/r1/messages", 200, R"({"data":{}})", 3 * kMs),
          Call("GET", "/api/v1/agent/chats/r1/context", 200, R"({"data":[],"meta":{}})", 4 * kMs),
          Call("POST", "/api/v1/agent/chats/r1/messages/m1/processed", 204, "", 5 * kMs),
          Call("GET", "/api/v1/agent/chats/r1", 404, R"({"error":"not_found"})", 6 * kMs),
          Call("GET", "/api/v1/me/chats", 200, "not json", 7 * kMs),
          Call("GET", "/api/v2/agent/whatever", 200, "{}", 8 * kMs),
          Call("DELETE", "/api/v1/agent/memories/x1", 200, R"({"data":null})", 9 * kMs),
      },
      {});
  EXPECT_EQ(r.checked, 8u);
  EXPECT_EQ(r.skipped, 1u);
  EXPECT_EQ(Messages(r),
            (std::vector<std::string>{
                "warning #1 missing: a success body is {\"data\": ...} (spec section 3; a bare "
                "object here is an open question, section 11)",
                "error #2 missing: a success body is {\"data\": ...} (spec section 3)",
                "warning #3 should be an array: this endpoint lists (spec section 3)",
                "warning #3 missing: a list answers with {\"data\": [...], \"metadata\": {page, "
                "page_size, total_count, total_pages}} (spec sections 3 and 5)",
                "error #7 the response body is not JSON (spec section 3: {\"data\": ...})",
            }));
}

TEST(RestLint, TableFollowsTheSpec) {
  using thenvoi::FindRestEndpoint;
  // Literal segments win over {id}, per method.
  ASSERT_NE(FindRestEndpoint("GET", "/agent/chats/r1/messages/next"), nullptr);
  EXPECT_EQ(FindRestEndpoint("GET", "/agent/chats/r1/messages/next")->path,
            "/agent/chats/{id}/messages/next");
  ASSERT_NE(FindRestEndpoint("GET", "/me/contacts/requests"), nullptr);
  EXPECT_EQ(FindRestEndpoint("GET", "/me/contacts/requests")->path, "/me/contacts/requests");
  // ... but a literal of another method does not hide this method's {id}.
  ASSERT_NE(FindRestEndpoint("DELETE", "/me/contacts/requests"), nullptr);
  EXPECT_EQ(FindRestEndpoint("DELETE", "/me/contacts/requests")->path, "/me/contacts/{id}");
  // Both readings of the memory supersede (spec section 11, question 5).
  EXPECT_NE(FindRestEndpoint("DELETE", "/agent/memories/x1"), nullptr);
  EXPECT_NE(FindRestEndpoint("POST", "/agent/memories/x1/supersede"), nullptr);
  EXPECT_EQ(FindRestEndpoint("POST", "/agent/me"), nullptr);
  EXPECT_EQ(thenvoi::RestMethodsOf("/agent/chats"), (std::vector<std::string>{"GET", "POST"}));
  EXPECT_EQ(thenvoi::FirstPathId("/agent/chats/{id}/messages", "/agent/chats/r7/messages/"), "r7");
  EXPECT_EQ(thenvoi::FirstPathId("/agent/chats/{id}/messages", "/agent/chats/r7/events"), "");
  EXPECT_EQ(RedactedCredential("api_key=redacted:api_key:0a1b2c3d&vsn=2.0.0"), "0a1b2c3d");
  EXPECT_EQ(RedactedCredential("Bearer redacted:authorization:99aa00bb"), "99aa00bb");
  EXPECT_EQ(RedactedCredential("vsn=2.0.0"), "");
}

}  // namespace
}  // namespace wsr::tools_test
