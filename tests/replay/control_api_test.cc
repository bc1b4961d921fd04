// control_api.h without sockets: the guards come first, the live page and its stream, the 404s,
// and which state change each control route asks for and how its outcome is answered.
#include "replay/control_api.h"

#include <gtest/gtest.h>

namespace wsr::replay {
namespace {

using nlohmann::json;

ControlSite Site() {
  return {"127.0.0.1", 8765, "demo", [] { return std::string("#1 /socket"); }};
}

ControlHttpRequest Req(std::string method, std::string path,
                       std::optional<std::string> host = "127.0.0.1:8765",
                       std::optional<std::string> origin = std::nullopt) {
  ControlHttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.host = std::move(host);
  r.origin = std::move(origin);
  return r;
}

TEST(ControlApi, ForeignHostAndCrossOriginRequestsAreRefusedBeforeAnyRoute) {
  auto a = RouteControl(Req("POST", "/__wsreplay/pause", "evil.example:8765"), Site());
  EXPECT_EQ(a.status, 421);
  EXPECT_FALSE(a.apply.has_value());
  EXPECT_NE(json::parse(a.body)["error"].get<std::string>().find("evil.example"),
            std::string::npos);
  EXPECT_NE(a.warning.find("refused POST /__wsreplay/pause"), std::string::npos);

  a = RouteControl(Req("POST", "/__wsreplay/step", "127.0.0.1:8765", "http://evil.example"),
                   Site());
  EXPECT_EQ(a.status, 403);
  EXPECT_FALSE(a.apply.has_value());

  // The live page's own origin passes; so does a request without Origin (curl).
  a = RouteControl(Req("POST", "/__wsreplay/step", "127.0.0.1:8765", "http://127.0.0.1:8765"),
                   Site());
  ASSERT_TRUE(a.apply.has_value());
  EXPECT_EQ(a.apply->kind, ControlRequest::Kind::kStep);
  EXPECT_TRUE(a.warning.empty());
}

TEST(ControlApi, LivePageAndEventStream) {
  auto a = RouteControl(Req("GET", "/__wsreplay/"), Site());
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.content_type, "text/html; charset=utf-8");
  EXPECT_NE(a.body.find("<html"), std::string::npos);
  a = RouteControl(Req("GET", "/__wsreplay/events"), Site());
  EXPECT_TRUE(a.event_stream);
  a = RouteControl(Req("POST", "/__wsreplay/"), Site());
  EXPECT_EQ(a.status, 405);
  EXPECT_EQ(a.allow, "GET");
}

TEST(ControlApi, UnknownPathsSayWhatThereIs) {
  auto a = RouteControl(Req("GET", "/nope"), Site());
  EXPECT_EQ(a.status, 404);
  json j = json::parse(a.body);
  EXPECT_EQ(j["recorded_connections"], "#1 /socket");
  EXPECT_NE(j["error"].get<std::string>().find("session 'demo'"), std::string::npos);
  a = RouteControl(Req("GET", "/__wsreplay/nope"), Site());
  EXPECT_EQ(a.status, 404);
  EXPECT_TRUE(json::parse(a.body).contains("endpoints"));
  a = RouteControl(Req("GET", "/__wsreplay/pause"), Site());
  EXPECT_EQ(a.status, 405);
  EXPECT_EQ(a.allow, "POST");
  auto bad = Req("POST", "/__wsreplay/advance");
  bad.args.ms = "soon";
  a = RouteControl(bad, Site());
  EXPECT_EQ(a.status, 400);
  EXPECT_FALSE(a.apply.has_value());
}

TEST(ControlApi, RoutesNameTheChangeAndAnswerItsOutcome) {
  auto r = Req("POST", "/__wsreplay/advance");
  r.args.ms = "250";
  auto a = RouteControl(r, Site());
  ASSERT_TRUE(a.apply.has_value());
  EXPECT_EQ(a.apply->kind, ControlRequest::Kind::kAdvance);
  EXPECT_EQ(a.apply->advance_ms, 250);
  ControlOutcome o;
  o.status = {{"session", "demo"}};
  json j = json::parse(AnswerControl(*a.apply, o).body);
  EXPECT_EQ(j["advanced_ms"], 250);
  EXPECT_EQ(j["status"]["session"], "demo");

  r = Req("DELETE", "/__wsreplay/break");
  r.args.spec = "frame:3";
  a = RouteControl(r, Site());
  ASSERT_TRUE(a.apply.has_value());
  EXPECT_EQ(a.apply->kind, ControlRequest::Kind::kUnbreak);
  o = {};
  o.done = false;  // no such breakpoint
  o.faults = json::array();
  ControlAnswer answer = AnswerControl(*a.apply, o);
  EXPECT_EQ(answer.status, 404);
  EXPECT_NE(json::parse(answer.body)["error"].get<std::string>().find("no breakpoint"),
            std::string::npos);

  ControlRequest step;
  step.kind = ControlRequest::Kind::kStep;
  o = {};
  o.done = false;
  j = json::parse(AnswerControl(step, o).body);
  EXPECT_EQ(j["stepped"], false);
  ControlRequest speed;
  speed.kind = ControlRequest::Kind::kSpeed;
  speed.speed = 2.5;
  EXPECT_EQ(json::parse(AnswerControl(speed, {}).body)["speed"], "2.5x");
}

}  // namespace
}  // namespace wsr::replay
