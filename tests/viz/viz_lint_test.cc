// `wsreplay lint`: the clean spec section 7 session, then each hand-made bad frame detected
// (checked through LintSession, and the exit codes through the real binary).
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/viz/viz_cassettes.h"
#include "tools/lint.h"

namespace wsr::viz_test {
namespace {

using wsr::testing::TempDir;
using wsr::testing::WsreplayBin;

wsr::testing::RunResult Exec(std::vector<std::string> argv) {
  return wsr::testing::Run(std::move(argv), {}, std::chrono::seconds(60));
}

const std::string kChat = std::string("chat_room:") + kRoom;
const std::string kParts = std::string("room_participants:") + kRoom;

// A user connection that joined chat_room ("1") and room_participants ("2"), then `bad`.
tools::LintReport LintWith(const std::function<void(CassetteBuilder&, int conn)>& bad,
                           std::string* cli_out = nullptr, int* cli_status = nullptr) {
  TempDir dir;
  std::string path = dir.File("c.cassette");
  {
    CassetteBuilder b(path);
    b.StartSession("s");
    int c = b.Connect("vsn=2.0.0");
    b.C2S(c, Join("1", kChat), 1);
    b.S2C(c, ReplyOk("1", "1", kChat), 2);
    b.C2S(c, Join("2", kParts), 3);
    b.S2C(c, ReplyOk("2", "2", kParts), 4);
    bad(b, c);
  }
  if (cli_out) {
    auto r = Exec({WsreplayBin(), "lint", path});
    *cli_out = r.out;
    *cli_status = r.status;
  }
  auto c = cassette::Cassette::Open(path, cassette::Cassette::Mode::kReadOnly);
  return tools::LintSession(*c, std::nullopt);
}

std::string All(const tools::LintReport& r) {
  std::string s;
  for (const auto& f : r.findings) s += tools::FormatFinding(f) + "\n";
  return s;
}

// Exactly one error, on frame seq 4 (the first frame after the joins), mentioning `what`.
void ExpectOneErrorAtBadFrame(const tools::LintReport& r, const std::string& what) {
  EXPECT_EQ(r.errors, 1u) << All(r);
  for (const auto& f : r.findings) {
    if (!f.error) continue;
    EXPECT_EQ(f.seq, 4) << All(r);
    EXPECT_EQ(f.conn, 1);
    EXPECT_NE(f.message.find(what), std::string::npos) << All(r);
  }
}

TEST(Lint, Section7SessionIsClean) {
  TempDir dir;
  std::string path = dir.File("c.cassette");
  {
    CassetteBuilder b(path);
    WriteSection7Session(b, "s7");
  }
  auto c = cassette::Cassette::Open(path, cassette::Cassette::Mode::kReadOnly);
  auto r = tools::LintSession(*c, std::nullopt);
  EXPECT_EQ(r.errors, 0u) << All(r);
  EXPECT_EQ(r.frames, 29u);
  // The only warning: the client joined "bogus:1", a topic Thenvoi does not route.
  ASSERT_EQ(r.warnings, 1u) << All(r);
  EXPECT_EQ(r.findings[0].topic, "bogus:1");
  auto cli = Exec({WsreplayBin(), "lint", path});
  EXPECT_EQ(cli.status, 0) << cli.out << cli.err;
  EXPECT_NE(cli.out.find("lint: 0 error(s), 1 warning(s) in 29 frames"), std::string::npos)
      << cli.out;
}

TEST(Lint, RawConnectionBesideTheThenvoiOneIsReportedNotChecked) {
  // A clean Thenvoi session plus an echo socket: binary and non-Phoenix text frames.
  TempDir dir;
  std::string path = dir.File("c.cassette");
  {
    CassetteBuilder b(path);
    WriteSection7Session(b, "s7");
    int echo = b.Connect("", 900);
    b.C2S(echo, "hello", 901);
    b.S2C(echo, "hello", 902);
    b.Binary(echo, std::string("\x00\x01\xff", 3), 903);
    b.Close(echo, 1000, 904);
  }
  auto c = cassette::Cassette::Open(path, cassette::Cassette::Mode::kReadOnly);
  auto r = tools::LintSession(*c, std::nullopt);
  EXPECT_EQ(r.errors, 0u) << All(r);
  EXPECT_EQ(r.frames, 29u);  // the Phoenix connections' frames, as without the echo socket
  ASSERT_EQ(r.raw.size(), 1u);
  EXPECT_EQ(r.raw[0].conn, 3);
  EXPECT_EQ(r.raw[0].frames, 3u);
  auto cli = Exec({WsreplayBin(), "lint", path});
  EXPECT_EQ(cli.status, 0) << cli.out << cli.err;
  EXPECT_NE(cli.out.find("conn 3 /api/v1/socket/websocket: raw, not checked (3 frames)"),
            std::string::npos)
      << cli.out;
  EXPECT_NE(cli.out.find("in 29 frames of session 's7' (1 raw connection(s) not checked)"),
            std::string::npos)
      << cli.out;
}

TEST(Lint, MalformedFrameInAPhoenixConnectionIsStillChecked) {
  // One foreign frame makes replay play a connection raw; lint must still report it.
  auto r = LintWith([](CassetteBuilder& b, int c) { b.S2C(c, "not json at all", 5); });
  ExpectOneErrorAtBadFrame(r, "not a Phoenix v2 frame");
  EXPECT_TRUE(r.raw.empty());
}

TEST(Lint, CleanSessionStaysCleanWithNullJoinRefPushes) {
  // Spec 2.4: docs say pushes carry join_ref null; both forms are accepted.
  auto r = LintWith([](CassetteBuilder& b, int c) {
    std::string m = MessageCreated("1", "hi");
    m.replace(0, 4, "[null");
    b.S2C(c, m, 5);
  });
  EXPECT_EQ(r.errors, 0u) << All(r);
  EXPECT_EQ(r.warnings, 0u) << All(r);
}

TEST(Lint, UnknownTopicPrefix) {
  std::string out;
  int status = -1;
  auto r = LintWith([](CassetteBuilder& b,
                       int c) { b.S2C(c, R"(["1",null,"chat_rooms:1","message_created",{}])", 5); },
                    &out, &status);
  ExpectOneErrorAtBadFrame(r, "unknown topic pattern");
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("error: conn 1 seq 4 +0.005000s s2c chat_rooms:1 message_created: "),
            std::string::npos)
      << out;
}

TEST(Lint, EventNotAllowedOnChannel) {
  auto r = LintWith([](CassetteBuilder& b, int c) {
    std::string m = MessageCreated("2", "hi");
    m.replace(m.find(kChat), kChat.size(), kParts);
    b.S2C(c, m, 5);
  });
  ExpectOneErrorAtBadFrame(r, "is not carried by room_participants");
}

TEST(Lint, MissingRequiredField) {
  auto r = LintWith([](CassetteBuilder& b, int c) {
    std::string m = MessageCreated("1", "hi");
    size_t at = m.find("\"content\":\"hi\",");
    m.erase(at, std::string("\"content\":\"hi\",").size());
    b.S2C(c, m, 5);
  });
  ExpectOneErrorAtBadFrame(r, "required field 'content' is missing");
  ASSERT_FALSE(r.findings.empty());
  EXPECT_EQ(r.findings[0].path, "/content");
}

TEST(Lint, WrongFieldType) {
  auto r = LintWith([](CassetteBuilder& b, int c) {
    std::string m = MessageCreated("1", "hi");
    m.replace(m.find("\"content\":\"hi\""), std::string("\"content\":\"hi\"").size(),
              "\"content\":42");
    b.S2C(c, m, 5);
  });
  ExpectOneErrorAtBadFrame(r, "should be string, got number");
  ASSERT_FALSE(r.findings.empty());
  EXPECT_EQ(r.findings[0].path, "/content");
}

TEST(Lint, MalformedJoinReply) {
  auto r = LintWith([](CassetteBuilder& b, int c) {
    b.C2S(c, Join("3", "tasks:0b8e5a92-61d4-4c3e-8f7a-9e2c1d4b6a58"), 5);
    b.S2C(
        c,
        R"(["3","3","tasks:0b8e5a92-61d4-4c3e-8f7a-9e2c1d4b6a58","phx_reply",{"status":"fine","response":[]}])",
        6);
  });
  EXPECT_EQ(r.errors, 2u) << All(r);  // status and response
  std::string all = All(r);
  EXPECT_NE(all.find("error: conn 1 seq 5"), std::string::npos) << all;
  EXPECT_NE(all.find("/status: phx_reply status must be"), std::string::npos) << all;
  EXPECT_NE(all.find("/response: phx_reply response must be a JSON object"), std::string::npos)
      << all;
}

TEST(Lint, PushOnNeverJoinedTopic) {
  auto r = LintWith([](CassetteBuilder& b, int c) {
    b.S2C(c,
          R"(["1",null,"tasks:0b8e5a92-61d4-4c3e-8f7a-9e2c1d4b6a58","task_deleted",{"id":"e9a1"}])",
          5);
  });
  ExpectOneErrorAtBadFrame(r, "not joined");
}

TEST(Lint, PushWithStaleJoinRef) {
  auto r = LintWith([](CassetteBuilder& b, int c) { b.S2C(c, MessageCreated("7", "hi"), 5); });
  ExpectOneErrorAtBadFrame(r, "is not the topic's join_ref");
}

TEST(Lint, PushAfterLeave) {
  auto r = LintWith([](CassetteBuilder& b, int c) {
    b.C2S(c, "[\"1\",\"3\",\"" + kChat + "\",\"phx_leave\",{}]", 5);
    b.S2C(c, ReplyOk("1", "3", kChat), 6);
    b.S2C(c, "[\"1\",\"1\",\"" + kChat + "\",\"phx_close\",{}]", 7);
    b.S2C(c, MessageCreated("1", "late"), 8);
  });
  EXPECT_EQ(r.errors, 1u) << All(r);
  EXPECT_NE(All(r).find("seq 7 +0.008000s s2c chat_room:"), std::string::npos) << All(r);
}

TEST(Lint, BothContactRequestFormats) {
  // The nested (user) format on agent_contacts is wrong: the flat fields are missing.
  auto r = LintWith([](CassetteBuilder& b, int c) {
    const std::string topic = std::string("agent_contacts:") + kAgent;
    b.C2S(c, Join("3", topic), 5);
    b.S2C(c, ReplyOk("3", "3", topic), 6);
    b.S2C(
        c,
        "[\"3\",null,\"" + topic +
            R"(","contact_request_received",{"id":"3a6d","requester_id":"4e7a","requester_type":"Agent","recipient_id":"0b8e","recipient_type":"User","status":"pending","requester":{"id":"4e7a","handle":"bob/research-bot","name":"Research Bot"},"inserted_at":"2026-03-10T10:00:00.000000Z","responded_at":null}])",
        7);
  });
  EXPECT_NE(All(r).find("required field 'from_handle' is missing"), std::string::npos) << All(r);
  EXPECT_GE(r.errors, 1u);
}

