// OutgoingQueue without a socket: the bytes a client receives (RFC 6455 server frames, one per
// recorded fragment), batching up to 64 KiB with the frames' deadlines, closes and drops after
// the data, and the headroom lws_write needs.
#include "replay/outgoing_queue.h"

#include <gtest/gtest.h>

#include <string>

namespace wsr::replay {
namespace {

Action Send(std::string payload, int opcode = 1, std::vector<uint32_t> fragments = {},
            int64_t deadline = -1) {
  Action a;
  a.opcode = opcode;
  a.payload = std::move(payload);
  a.fragments = std::move(fragments);
  a.deadline_ns = deadline;
  return a;
}

std::string Hex(std::string_view bytes) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (unsigned char c : bytes) {
    s += d[c >> 4];
    s += d[c & 15];
  }
  return s;
}

TEST(OutgoingQueue, FramesMessagesWithTheShortestLengthAndTheRecordedFragments) {
  OutgoingQueue q(16);
  q.PushMessage(Send("hi"));
  q.PushMessage(Send(std::string("\x01\x02", 2), 2));
  q.PushMessage(Send("abcdef", 1, {2, 4}));  // two fragments: text, then continuation + FIN
  q.PushMessage(Send("xyz", 1, {1, 1}));     // fragments that do not add up: one frame
  ASSERT_EQ(q.size(), 1u);                   // one batch
  OutgoingQueue::Entry& e = q.front();
  EXPECT_EQ(e.buf.size(), 16 + q.Bytes(e).size());  // the headroom comes first
  EXPECT_EQ(Hex(q.Bytes(e)), "8102" + Hex("hi") + "82020102" + "0102" + Hex("ab") + "8004" +
                                 Hex("cdef") + "8103" + Hex("xyz"));
}

// A recorded ping or pong goes out as that control frame (FIN, never fragmented, whatever its
// recorded fragments say), in order with the data frames; an unknown opcode goes as text.
TEST(OutgoingQueue, PingsAndPongsAreControlFrames) {
  OutgoingQueue q(0);
  q.PushMessage(Send("a"));
  q.PushMessage(Send("ping?", 9));
  q.PushMessage(Send("pong", 10, {2, 2}));
  q.PushMessage(Send("z", 7));
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(Hex(q.Bytes(q.front())),
            "8101" + Hex("a") + "8905" + Hex("ping?") + "8a04" + Hex("pong") + "8101" + Hex("z"));
}

TEST(OutgoingQueue, LongPayloadsUseTheExtendedLengths) {
  OutgoingQueue q(0);
  q.PushMessage(Send(std::string(126, 'a')));
  q.PushMessage(Send(std::string(70000, 'b')));
  ASSERT_EQ(q.size(), 1u);
  std::string_view b = q.Bytes(q.front());
  EXPECT_EQ(Hex(b.substr(0, 4)), "817e007e");  // 16-bit length 126
  std::string_view second = b.substr(4 + 126);
  EXPECT_EQ(Hex(second.substr(0, 10)), "817f0000000000011170");  // 64-bit length 70000
  EXPECT_EQ(second.size(), 10u + 70000u);
}

TEST(OutgoingQueue, BatchesUpTo64KiBAndKeepTheirFramesDeadlines) {
  OutgoingQueue q(8);
  q.PushMessage(Send(std::string(40000, 'a'), 1, {}, 100));
  q.PushMessage(Send(std::string(40000, 'b'), 1, {}, 200));  // the batch is not full yet
  q.PushMessage(Send("c", 1, {}, -1));                       // over 64 KiB: a new batch
  q.PushMessage(Send("d", 1, {}, 300));
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q.front().deadlines, (std::vector<int64_t>{100, 200}));
  q.pop_front();
  EXPECT_EQ(q.front().deadlines, (std::vector<int64_t>{300}));  // no deadline for "c"
  EXPECT_EQ(Hex(q.Bytes(q.front())), "8101" + Hex("c") + "8101" + Hex("d"));
}

TEST(OutgoingQueue, CloseAndDropAreEntriesAfterTheData) {
  OutgoingQueue q(4);
  q.PushMessage(Send("last"));
  q.PushClose(4001, std::string(200, 'r'));
  q.PushDrop();
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q.front().kind, OutgoingQueue::Entry::Kind::kData);
  q.pop_front();
  EXPECT_EQ(q.front().kind, OutgoingQueue::Entry::Kind::kClose);
  EXPECT_EQ(q.front().close_code, 4001);
  EXPECT_EQ(q.front().close_reason.size(), 123u);  // what a close frame can carry
  q.pop_front();
  EXPECT_EQ(q.front().kind, OutgoingQueue::Entry::Kind::kDrop);
  q.clear();
  EXPECT_TRUE(q.empty());
}

}  // namespace
}  // namespace wsr::replay
