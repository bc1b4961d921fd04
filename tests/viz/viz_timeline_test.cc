// `wsreplay timeline` through the real binary; pages checked in headless Chromium.
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <iostream>
#include <string>

#include "tests/support/chromium.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/viz/viz_cassettes.h"

namespace wsr::viz_test {
namespace {

using wsr::testing::FindChromium;
using wsr::testing::ReadFile;
using wsr::testing::TempDir;
using wsr::testing::WsreplayBin;

wsr::testing::RunResult Exec(std::vector<std::string> argv,
                             wsr::testing::Process::Options opts = {},
                             std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  return wsr::testing::Run(std::move(argv), std::move(opts), timeout);
}

size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = hay.find(needle); pos != std::string::npos;
       pos = hay.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

// Loads `file` in headless Chromium; returns browser_check.js's JSON.
nlohmann::json Browse(const std::string& file) {
  std::string chromium = FindChromium();
  wsr::testing::Process::Options opts;
  opts.env["NODE_PATH"] = VIZ_NODE_PATH;
  auto r = Exec({"node", VIZ_BROWSER_CHECK, chromium, file}, opts, std::chrono::seconds(150));
  EXPECT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "stdout: " << r.out << "\nstderr: " << r.err;
  return j.is_discarded() ? nlohmann::json::object() : j;
}

// Starts session `name` with one connection that joins chat_room:kRoom (ok at 2 ms).
int StartJoinedSession(CassetteBuilder& b, const std::string& name) {
  b.StartSession(name);
  int c = b.Connect();
  b.C2S(c, Join("1", std::string("chat_room:") + kRoom), 1);
  b.S2C(c, ReplyOk("1", "1", std::string("chat_room:") + kRoom), 2);
  return c;
}

#define REQUIRE_CHROMIUM()                                                        \
  do {                                                                            \
    if (FindChromium().empty())                                                   \
      GTEST_SKIP() << "chromium is not installed (apt-get install -y chromium); " \
                      "the browser check of the timeline is skipped";             \
  } while (0)

class Timeline : public ::testing::Test {
 protected:
  void SetUp() override {
    cassette_ = dir_.File("c.cassette");
    CassetteBuilder b(cassette_);
    frames_ = WriteSection7Session(b, "s7");
  }
  TempDir dir_;
  std::string cassette_;
  size_t frames_ = 0;
};

TEST_F(Timeline, HtmlLoadsInChromiumWithOneMarkPerFrame) {
  REQUIRE_CHROMIUM();
  std::string out = dir_.File("t.html");
  auto r = Exec({WsreplayBin(), "timeline", cassette_, "-o", out});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string html = ReadFile(out);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org"))  // only the SVG namespace
      << "the page must not reference network assets";
  EXPECT_EQ(html.find("src="), std::string::npos);
  if (const char* keep = std::getenv("WSR_VIZ_ARTIFACTS")) {  // to look at the page by hand
    testing::WriteFile(std::string(keep) + "/section7.html", html);
    testing::WriteFile(std::string(keep) + "/section7.cassette", ReadFile(cassette_));
  }
  auto j = Browse(out);
  EXPECT_EQ(j.value("frames", -1), static_cast<int>(frames_));
  EXPECT_EQ(j.value("ready", std::string()), std::to_string(frames_));
  EXPECT_TRUE(j["errors"].empty()) << j.dump(2);
  // Clicking the first mark (the agent_rooms join) shows its payload.
  EXPECT_NE(j.value("detail", std::string()).find("phx_join"), std::string::npos) << j.dump(2);
  EXPECT_EQ(j.value("zoomed", -1), static_cast<int>(frames_));
}

// The REST half: one lane per HTTP connection, a span per exchange with its label, the bodies
// in the tooltip and, in HTML, the detail panel on click.
TEST(TimelineExchanges, RestLaneInSvgAndHtml) {
  TempDir dir;
  std::string path = dir.File("rest.cassette");
  {
    CassetteBuilder b(path);
    int c = StartJoinedSession(b, "rest");
    b.S2C(c, MessageCreated("1", "hello"), 40);
  }
  {
    auto c = cassette::Cassette::Open(path, cassette::Cassette::Mode::kReadWrite);
    auto s = c->ResolveSession(std::string("rest"));
    auto call = [&](int ordinal, int conn, std::string method, std::string target, int status,
                    std::string response_body, int64_t request_ms, int64_t response_us) {
      cassette::Exchange e;
      e.session_id = s.id;
      e.ordinal = ordinal;
      e.http_connection = conn;
      e.method = std::move(method);
      e.path = std::move(target);
      e.status = status;
      e.response_body = std::move(response_body);
      e.request_ns = request_ms * 1'000'000;
      e.response_ns = e.request_ns + response_us * 1'000;
      return e;
    };
    auto me = call(1, 1, "GET", "/api/v1/agent/me", 200, R"({"data":{"id":"a1","name":"Bot"}})", 5,
                   4'000);
    auto post = call(2, 2, "POST", "/api/v1/agent/chats/r1/messages", 201,
                     R"({"data":{"id":"m1","content":"hello"}})", 20, 12'000);
    post.request_body = R"({"message":{"content":"hello </script>"}})";
    // Everything from the cassette is escaped: a path and bodies that try to break out.
    auto evil = call(3, 1, "GET", "/api/v1/agent/chats/\"><script>window.__pwned=1</script>", 500,
                     "</script><script>window.__pwned=3</script><!--\xff", 34, 1'000);
    evil.query = "q=<img src=x onerror=\"window.__pwned=2\">";
    // A 300 us call at 10 s: the session is long, the other spans are a pixel or less wide,
    // and the evil GET's label starts 4 px after me's on their lane.
    auto late = call(4, 1, "GET", "/api/v1/agent/me", 200, me.response_body, 10'000, 300);
    c->Begin();
    c->InsertExchange(me);
    c->InsertExchange(post);
    c->InsertExchange(evil);
    c->InsertExchange(late);
    c->Commit();
    c->Seal();
  }
  std::string svg_path = dir.File("rest.svg");
  auto r = Exec({WsreplayBin(), "timeline", path, "-o", svg_path});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string svg = ReadFile(svg_path);
  EXPECT_EQ(Count(svg, "<g class=\"exchange s-2xx\""), 3u) << svg;
  EXPECT_EQ(Count(svg, "<g class=\"exchange s-5xx\""), 1u) << svg;
  EXPECT_EQ(svg.find("<script"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("<img"), std::string::npos) << svg;
  EXPECT_NE(svg.find(">HTTP connection 1<"), std::string::npos);
  EXPECT_NE(svg.find(">HTTP connection 2<"), std::string::npos);
  EXPECT_NE(svg.find(">POST /api/v1/agent/chats/r1/messages 201 12.0 ms<"), std::string::npos)
      << svg;
  EXPECT_NE(svg.find("request: {&quot;message&quot;:{&quot;content&quot;:&quot;hello "
                     "&lt;/script&gt;&quot;}}"),
            std::string::npos)
      << svg;

  REQUIRE_CHROMIUM();
  auto js = Browse(svg_path);
  EXPECT_TRUE(js["errors"].empty()) << js.dump(2);
  EXPECT_EQ(js.value("parsererrors", -1), 0) << js.dump(2);
  EXPECT_FALSE(js.value("pwned", true));
  EXPECT_EQ(js.value("exchanges", -1), 4) << js.dump(2);
  EXPECT_EQ(js.value("exchanges_seen", -1), 4) << js.dump(2);

  std::string html_path = dir.File("rest.html");
  r = Exec({WsreplayBin(), "timeline", path, "-o", html_path});
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = Browse(html_path);
  EXPECT_TRUE(j["errors"].empty()) << j.dump(2);
  EXPECT_FALSE(j.value("pwned", true));
  EXPECT_EQ(j.value("frames", -1), 3);
  EXPECT_EQ(j.value("exchanges", -1), 4) << j.dump(2);
  EXPECT_EQ(j.value("exchanges_seen", -1), 4) << j.dump(2);
  EXPECT_NE(j.value("exchange_tip", std::string()).find("GET /api/v1/agent/me -> 200"),
            std::string::npos)
      << j.dump(2);
  // Clicking the POST shows both bodies, pretty-printed.
  std::string detail = j.value("exchange_detail", std::string());
  EXPECT_NE(detail.find("POST /api/v1/agent/chats/r1/messages -> 201 in 12 ms"), std::string::npos)
      << detail;
  EXPECT_NE(detail.find("\"content\": \"hello </script>\""), std::string::npos) << detail;
  EXPECT_NE(detail.find("response body:"), std::string::npos) << detail;
}

TEST_F(Timeline, ScriptTagsInPayloadsDoNotBreakThePage) {
  REQUIRE_CHROMIUM();
  std::string path = dir_.File("evil.cassette");
  size_t n = 0;
  {
    CassetteBuilder b(path);
    int c = StartJoinedSession(b, "evil");
    b.S2C(c, MessageCreated("1", "</script><script>window.__pwned=1</script><!--"), 3);
    b.S2C(c, MessageCreated("1", "\\u2028 & <b>bold</b> ]]> \\\" '"), 4);
    b.S2C(c, "not json </script>", 5);
    b.S2C(c, std::string("[\"1\",null,\"chat_room:x\",\"bad\xff\xfe utf8\",{}]"), 6);
    b.Binary(c, std::string("\x00\x01</script>\xff", 12), 7);
    n = b.frames();
  }
  std::string out = dir_.File("evil.html");
  auto r = Exec({WsreplayBin(), "timeline", path, "-o", out});
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = Browse(out);
  EXPECT_EQ(j.value("frames", -1), static_cast<int>(n));
  EXPECT_FALSE(j.value("pwned", true));
  EXPECT_TRUE(j["errors"].empty()) << j.dump(2);

  std::string svg = dir_.File("evil.svg");
  r = Exec({WsreplayBin(), "timeline", path, "-o", svg});
  ASSERT_EQ(r.status, 0) << r.err;
  auto k = Browse(svg);
  EXPECT_EQ(k.value("parsererrors", -1), 0);
  EXPECT_EQ(k.value("frames", -1), static_cast<int>(n));
}

TEST_F(Timeline, SvgIsWellFormedWithOneMarkPerFrame) {
  std::string out = dir_.File("t.svg");
  auto r = Exec({WsreplayBin(), "timeline", cassette_, "-o", out});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string svg = ReadFile(out);
  EXPECT_EQ(Count(svg, "<path class=\"frame "), frames_);
  EXPECT_GE(Count(svg, "<title>"), frames_) << "every mark has a tooltip";
  EXPECT_NE(svg.find("class=\"conn-close\""), std::string::npos);
  EXPECT_NE(svg.find("1001"), std::string::npos) << "the upstream close code is shown";
  if (::access("/usr/bin/xmllint", X_OK) == 0) {
    auto x = Exec({"/usr/bin/xmllint", "--noout", out});
    EXPECT_EQ(x.status, 0) << x.err;
  }
  if (!FindChromium().empty()) {
    auto j = Browse(out);
    EXPECT_EQ(j.value("parsererrors", -1), 0);
    EXPECT_EQ(j.value("frames", -1), static_cast<int>(frames_));
    EXPECT_TRUE(j["errors"].empty()) << j.dump(2);
  }
}

// Schema 3: pings, pongs and close frames on the connection lane, a violation, a refusal.
class ControlTimeline : public ::testing::Test {
 protected:
  void SetUp() override {
    cassette_ = dir_.File("ctl.cassette");
    CassetteBuilder b(cassette_);
    b.StartSession("ctl");
    int c = b.Connect();
    std::string topic = std::string("chat_room:") + kRoom;
    b.C2S(c, Join("1", topic), 1);
    b.S2C(c, ReplyOk("1", "1", topic), 2);
    b.Control(c, cassette::Direction::kClientToServer, 9, "ping-1", 10);
    b.Control(c, cassette::Direction::kServerToClient, 10, "ping-1", 11);
    b.Control(c, cassette::Direction::kServerToClient, 9, "", 20);
    b.Flagged(c, cassette::Direction::kServerToClient, MessageCreated("1", "odd"), 30,
              cassette::kFrameViolation | cassette::kFrameCompressed, "RSV3 set <bad>");
    b.Control(c, cassette::Direction::kClientToServer, 8,
              "\x03\xe8"
              "done",
              40);
    b.Control(c, cassette::Direction::kServerToClient, 8,
              "\x03\xe8"
              "done",
              41, cassette::kFrameViolation, "close reason cut short");
    b.Close(c, 1000, 41, "client", "done");
    int refused = b.Connect("vsn=2.0.0", 5);
    b.Refuse(refused, 403, 6);
    frames_ = b.frames();
  }
  TempDir dir_;
  std::string cassette_;
  size_t frames_ = 0;  // 3 data + 5 control
};

TEST_F(ControlTimeline, SvgDrawsControlFramesViolationsAndRefusals) {
  std::string out = dir_.File("ctl.svg");
  auto r = Exec({WsreplayBin(), "timeline", cassette_, "-o", out});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string svg = ReadFile(out);
  ASSERT_EQ(frames_, 8u);
  EXPECT_EQ(Count(svg, "<path class=\"frame "), frames_) << "control frames are marks too";
  EXPECT_EQ(Count(svg, "<path class=\"frame k-ws-ping"), 2u);
  EXPECT_EQ(Count(svg, "<path class=\"frame k-ws-pong"), 1u);
  EXPECT_EQ(Count(svg, "<path class=\"frame k-ws-close"), 2u);
  EXPECT_EQ(Count(svg, " violation\" data-conn="), 2u) << "violations are outlined";
  EXPECT_NE(svg.find("violation: RSV3 set &lt;bad&gt;"), std::string::npos)
      << "the note is in the tooltip";
  EXPECT_NE(svg.find("[compressed]"), std::string::npos);
  EXPECT_NE(svg.find("close 1000 &quot;done&quot;"), std::string::npos)
      << "a close frame's tooltip has its code and reason";
  // Control marks are drawn differently from data marks, and the legend says how.
  EXPECT_NE(svg.find("a4,4 0 1,0 8,0"), std::string::npos) << "pings/pongs are circles";
  EXPECT_NE(svg.find(">ping</text>"), std::string::npos);
  EXPECT_NE(svg.find(">WebSocket close frame</text>"), std::string::npos);
  EXPECT_NE(svg.find("red outline: broke RFC 6455"), std::string::npos);
  // The refused connection is labelled with its status.
  EXPECT_NE(svg.find("class=\"conn-status\" data-conn=\"2\""), std::string::npos);
  EXPECT_NE(svg.find(">refused: HTTP 403<"), std::string::npos);
  if (::access("/usr/bin/xmllint", X_OK) == 0) {
    auto x = Exec({"/usr/bin/xmllint", "--noout", out});
    EXPECT_EQ(x.status, 0) << x.err;
  }
  // A topic filter keeps topics only: control frames go with the other non-Phoenix frames.
  r = Exec({WsreplayBin(), "timeline", cassette_, "--topic", "chat_room", "-o", out});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(Count(ReadFile(out), "<path class=\"frame "), 3u);
}

TEST_F(ControlTimeline, HtmlCountsControlMarksAndShowsViolationNotes) {
  REQUIRE_CHROMIUM();
  std::string out = dir_.File("ctl.html");
  auto r = Exec({WsreplayBin(), "timeline", cassette_, "-o", out});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string html = ReadFile(out);
  EXPECT_NE(html.find("refused: HTTP 403"), std::string::npos);
  EXPECT_NE(html.find("RSV3 set \\u003cbad\\u003e"), std::string::npos) << "note in the data";
  auto j = Browse(out);
  EXPECT_EQ(j.value("frames", -1), static_cast<int>(frames_)) << j.dump(2);
  EXPECT_EQ(j.value("ready", std::string()), std::to_string(frames_));
  EXPECT_EQ(j.value("zoomed", -1), static_cast<int>(frames_));
  EXPECT_EQ(j.value("violations", -1), 2) << j.dump(2);
  EXPECT_EQ(j.value("controls", -1), 5) << j.dump(2);
  EXPECT_EQ(j.value("statuses", -1), 1) << j.dump(2);
  EXPECT_NE(j.value("violation_tip", std::string()).find("violation: RSV3 set <bad>"),
            std::string::npos)
      << j.dump(2);
  EXPECT_TRUE(j["errors"].empty()) << j.dump(2);
}

TEST_F(Timeline, TopicFilterKeepsOnlyThoseTopics) {
  std::string out = dir_.File("t.svg");
  auto r = Exec({WsreplayBin(), "timeline", cassette_, "--topic", "chat_room", "--topic",
                 std::string("tasks:") + kUser, "-o", out});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string svg = ReadFile(out);
  // chat_room: join, reply, message_created, leave, reply, close = 6; tasks: join, reply, push.
  EXPECT_EQ(Count(svg, "<path class=\"frame "), 9u);
}

TEST_F(Timeline, TenThousandFramesRender) {
  std::string path = dir_.File("big.cassette");
  const int kFrames = 10000;
  {
    CassetteBuilder b(path);
    b.StartSession("big");
    int c = b.Connect();
    std::string topic = std::string("chat_room:") + kRoom;
    b.C2S(c, Join("1", topic), 0);
    b.S2C(c, ReplyOk("1", "1", topic), 1);
    for (int i = 2; i < kFrames; ++i) {
      if (i % 50 == 0) {
        b.C2S(c, "[null,\"" + std::to_string(i) + "\",\"phoenix\",\"heartbeat\",{}]", i * 5.0);
      } else {
        b.S2C(c, MessageCreated("1", "message " + std::to_string(i)), i * 5.0);
      }
    }
  }
  std::string out = dir_.File("big.html");
  auto r = Exec({WsreplayBin(), "timeline", path, "-o", out});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string svg = dir_.File("big.svg");
  r = Exec({WsreplayBin(), "timeline", path, "-o", svg});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(Count(ReadFile(svg), "<path class=\"frame "), static_cast<size_t>(kFrames));
  REQUIRE_CHROMIUM();
  auto j = Browse(out);
  std::cerr << "browser timings: ready " << j.value("ms_to_ready", -1) << " ms, total "
            << j.value("ms_total", -1) << " ms\n";
  EXPECT_EQ(j.value("frames", -1), kFrames);
  EXPECT_EQ(j.value("ready", std::string()), std::to_string(kFrames));
  EXPECT_TRUE(j["errors"].empty()) << j.dump(2);
}

TEST_F(Timeline, EmptySessionStillDraws) {
  std::string path = dir_.File("empty.cassette");
  {
    CassetteBuilder b(path);
    b.StartSession("empty");
  }
  std::string html = dir_.File("empty.html"), svg = dir_.File("empty.svg");
  auto r = Exec({WsreplayBin(), "timeline", path, "-o", html});
  ASSERT_EQ(r.status, 0) << r.err;
  r = Exec({WsreplayBin(), "timeline", path, "-o", svg});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(Count(ReadFile(svg), "<path class=\"frame "), 0u);
  REQUIRE_CHROMIUM();
  auto j = Browse(html);
  EXPECT_EQ(j.value("frames", -1), 0);
  EXPECT_EQ(j.value("ready", std::string()), "0");
  EXPECT_TRUE(j["errors"].empty()) << j.dump(2);
}

TEST_F(Timeline, BadArgumentsGiveOneLineAndNonZeroExit) {
  auto r = Exec({WsreplayBin(), "timeline", cassette_, "-o", dir_.File("t.png")});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find(".html or .svg"), std::string::npos) << r.err;
  r = Exec({WsreplayBin(), "timeline", dir_.File("missing.cassette"), "-o", dir_.File("t.svg")});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("error"), std::string::npos) << r.err;
  testing::WriteFile(dir_.File("junk.cassette"), "not a cassette at all");
  r = Exec({WsreplayBin(), "timeline", dir_.File("junk.cassette"), "-o", dir_.File("t.svg")});
  EXPECT_NE(r.status, 0);
  r = Exec({WsreplayBin(), "timeline", cassette_, "--session", "nope", "-o", dir_.File("t.svg")});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("nope"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace wsr::viz_test