TEST(Lint, MissingSenderNameIsAWarning) {
  auto r = LintWith([](CassetteBuilder& b, int c) {
    std::string m = MessageCreated("1", "hi");
    std::string field = "\"sender_name\":\"Alice Doe\",";
    m.erase(m.find(field), field.size());
    b.S2C(c, m, 5);
  });
  EXPECT_EQ(r.errors, 0u) << All(r);
  ASSERT_EQ(r.warnings, 1u) << All(r);
  EXPECT_EQ(r.findings[0].path, "/sender_name");
  EXPECT_NE(r.findings[0].message.find("omitted when not available"), std::string::npos);
}

TEST(Lint, ClientCustomEventAndUnmatchedReplyAndGarbage) {
  auto r = LintWith([](CassetteBuilder& b, int c) {
    b.C2S(c, "[\"1\",\"3\",\"" + kChat + "\",\"new_msg\",{\"body\":\"x\"}]", 5);
    b.S2C(c, "[\"1\",\"42\",\"" + kChat + "\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]",
          6);
    b.S2C(c, "{\"topic\":\"v1 format\"}", 7);
    b.C2S(c, "[\"1\",\"5\",\"" + kChat + "\",\"phx_join\",[]]", 8);
  });
  std::string all = All(r);
  EXPECT_EQ(r.errors, 4u) << all;
  EXPECT_NE(all.find("seq 4 +0.005000s c2s chat_room:"), std::string::npos) << all;
  EXPECT_NE(all.find("push-only"), std::string::npos) << all;
  EXPECT_NE(all.find("which no pending request"), std::string::npos) << all;
  EXPECT_NE(all.find("not a Phoenix v2 frame"), std::string::npos) << all;
  EXPECT_NE(all.find("payload must be a JSON object"), std::string::npos) << all;
}

TEST(Lint, JoinRefMismatchInReply) {
  auto r = LintWith([](CassetteBuilder& b, int c) {
    b.C2S(c, Join("3", "tasks:0b8e5a92-61d4-4c3e-8f7a-9e2c1d4b6a58"), 5);
    b.S2C(c, ReplyOk("9", "3", "tasks:0b8e5a92-61d4-4c3e-8f7a-9e2c1d4b6a58"), 6);
  });
  EXPECT_EQ(r.errors, 1u) << All(r);
  EXPECT_NE(All(r).find("differs from the request's"), std::string::npos) << All(r);
}

TEST(Lint, BadCassetteFails) {
  TempDir dir;
  wsr::testing::WriteFile(dir.File("junk"), "not sqlite");
  auto r = Exec({WsreplayBin(), "lint", dir.File("junk")});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("wsreplay: error:"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace wsr::viz_test
