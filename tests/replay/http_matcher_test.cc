// HttpMatcher and HttpReply: every matching rule, the n-th occurrence, redacted values,
// volatile fields, each body mode, the nearest-candidate explanation, and the recorded
// response as it is sent again. No sockets.
#include "replay/http_matcher.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "replay/http_reply.h"

namespace wsr::replay {
namespace {

using cassette::Exchange;

Exchange Ex(int ordinal, std::string method, std::string path, std::string query = "",
            std::string body = "", int status = 200, std::string response = "{}") {
  Exchange e;
  e.ordinal = ordinal;
  e.method = std::move(method);
  e.path = std::move(path);
  e.query = std::move(query);
  e.request_body = std::move(body);
  e.status = status;
  e.response_body = std::move(response);
  e.response_headers = {{"Content-Type", "application/json"}};
  return e;
}

HttpRequest Req(std::string method, std::string target, std::string body = "") {
  return HttpRequest{std::move(method), std::move(target), {}, std::move(body)};
}

TEST(HttpMatcher, MethodPathAndQueryMustMatch) {
  HttpMatcher m({Ex(1, "GET", "/api/v1/agent/me"), Ex(2, "GET", "/api/v1/agent/chats", "page=1")},
                BodyMatch::kJson);
  EXPECT_EQ(m.Match(Req("GET", "/api/v1/agent/chats?page=1")).index, 1);
  EXPECT_EQ(m.Match(Req("GET", "/api/v1/agent/me")).index, 0);
}

TEST(HttpMatcher, WrongMethodIsAMismatchNamingIt) {
  HttpMatcher m({Ex(1, "GET", "/api/v1/agent/chats")}, BodyMatch::kJson);
  HttpMatch r = m.Match(Req("POST", "/api/v1/agent/chats", "{}"));
  EXPECT_FALSE(r.matched());
  EXPECT_EQ(r.request, "POST /api/v1/agent/chats");
  EXPECT_EQ(r.nearest, "#1 GET /api/v1/agent/chats");
  EXPECT_EQ(r.difference, "method differs: recorded GET, got POST");
  EXPECT_EQ(r.explanation,
            "POST /api/v1/agent/chats: not in cassette; nearest recorded request "
            "#1 GET /api/v1/agent/chats: method differs: recorded GET, got POST");
  EXPECT_FALSE(m.used(0));
}

TEST(HttpMatcher, WrongPathNamesTheClosestPath) {
  HttpMatcher m({Ex(1, "GET", "/api/v1/agent/peers"), Ex(2, "GET", "/api/v1/agent/chats/c1")},
                BodyMatch::kJson);
  HttpMatch r = m.Match(Req("GET", "/api/v1/agent/chats/c2"));
  EXPECT_FALSE(r.matched());
  EXPECT_EQ(r.nearest, "#2 GET /api/v1/agent/chats/c1");
  EXPECT_EQ(r.difference,
            "path differs: recorded /api/v1/agent/chats/c1, got /api/v1/agent/chats/c2");
}

TEST(HttpMatcher, QueryIsASetOfParameters) {
  HttpMatcher m({Ex(1, "GET", "/chats", "page=2&page_size=100")}, BodyMatch::kJson);
  EXPECT_EQ(m.Match(Req("GET", "/chats?page_size=100&page=2")).index, 0);
}

TEST(HttpMatcher, QueryIsPercentDecodedBeforeComparing) {
  HttpMatcher m({Ex(1, "GET", "/peers", "not_in_chat=a%2Db")}, BodyMatch::kJson);
  EXPECT_EQ(m.Match(Req("GET", "/peers?not_in_chat=a-b")).index, 0);
}

TEST(HttpMatcher, QueryDifferencesAreNamed) {
  HttpMatcher m({Ex(1, "GET", "/chats", "page=2&page_size=100")}, BodyMatch::kJson);
  EXPECT_EQ(m.Match(Req("GET", "/chats?page=3&page_size=100")).difference,
            "query parameter page: recorded 2, got 3");
  EXPECT_EQ(m.Match(Req("GET", "/chats?page=2")).difference,
            "query parameter page_size: recorded 100, missing");
  EXPECT_EQ(m.Match(Req("GET", "/chats?page=2&page_size=100&status=all")).difference,
            "query parameter status: not recorded, got all");
}

TEST(HttpMatcher, RedactedQueryValueMatchesAnyValueButMustBePresent) {
  HttpMatcher m({Ex(1, "GET", "/me", "api_key=redacted:api_key:0123abcd"),
                 Ex(2, "GET", "/me", "api_key=redacted:api_key:0123abcd")},
                BodyMatch::kJson);
  EXPECT_EQ(m.Match(Req("GET", "/me?api_key=live-secret")).index, 0);
  HttpMatch r = m.Match(Req("GET", "/me"));
  EXPECT_FALSE(r.matched());
  EXPECT_EQ(r.difference, "query parameter api_key: recorded redacted:api_key:0123abcd, missing");
}

TEST(HttpMatcher, NthLiveRequestGetsNthRecordedOne) {
  HttpMatcher m({Ex(1, "GET", "/next", "", "", 200, "first"), Ex(2, "GET", "/other"),
                 Ex(3, "GET", "/next", "", "", 204, "")},
                BodyMatch::kJson);
  HttpMatch a = m.Match(Req("GET", "/next"));
  HttpMatch b = m.Match(Req("GET", "/next"));
  ASSERT_TRUE(a.matched());
  ASSERT_TRUE(b.matched());
  EXPECT_EQ(m.recorded()[a.index].response_body, "first");
  EXPECT_EQ(m.recorded()[b.index].status, 204);
  EXPECT_EQ(m.unused_count(), 1u);
}

TEST(HttpMatcher, RequestsBeyondTheRecordedOnesAreMismatchesEvenForGets) {
  HttpMatcher m({Ex(1, "GET", "/me"), Ex(2, "GET", "/me")}, BodyMatch::kJson);
  EXPECT_TRUE(m.Match(Req("GET", "/me")).matched());
  EXPECT_TRUE(m.Match(Req("GET", "/me")).matched());
  HttpMatch r = m.Match(Req("GET", "/me"));
  EXPECT_FALSE(r.matched());
  EXPECT_EQ(r.nearest, "#1 GET /me");
  EXPECT_EQ(r.difference, "all 2 recorded GET /me were already answered (this is the 3rd)");
}

TEST(HttpMatcher, JsonBodiesCompareAsJsonWhateverTheKeyOrder) {
  HttpMatcher m({Ex(1, "POST", "/chats", "", R"({"chat":{"task_id":"t","x":1}})")},
                BodyMatch::kJson);
  EXPECT_EQ(m.Match(Req("POST", "/chats", R"({ "chat": {"x":1, "task_id":"t"} })")).index, 0);
}

TEST(HttpMatcher, JsonBodyDifferenceNamesThePointer) {
  HttpMatcher m(
      {Ex(1, "POST", "/p", "", R"({"participant":{"participant_id":"a","role":"member"}})")},
      BodyMatch::kJson);
  HttpMatch r =
      m.Match(Req("POST", "/p", R"({"participant":{"participant_id":"a","role":"admin"}})"));
  EXPECT_FALSE(r.matched());
  EXPECT_EQ(r.difference, "body differs: /participant/role: recorded \"member\", got \"admin\"");
}

TEST(HttpMatcher, VolatileFieldsOfTheSpecAreIgnored) {
  std::string recorded =
      R"({"message":{"content":"Hello from the LLM","mentions":[{"id":"u1"}],"metadata":{"a":1}}})";
  std::string live =
      R"({"message":{"content":"Something else entirely","mentions":[{"id":"u1"}],"metadata":{"b":2}}})";
  HttpMatcher m(
      {Ex(1, "POST", "/chats/c1/messages", "", recorded),
       Ex(2, "POST", "/chats/c1/events", "",
          R"({"event":{"content":"x","message_type":"thought","metadata":{"id":"chatcmpl-1"}}})"),
       Ex(3, "POST", "/chats/c1/messages/m1/failed", "", R"({"error":"timeout"})")},
      BodyMatch::kJson);
  EXPECT_EQ(m.Match(Req("POST", "/chats/c1/messages", live)).index, 0);
  EXPECT_EQ(m.Match(Req("POST", "/chats/c1/events",
                        R"({"event":{"content":"y","message_type":"thought","metadata":{}}})"))
                .index,
            1);
  EXPECT_EQ(m.Match(Req("POST", "/chats/c1/messages/m1/failed", R"({"error":"boom"})")).index, 2);
}

TEST(HttpMatcher, NonVolatileFieldsStillCount) {
  HttpMatcher m(
      {Ex(1, "POST", "/m", "", R"({"message":{"content":"a","mentions":[{"id":"u1"}]}})")},
      BodyMatch::kJson);
  HttpMatch r =
      m.Match(Req("POST", "/m", R"({"message":{"content":"b","mentions":[{"id":"u2"}]}})"));
  EXPECT_FALSE(r.matched());
  EXPECT_EQ(r.difference, "body differs: /message/mentions/0/id: recorded \"u1\", got \"u2\"");
}

TEST(HttpMatcher, ExtraIgnoredPointersApply) {
  HttpMatcher m({Ex(1, "POST", "/x", "", R"({"a":1,"nonce":"n1"})")}, BodyMatch::kJson, {"/nonce"});
  EXPECT_EQ(m.Match(Req("POST", "/x", R"({"a":1,"nonce":"n2"})")).index, 0);
}

TEST(HttpMatcher, RedactedJsonValueMatchesAnyValue) {
  HttpMatcher m({Ex(1, "POST", "/register", "",
                    R"({"agent":{"name":"a","secret":"redacted:json:0123abcd"}})")},
                BodyMatch::kJson);
  EXPECT_EQ(m.Match(Req("POST", "/register", R"({"agent":{"name":"a","secret":"s3cr3t"}})")).index,
            0);
}

TEST(HttpMatcher, NonJsonBodiesAreComparedAsBytesInJsonMode) {
  HttpMatcher m({Ex(1, "POST", "/form", "", "a=1&b=2")}, BodyMatch::kJson);
  HttpMatch r = m.Match(Req("POST", "/form", "b=2&a=1"));
  EXPECT_FALSE(r.matched());
  EXPECT_EQ(r.difference, "body differs: bytes differ at offset 0 (recorded 7 bytes, got 7)");
  EXPECT_EQ(m.Match(Req("POST", "/form", "a=1&b=2")).index, 0);
}

TEST(HttpMatcher, ExactModeComparesBytes) {
  HttpMatcher m({Ex(1, "POST", "/c", "", R"({"a":1,"b":2})")}, BodyMatch::kExact);
  HttpMatch r = m.Match(Req("POST", "/c", R"({"b":2,"a":1})"));
  EXPECT_FALSE(r.matched());
  EXPECT_EQ(r.difference, "body differs: bytes differ at offset 2 (recorded 13 bytes, got 13)");
  EXPECT_EQ(m.Match(Req("POST", "/c", R"({"a":1,"b":2})")).index, 0);
}

TEST(HttpMatcher, ExactModeDoesNotIgnoreVolatileFields) {
  HttpMatcher m({Ex(1, "POST", "/m", "", R"({"message":{"content":"a"}})")}, BodyMatch::kExact);
  EXPECT_FALSE(m.Match(Req("POST", "/m", R"({"message":{"content":"b"}})")).matched());
}

TEST(HttpMatcher, NoneModeIgnoresTheBody) {
  HttpMatcher m({Ex(1, "POST", "/c", "", R"({"a":1})")}, BodyMatch::kNone);
  EXPECT_EQ(m.Match(Req("POST", "/c", "anything at all")).index, 0);
}

TEST(HttpMatcher, NearestPrefersTheRequestAgreeingOnMost) {
  HttpMatcher m({Ex(1, "GET", "/chats/c1/messages"),
                 Ex(2, "POST", "/chats/c1/messages", "", R"({"message":{"mentions":[]}})"),
                 Ex(3, "POST", "/chats/c1/other", "", R"({"x":1})")},
                BodyMatch::kJson);
  HttpMatch r =
      m.Match(Req("POST", "/chats/c1/messages", R"({"message":{"mentions":[{"id":"u"}]}})"));
  EXPECT_FALSE(r.matched());
  EXPECT_EQ(r.nearest, "#2 POST /chats/c1/messages");
  EXPECT_EQ(r.difference, "body differs: /message/mentions/-: not recorded, got {\"id\":\"u\"}");
}

TEST(HttpMatcher, NearestPrefersAnUnusedCandidate) {
  HttpMatcher m({Ex(1, "GET", "/c", "page=1"), Ex(2, "GET", "/c", "page=2")}, BodyMatch::kJson);
  ASSERT_TRUE(m.Match(Req("GET", "/c?page=1")).matched());
  HttpMatch r = m.Match(Req("GET", "/c?page=3"));
  EXPECT_EQ(r.nearest, "#2 GET /c?page=2");
  EXPECT_EQ(r.difference, "query parameter page: recorded 2, got 3");
}

TEST(HttpMatcher, EmptySessionExplainsItself) {
  HttpMatcher m({}, BodyMatch::kJson);
  HttpMatch r = m.Match(Req("GET", "/api/v1/agent/me"));
  EXPECT_FALSE(r.matched());
  EXPECT_EQ(r.nearest, "");
  EXPECT_EQ(r.explanation,
            "GET /api/v1/agent/me: not in cassette: the session has no recorded HTTP requests");
}

TEST(HttpMatcher, ParseBodyMatch) {
  EXPECT_EQ(ParseBodyMatch("json"), BodyMatch::kJson);
  EXPECT_EQ(ParseBodyMatch("exact"), BodyMatch::kExact);
  EXPECT_EQ(ParseBodyMatch("none"), BodyMatch::kNone);
  try {
    ParseBodyMatch("yes");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "bad --match-body 'yes': use json, exact or none");
  }
}

TEST(HttpReply, RecordedResponseWithFreshFraming) {
  Exchange e = Ex(1, "GET", "/me", "", "", 401, R"({"error":"unauthorized"})");
  e.response_headers = {{"Content-Type", "application/json"},
                        {"Transfer-Encoding", "chunked"},
                        {"Connection", "keep-alive"},
                        {"Content-Length", "999"},
                        {"X-Request-ID", "r1"}};
  HttpReply a = RecordedAnswer(e);
  EXPECT_EQ(a.status, 401);
  EXPECT_EQ(a.body, R"({"error":"unauthorized"})");
  cassette::Headers want = {{"Content-Type", "application/json"},
                            {"X-Request-ID", "r1"},
                            {"Content-Length", std::to_string(a.body.size())}};
  EXPECT_EQ(a.headers, want);
}

TEST(HttpReply, DecodedBodyDropsContentEncoding) {
  Exchange e = Ex(1, "GET", "/me", "", "", 200, "plain");
  e.flags = cassette::kResponseBodyDecoded;
  e.response_headers = {{"content-encoding", "gzip"}};
  HttpReply a = RecordedAnswer(e);
  cassette::Headers want = {{"Content-Length", "5"}};
  EXPECT_EQ(a.headers, want);
}

TEST(HttpReply, NoContentHasNoBodyNorLength) {
  Exchange e = Ex(1, "GET", "/next", "", "", 204, "");
  e.response_headers = {{"Content-Length", "0"}};
  HttpReply a = RecordedAnswer(e);
  EXPECT_EQ(a.status, 204);
  EXPECT_TRUE(a.headers.empty());
  EXPECT_TRUE(a.body.empty());
}

TEST(HttpReply, NoRecordedStatusIsA502) {
  Exchange e = Ex(1, "GET", "/x");
  e.status.reset();
  EXPECT_EQ(RecordedAnswer(e).status, 502);
}

TEST(HttpReply, MismatchIs501WithJsonExplanation) {
  HttpMatcher m({Ex(1, "GET", "/me")}, BodyMatch::kJson);
  HttpReply a = MismatchAnswer(m.Match(Req("GET", "/peers")));
  EXPECT_EQ(a.status, 501);
  auto j = nlohmann::json::parse(a.body);
  EXPECT_EQ(j["error"], "not_in_cassette");
  EXPECT_EQ(j["request"], "GET /peers");
  EXPECT_EQ(j["nearest"], "#1 GET /me");
  EXPECT_EQ(j["difference"], "path differs: recorded /me, got /peers");
  EXPECT_EQ(a.headers.back(),
            (std::pair<std::string, std::string>{"Content-Length", std::to_string(a.body.size())}));
}

}  // namespace
}  // namespace wsr::replay
