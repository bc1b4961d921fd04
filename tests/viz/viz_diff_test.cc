// `wsreplay diff` through the real binary, plus its alignment and JSON helpers directly.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/viz/viz_cassettes.h"
#include "tools/diff_align.h"
#include "tools/diff_json.h"

namespace wsr::viz_test {
namespace {

using wsr::testing::TempDir;
using wsr::testing::WsreplayBin;

wsr::testing::RunResult Exec(std::vector<std::string> argv) {
  return wsr::testing::Run(std::move(argv), {}, std::chrono::seconds(60));
}

// A chat session: join chat_room + room_participants, `messages` pushed in order, heartbeats.
// Volatile knobs: ref_base shifts every ref, `salt` changes message ids and timestamps,
// heartbeats adds that many heartbeat round trips, room picks the room UUID.
struct ChatScript {
  std::vector<std::string> messages = {"hello", "how are you", "bye"};
  int ref_base = 0;
  std::string salt = "a";
  int heartbeats = 1;
  std::string room = kRoom;
  int close_code = 1000;
  std::string close_reason;
  double time_scale = 1.0;
  int pings = 0;              // ping/pong pairs (control frames) between the messages
  bool close_frames = false;  // record the close frames too
  int second_status = 0;      // when set, a second connection answered with this status
};

void WriteChat(CassetteBuilder& b, const std::string& name, const ChatScript& s) {
  b.StartSession(name);
  int c = b.Connect("vsn=2.0.0");
  auto ref = [&](int n) { return std::to_string(s.ref_base + n); };
  std::string chat = "chat_room:" + s.room, parts = "room_participants:" + s.room;
  double t = 1;
  auto next = [&] { return (t += 10) * s.time_scale; };
  b.C2S(c, Join(ref(1), chat), next());
  b.S2C(c, ReplyOk(ref(1), ref(1), chat), next());
  b.C2S(c, Join(ref(2), parts), next());
  b.S2C(c, ReplyOk(ref(2), ref(2), parts), next());
  int r = 3;
  for (int h = 0; h < s.heartbeats; ++h, ++r) {
    b.C2S(c, "[null,\"" + ref(r) + "\",\"phoenix\",\"heartbeat\",{}]", next());
    b.S2C(c,
          "[null,\"" + ref(r) + "\",\"phoenix\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]",
          next());
  }
  for (size_t i = 0; i < s.messages.size(); ++i) {
    std::string m = MessageCreated(ref(1), s.messages[i], s.salt + "-msg-" + std::to_string(i),
                                   "2026-03-10T09:15:0" + std::to_string(i) + "." + s.salt + "Z");
    // The topic inside MessageCreated is kRoom; rewrite it for another room.
    const std::string room = kRoom;
    for (size_t p = m.find(room); p != std::string::npos; p = m.find(room, p + s.room.size())) {
      m.replace(p, room.size(), s.room);
    }
    b.S2C(c, m, next());
    for (int k = 0; k < s.pings; ++k) {
      b.Control(c, cassette::Direction::kClientToServer, 9, "p" + std::to_string(k), next());
      b.Control(c, cassette::Direction::kServerToClient, 10, "p" + std::to_string(k), next());
    }
  }
  b.S2C(c,
        "[\"" + ref(2) + "\",null,\"" + parts + "\",\"participant_removed\",{\"id\":\"" + s.salt +
            "-user\",\"type\":\"User\"}]",
        next());
  if (s.close_frames) {
    std::string payload = {static_cast<char>(s.close_code >> 8),
                           static_cast<char>(s.close_code & 255)};
    b.Control(c, cassette::Direction::kClientToServer, 8, payload + s.close_reason, next());
    b.Control(c, cassette::Direction::kServerToClient, 8, payload + s.close_reason, next());
  }
  b.Close(c, s.close_code, next(), "client", s.close_reason);
  if (s.second_status != 0) {
    int c2 = b.Connect("vsn=2.0.0", static_cast<int64_t>(next()));
    if (s.second_status == 101) {
      b.Close(c2, 1000, next());
    } else {
      b.Refuse(c2, s.second_status, next());
    }
  }
}

struct Pair {
  TempDir dir;
  std::string a = dir.File("a.cassette"), b = dir.File("b.cassette");
  Pair(const ChatScript& sa, const ChatScript& sb) {
    {
      CassetteBuilder ba(a);
      WriteChat(ba, "rec", sa);
    }
    CassetteBuilder bb(b);
    WriteChat(bb, "rec", sb);
  }
};

bool Has(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

TEST(Diff, EquivalentDespiteRefsHeartbeatsIdsTimestampsAndRoomIds) {
  ChatScript b;
  b.ref_base = 40;
  b.salt = "zz";
  b.heartbeats = 4;
  b.room = "99999999-8888-4777-8666-555555555555";
  b.time_scale = 3;
  Pair p(ChatScript{}, b);
  auto r = Exec({WsreplayBin(), "diff", p.a, p.b});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(Has(r.out, "equivalent")) << r.out;
  // Comparing ids and timestamps too finds the differences.
  r = Exec({WsreplayBin(), "diff", "--no-default-ignores", p.a, p.b});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_TRUE(Has(r.out, "/inserted_at")) << r.out;
  EXPECT_TRUE(Has(r.out, "/id")) << r.out;
}

TEST(Diff, ChangedFieldIsReportedWithItsPointerAndCanBeIgnored) {
  ChatScript b;
  b.messages[1] = "how do you do";
  Pair p(ChatScript{}, b);
  auto r = Exec({WsreplayBin(), "diff", p.a, p.b});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_TRUE(Has(r.out, "changed: s2c message_created")) << r.out;
  EXPECT_TRUE(Has(r.out, "/content: \"how are you\" -> \"how do you do\"")) << r.out;
  EXPECT_TRUE(Has(r.out, "connection 1 chat_room:")) << r.out;
  EXPECT_TRUE(Has(r.out, "1 difference(s)")) << r.out;
  r = Exec({WsreplayBin(), "diff", p.a, p.b, "--ignore", "/content"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
}

TEST(Diff, ReorderingIsReported) {
  ChatScript b;
  b.messages = {"hello", "bye", "how are you"};
  Pair p(ChatScript{}, b);
  auto r = Exec({WsreplayBin(), "diff", p.a, p.b});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_TRUE(Has(r.out, "reordered: s2c message_created")) << r.out;
  EXPECT_FALSE(Has(r.out, "missing in B")) << r.out;
  EXPECT_FALSE(Has(r.out, "added in B")) << r.out;
}

TEST(Diff, MissingAndAddedEventsAreReported) {
  ChatScript b;
  b.messages = {"hello", "how are you", "bye", "one more"};
  ChatScript a;
  a.messages = {"hello", "how are you", "bye"};
  {
    Pair p(a, b);
    auto r = Exec({WsreplayBin(), "diff", p.a, p.b});
    EXPECT_EQ(r.status, 1) << r.out << r.err;
    EXPECT_TRUE(Has(r.out, "added in B: s2c message_created")) << r.out;
    EXPECT_TRUE(Has(r.out, "one more")) << r.out;
  }
  Pair p(b, a);
  auto r = Exec({WsreplayBin(), "diff", p.a, p.b});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_TRUE(Has(r.out, "missing in B: s2c message_created")) << r.out;
}

TEST(Diff, CloseCodeChangeIsReported) {
  ChatScript b;
  b.close_code = 1001;
  Pair p(ChatScript{}, b);
  auto r = Exec({WsreplayBin(), "diff", p.a, p.b});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_TRUE(Has(r.out, "close code 1000 -> 1001")) << r.out;
}

TEST(Diff, CloseReasonAndHandshakeStatusAreCompared) {
  ChatScript a;
  a.close_reason = "bye";
  a.second_status = 101;
  ChatScript b = a;
  b.close_reason = "going away";
  b.second_status = 403;
  Pair p(a, b);
  auto r = Exec({WsreplayBin(), "diff", p.a, p.b});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_TRUE(Has(r.out, "connection 1: close reason \"bye\" -> \"going away\"")) << r.out;
  EXPECT_TRUE(Has(r.out, "connection 2: handshake status 101 -> 403")) << r.out;
  EXPECT_TRUE(Has(r.out, "connection 2: close code 1000 -> none")) << r.out;
  Pair same(a, a);
  r = Exec({WsreplayBin(), "diff", same.a, same.b});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
}

TEST(Diff, PingsPongsAndCloseFramesAreNotEvents) {
  ChatScript b;
  b.pings = 2;
  b.close_frames = true;
  b.ref_base = 3;
  Pair p(ChatScript{}, b);
  auto r = Exec({WsreplayBin(), "diff", p.a, p.b});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(Has(r.out, "equivalent")) << r.out;
  // The same close code carried by close frames in B only is no difference; a code is.
  b.close_code = 4000;
  Pair q(ChatScript{}, b);
  r = Exec({WsreplayBin(), "diff", q.a, q.b});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_TRUE(Has(r.out, "close code 1000 -> 4000")) << r.out;
}

TEST(Diff, TwoSessionsOfOneCassette) {
  TempDir dir;
  std::string path = dir.File("c.cassette");
  {
    CassetteBuilder b(path);
    WriteChat(b, "monday", ChatScript{});
    ChatScript t;
    t.messages.pop_back();
    t.ref_base = 7;
    WriteChat(b, "tuesday", t);
  }
  auto r =
      Exec({WsreplayBin(), "diff", path, path, "--session", "monday", "--session-b", "tuesday"});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_TRUE(Has(r.out, "missing in B")) << r.out;
  EXPECT_TRUE(Has(r.out, "'monday' (A) and 'tuesday' (B)")) << r.out;
  r = Exec({WsreplayBin(), "diff", path, path, "--session", "monday"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
}

TEST(Diff, ErrorsExitTwo) {
  Pair p(ChatScript{}, ChatScript{});
  auto r = Exec({WsreplayBin(), "diff", p.a, p.dir.File("missing.cassette")});
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_TRUE(Has(r.err, "missing.cassette")) << r.err;
  wsr::testing::WriteFile(p.dir.File("junk"), "junk junk junk");
  r = Exec({WsreplayBin(), "diff", p.dir.File("junk"), p.b});
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  r = Exec({WsreplayBin(), "diff", p.a, p.b, "--session", "nope"});
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  r = Exec({WsreplayBin(), "diff", p.a, p.b, "--ignore", "content"});
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_TRUE(Has(r.err, "JSON pointer")) << r.err;
}

TEST(DiffHelpers, LongestCommonSubsequence) {
  auto m = tools::LongestCommonSubsequence({1, 2, 3, 4, 5}, {1, 3, 4, 9, 5});
  std::vector<std::pair<size_t, size_t>> want = {{0, 0}, {2, 1}, {3, 2}, {4, 4}};
  EXPECT_EQ(m, want);
  EXPECT_TRUE(tools::LongestCommonSubsequence({}, {1}).empty());
  EXPECT_EQ(tools::LongestCommonSubsequence({7, 7}, {7, 7}).size(), 2u);
}

TEST(DiffHelpers, StripIgnoredAndFieldDiff) {
  auto j = nlohmann::json::parse(
      R"({"id":"x","chat_room_id":"r","content":"c","metadata":{"mentions":[{"id":"a","username":"u"}],"status":"sent"},"updated_at":"t"})");
  tools::IgnoreRules rules;
  rules.AddPointer("/metadata/mentions/*/username");
  auto s = tools::StripIgnored(j, rules);
  EXPECT_EQ(s.dump(), R"({"content":"c","metadata":{"mentions":[{}],"status":"sent"}})");
  rules.volatile_defaults = false;
  EXPECT_TRUE(tools::StripIgnored(j, rules).contains("id"));
  auto d = tools::JsonFieldDiff(nlohmann::json::parse(R"({"a":1,"b":[1,2],"c":"x"})"),
                                nlohmann::json::parse(R"({"a":2,"b":[1],"d":true})"));
  std::vector<std::string> want = {"/a: 1 -> 2", "/b: array of 2 elements in A, 1 in B",
                                   "/c: missing in B (A: \"x\")", "/d: added in B (true)"};
  EXPECT_EQ(d, want);
  EXPECT_THROW(rules.AddPointer("no-slash"), std::exception);
}

}  // namespace
}  // namespace wsr::viz_test
