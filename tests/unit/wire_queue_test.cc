// WireQueue: the frames the relay writes itself must be exactly what RFC 6455 says, handed
// out only in whole frames, and the buffer must be reused rather than grow.
#include "proxy/wire_queue.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace wsr::proxy {
namespace {

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

std::vector<uint8_t> TakeAll(WireQueue& q, size_t max = 1u << 30) {
  std::vector<uint8_t> out;
  while (!q.idle()) {
    auto [p, n] = q.NextChunk(max);
    out.insert(out.end(), p, p + n);
    q.Consume(n);
  }
  return out;
}

TEST(WireQueue, MaskedTextFrameIsTheRfc6455Example) {
  // RFC 6455 section 5.7: a single-frame masked text message "Hello".
  WireQueue q;
  std::array<uint8_t, 4> key{0x37, 0xfa, 0x21, 0x3d};
  q.BeginFrame(true, 1, 5, &key);
  auto hello = Bytes("Hello");
  ASSERT_TRUE(q.Append(hello.data(), 2));  // in two pieces: the key must carry on
  ASSERT_TRUE(q.Append(hello.data() + 2, 3));
  EXPECT_TRUE(q.idle()) << "an unfinished frame is not writable";
  ASSERT_TRUE(q.EndFrame());
  std::vector<uint8_t> want{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
  EXPECT_EQ(TakeAll(q), want);
}

TEST(WireQueue, UnmaskedFragmentsKeepOpcodeAndFin) {
  // RFC 6455 section 5.7: "Hel" then "lo" as a fragmented unmasked text message.
  WireQueue q;
  auto hello = Bytes("Hello");
  q.BeginFrame(false, 1, 3, nullptr);
  q.Append(hello.data(), 3);
  q.SetFin(false);
  q.EndFrame();
  q.BeginFrame(false, 0, 2, nullptr);
  q.Append(hello.data() + 3, 2);
  q.SetFin(true);
  q.EndFrame();
  std::vector<uint8_t> want{0x01, 0x03, 'H', 'e', 'l', 0x80, 0x02, 'l', 'o'};
  EXPECT_EQ(TakeAll(q), want);
}

TEST(WireQueue, LengthEncodingsAndLongMaskedPayload) {
  for (size_t len : {0u, 125u, 126u, 65535u, 65536u, 70000u}) {
    WireQueue q;
    std::vector<uint8_t> payload(len);
    for (size_t i = 0; i < len; ++i) payload[i] = static_cast<uint8_t>(i * 7);
    std::array<uint8_t, 4> key{1, 2, 3, 4};
    q.BeginFrame(true, 2, len, &key);
    // Odd piece sizes so that the 8-byte masking path starts at every key position.
    for (size_t at = 0; at < len;) {
      size_t n = std::min<size_t>(len - at, 13);
      ASSERT_TRUE(q.Append(payload.data() + at, n));
      at += n;
    }
    ASSERT_TRUE(q.EndFrame());
    auto wire = TakeAll(q);
    size_t header = len < 126 ? 2 : len <= 0xffff ? 4 : 10;
    ASSERT_EQ(wire.size(), header + 4 + len) << len;
    EXPECT_EQ(wire[0], 0x82);
    if (len < 126) {
      EXPECT_EQ(wire[1], 0x80 | len);
    } else if (len <= 0xffff) {
      EXPECT_EQ(wire[1], 0x80 | 126);
      EXPECT_EQ((wire[2] << 8) | wire[3], static_cast<int>(len));
    } else {
      EXPECT_EQ(wire[1], 0x80 | 127);
      uint64_t got = 0;
      for (int i = 0; i < 8; ++i) got = (got << 8) | wire[2 + i];
      EXPECT_EQ(got, len);
    }
    for (size_t i = 0; i < len; ++i) {
      ASSERT_EQ(wire[header + 4 + i] ^ key[i & 3], payload[i]) << "byte " << i << " of " << len;
    }
  }
}

TEST(WireQueue, ChunksEndOnFrameBoundariesAndHoldAtLeastOneFrame) {
  WireQueue q;
  std::vector<uint8_t> small(100, 'a'), big(1000, 'b');
  for (auto* p : {&small, &small, &big, &small}) {
    q.BeginFrame(true, 2, p->size(), nullptr);
    q.Append(p->data(), p->size());
    q.EndFrame();
  }
  EXPECT_EQ(q.frames(), 4u);
  EXPECT_EQ(q.bytes(), 3 * 102u + 1004u);
  auto [p1, n1] = q.NextChunk(250);  // two small frames fit, the big one does not
  EXPECT_EQ(n1, 204u);
  q.Consume(n1);
  auto [p2, n2] = q.NextChunk(250);  // a frame larger than max still goes out whole
  EXPECT_EQ(n2, 1004u);
  q.Consume(n2);
  EXPECT_EQ(q.frames(), 1u);
  auto [p3, n3] = q.NextChunk(250);
  EXPECT_EQ(n3, 102u);
  q.Consume(n3);
  EXPECT_TRUE(q.idle());
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(WireQueue, LengthMismatchAndPartialFramesAreRefused) {
  WireQueue q;
  auto data = Bytes("abcdef");
  q.BeginFrame(true, 1, 3, nullptr);
  EXPECT_FALSE(q.Append(data.data(), 4)) << "more than the header announced";
  ASSERT_TRUE(q.Append(data.data(), 2));
  EXPECT_FALSE(q.EndFrame()) << "fewer than announced";
  EXPECT_TRUE(q.idle());
  EXPECT_EQ(q.bytes(), 0u);
  // A half-assembled frame does not count for backpressure and can be dropped.
  q.BeginFrame(true, 1, 6, nullptr);
  q.Append(data.data(), 3);
  EXPECT_EQ(q.bytes(), 0u);
  q.DropPartial();
  EXPECT_FALSE(q.in_frame());
  EXPECT_TRUE(TakeAll(q).empty());
}

TEST(WireQueue, AStreamThatNeverDrainsReusesItsBuffer) {
  // Always one frame left behind: the written front must be compacted away, keeping memory
  // bounded while the data stays in order.
  WireQueue q;
  std::vector<uint8_t> payload(1000);
  uint32_t next_in = 0, next_out = 0;
  auto push = [&] {
    for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(next_in);
    ++next_in;
    q.BeginFrame(true, 2, payload.size(), nullptr);
    q.Append(payload.data(), payload.size());
    q.EndFrame();
  };
  push();
  for (int round = 0; round < 20000; ++round) {
    push();
    auto [p, n] = q.NextChunk(1);  // exactly one frame
    ASSERT_EQ(n, 1004u);
    ASSERT_EQ(p[4], static_cast<uint8_t>(next_out)) << "frames out of order at " << round;
    ++next_out;
    q.Consume(n);
    ASSERT_EQ(q.bytes(), 1004u);
  }
  EXPECT_LT(q.capacity(), 512u << 10) << "20 MB went through; the buffer must not keep it";
}

TEST(MaskKeys, KeysVary) {
  MaskKeys keys;
  std::set<std::array<uint8_t, 4>> seen;
  for (int i = 0; i < 3000; ++i) seen.insert(keys.Next());  // crosses a pool refill
  EXPECT_GT(seen.size(), 2990u);
}

}  // namespace
}  // namespace wsr::proxy
