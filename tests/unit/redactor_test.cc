#include "recorder/redactor.h"

#include <gtest/gtest.h>

namespace wsr {
namespace {

TEST(Redactor, QuerySecretsBecomeStablePlaceholders) {
  Redactor r;
  std::string a = r.RedactQuery("api_key=sk_live_SECRET1&vsn=2.0.0&agent_id=A");
  EXPECT_EQ(a.find("SECRET1"), std::string::npos);
  EXPECT_NE(a.find("vsn=2.0.0"), std::string::npos);
  EXPECT_NE(a.find("agent_id=A"), std::string::npos);
  EXPECT_EQ(a, r.RedactQuery("api_key=sk_live_SECRET1&vsn=2.0.0&agent_id=A"));
  std::string b = r.RedactQuery("api_key=sk_live_SECRET2&vsn=2.0.0&agent_id=A");
  EXPECT_NE(a, b);
  EXPECT_TRUE(Redactor::IsPlaceholder(a.substr(8, a.find('&') - 8)));
  EXPECT_EQ(r.RedactQuery("token=abc").find("abc"), std::string::npos);
  EXPECT_EQ(r.RedactQuery("vsn=2.0.0"), "vsn=2.0.0");
}

TEST(Redactor, PercentEncodedSecretHashesLikeDecoded) {
  Redactor r;
  EXPECT_EQ(r.RedactQuery("api_key=a%2Fb"), r.RedactQuery("api_key=a/b"));
}

TEST(Redactor, HeadersCaseInsensitiveAndBearerSubprotocol) {
  RedactionRules rules;
  rules.AddHeader("X-Custom-Secret");
  Redactor r(rules);
  cassette::Headers h = {{"Authorization", "Bearer abc"},
                         {"cookie", "sid=xyz"},
                         {"X-Api-Key", "k1"},
                         {"x-custom-secret", "s3"},
                         {"User-Agent", "ua"},
                         {"Sec-WebSocket-Protocol", "phoenix, base64url.bearer.phx.dG9rZW4"}};
  auto out = r.RedactHeaders(h);
  for (const auto& [k, v] : out) {
    EXPECT_EQ(v.find("abc"), std::string::npos);
    EXPECT_EQ(v.find("xyz"), std::string::npos);
    EXPECT_EQ(v.find("k1"), std::string::npos);
    EXPECT_EQ(v.find("s3"), std::string::npos);
    EXPECT_EQ(v.find("dG9rZW4"), std::string::npos);
  }
  EXPECT_EQ(out[4].second, "ua");
  EXPECT_EQ(out[5].second.rfind("phoenix, base64url.bearer.phx.redacted:", 0), 0u);
}

TEST(Redactor, JsonPointerInsidePhoenixPayloadKeepsRefsAndTopic) {
  RedactionRules rules;
  rules.AddJsonPointer("/token");
  rules.AddJsonPointer("/auth/password");
  Redactor r(rules);
  std::string out;
  ASSERT_TRUE(r.RedactFrame(
      R"(["1","1","t:1","phx_join",{"token":"T0P","auth":{"password":"pw"}}])", &out));
  EXPECT_EQ(out.find("T0P"), std::string::npos);
  EXPECT_EQ(out.find("\"pw\""), std::string::npos);
  EXPECT_EQ(out.rfind(R"(["1","1","t:1","phx_join",{)", 0), 0u);
  std::string untouched;
  EXPECT_FALSE(r.RedactFrame(R"(["1","1","t:1","phx_join",{"other":1}])", &untouched));
  EXPECT_TRUE(untouched.empty());
}

TEST(Redactor, JsonRulesReplaceOnlyTheValueBytes) {
  RedactionRules rules;
  rules.AddJsonPointer("/token");
  rules.AddJsonPointer("/auth/password");
  Redactor r(rules);
  std::string out;
  // Spacing, key order, number forms and the other values stay byte for byte.
  std::string in =
      R"(["1","1","t:1","phx_join",{ "n": 1.50, "token" : "T0P", "auth":{"password":[1, 2]} }])";
  ASSERT_TRUE(r.RedactFrame(in, &out));
  EXPECT_EQ(out.find("T0P"), std::string::npos) << out;
  EXPECT_EQ(out.rfind(R"(["1","1","t:1","phx_join",{ "n": 1.50, "token" : ")", 0), 0u) << out;
  EXPECT_NE(out.find(R"(, "auth":{"password":"redacted:password:)"), std::string::npos) << out;
  EXPECT_EQ(out.substr(out.size() - 5), "\"} }]") << out;
  // Redacting again changes nothing (placeholders are kept).
  std::string again;
  EXPECT_FALSE(r.RedactFrame(out, &again));
}

TEST(Redactor, JsonBodyApiKeysAtAnyDepthEvenWithEscapedNames) {
  Redactor r;
  std::string out;
  // A registration response returns the new agent's key.
  ASSERT_TRUE(r.RedactJsonBody(R"({"data":{"id":"a1","api_key":"sk_NEW_SECRET"}})", &out));
  EXPECT_EQ(out.find("sk_NEW_SECRET"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("id":"a1","api_key":"redacted:)"), std::string::npos) << out;
  // The same member with its name spelled with a \u escape.
  std::string escaped;
  ASSERT_TRUE(r.RedactJsonBody(R"([{"api\u005fkey":"sk_ESCAPED"}])", &escaped));
  EXPECT_EQ(escaped.find("sk_ESCAPED"), std::string::npos) << escaped;
  // No secret and no rules: left alone.
  std::string untouched;
  EXPECT_FALSE(r.RedactJsonBody(R"({"data":{"id":"a1","name":"Weather"}})", &untouched));
  EXPECT_TRUE(untouched.empty());
}

TEST(Redactor, BadPointerIsAClearError) {
  RedactionRules rules;
  EXPECT_THROW(rules.AddJsonPointer("token"), std::exception);
}

TEST(Redactor, RedactUrl) {
  Redactor r;
  std::string u = r.RedactUrl("wss://app.thenvoi.com/api/v1/socket/websocket?api_key=K&vsn=2.0.0");
  EXPECT_EQ(u.rfind("wss://app.thenvoi.com/api/v1/socket/websocket?api_key=redacted:api_key:", 0),
            0u);
}

}  // namespace
}  // namespace wsr
