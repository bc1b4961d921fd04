// Recorded and live data cannot drive the developer's terminal: a session name, a topic, a
// close reason and a live client frame carrying escape sequences (`\e]0;TITLE\a` retitles
// the terminal, `\e[2J` clears it) come out of `ls`, `show`, `lint`, the replay report and
// the log lines as visible `\x1b` text; `show --json` stays JSON.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/ws_client.h"
#include "tests/viz/viz_cassettes.h"

namespace wsr::testing {
namespace {

using viz_test::CassetteBuilder;

const std::string kEsc = "\x1b";
const std::string kSession = "demo\x1b]0;pwned\x07";
const std::string kTopic = "chat_room:\x1b[2J";

std::string MakeHostileCassette(const TempDir& dir) {
  std::string path = dir.File("hostile.cassette");
  CassetteBuilder b(path);
  b.StartSession(kSession);
  int c = b.Connect("vsn=2.0.0");
  // Valid Phoenix JSON (the ESC travels as \u001b, as a real server would send it), so the
  // connection is replayed as Phoenix; the topic column holds the decoded ESC.
  using nlohmann::json;
  b.C2S(c, json::array({"1", "1", kTopic, "phx_join", json::object()}).dump(), 1);
  b.S2C(c,
        json::array(
            {"1", "1", kTopic, "phx_reply", json{{"status", "ok"}, {"response", json::object()}}})
            .dump(),
        2);
  b.Control(c, cassette::Direction::kClientToServer, 8, std::string("\x0f\xa0", 2) + "bye\x1b[2J",
            3);
  b.Close(c, 4000, 3, "client", "bye\x1b[2J");
  return path;
}

void ExpectNoRawEscape(const std::string& out, const std::string& what) {
  EXPECT_EQ(out.find(kEsc), std::string::npos) << what << " printed a raw ESC byte";
}

TEST(TerminalEscape, LsShowAndLintEscapeRecordedControlCharacters) {
  TempDir dir;
  std::string path = MakeHostileCassette(dir);

  auto ls = wsr::testing::Run({WsreplayBin(), "ls", path});
  ASSERT_EQ(ls.status, 0) << ls.err;
  ExpectNoRawEscape(ls.out, "ls");
  EXPECT_NE(ls.out.find("demo\\x1b]0;pwned\\x07"), std::string::npos) << ls.out;

  auto show = wsr::testing::Run({WsreplayBin(), "show", path});
  ASSERT_EQ(show.status, 0) << show.err;
  ExpectNoRawEscape(show.out, "show");
  EXPECT_NE(show.out.find("code 4000 \"bye\\x1b[2J\""), std::string::npos) << show.out;

  auto lint = wsr::testing::Run({WsreplayBin(), "lint", path});
  ExpectNoRawEscape(lint.out + lint.err, "lint");
  EXPECT_NE(lint.out.find("\\x1b"), std::string::npos) << lint.out;

  // A session the cassette does not have: the error names the ones it has, escaped.
  auto missing = wsr::testing::Run({WsreplayBin(), "show", path, "--session", "nope"});
  EXPECT_NE(missing.status, 0);
  ExpectNoRawEscape(missing.err, "the error line");

  // JSON stays JSON: the topic comes back intact through a JSON parser.
  auto json = wsr::testing::Run({WsreplayBin(), "show", path, "--json"});
  ASSERT_EQ(json.status, 0) << json.err;
  ExpectNoRawEscape(json.out, "show --json");
  std::istringstream lines(json.out);
  std::string line;
  bool found = false;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    if (j.value("session", "") == kSession) found = true;
  }
  EXPECT_TRUE(found) << json.out;
}

TEST(TerminalEscape, ReplayLogAndReportEscapeLiveClientFrames) {
  TempDir dir;
  std::string path = MakeHostileCassette(dir);
  Process replay(
      {WsreplayBin(), "replay", "--cassette", path, "--listen", "127.0.0.1:0", "--speed", "max"});
  std::string url = replay.WaitForListening();
  ASSERT_FALSE(url.empty()) << replay.stderr_text();
  {
    auto client = WsClient::Connect(url + "/api/v1/socket/websocket?vsn=2.0.0");
    ASSERT_TRUE(client->connected()) << client->error();
    // Not a frame the cassette has (raw control bytes in it): logged and reported.
    client->SendText("[\"1\",\"1\",\"chat_room:\x1b]0;live\x07\",\"phx_join\",{}]");
    // A heartbeat after it: its reply means the server has handled (and logged) the frame
    // above, so the SIGINT below cannot overtake it.
    client->SendText("[null,\"2\",\"phoenix\",\"heartbeat\",{}]");
    auto reply = client->Receive();
    ASSERT_TRUE(reply.has_value()) << replay.stderr_text();
    EXPECT_NE(reply->data.find("\"2\""), std::string::npos) << reply->data;
    client->Close(1000, "");
    client->WaitClosed();
  }
  replay.Signal(SIGINT);
  ASSERT_TRUE(replay.Wait().has_value());
  SCOPED_TRACE(replay.stderr_text());
  const std::string& err = replay.stderr_text();
  ExpectNoRawEscape(err, "replay's log and report");
  // The session name in the report's header, and the client's frame in its mismatch line
  // (frame excerpts show control bytes as '.').
  EXPECT_NE(err.find("session 'demo\\x1b]0;pwned\\x07'"), std::string::npos) << err;
  EXPECT_NE(err.find("chat_room:.]0;live."), std::string::npos) << err;
  EXPECT_NE(err.find("mismatch"), std::string::npos) << err;
}

}  // namespace
}  // namespace wsr::testing
