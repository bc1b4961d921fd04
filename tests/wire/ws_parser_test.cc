#include "wire/ws_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wire/mask.h"

namespace wsr::wire {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

struct Frame {
  FrameInfo info;
  std::string payload;  // unmasked
  std::vector<Violation> violations;
  bool ended = false;
};

// Records what a recorder would see: frames with their unmasked payload and violations, and a
// log of events in order (payload pieces coalesced, so that any split gives the same log).
class RecordingSink : public FrameSink {
 public:
  std::vector<Frame> frames;
  std::vector<std::string> log;

  void OnFrameStart(const FrameInfo& f) override {
    EXPECT_TRUE(frames.empty() || frames.back().ended) << "frame started inside a frame";
    frames.push_back({f, "", {}, false});
    log.push_back("start op=" + std::to_string(f.opcode) + " fin=" + std::to_string(f.fin) +
                  " len=" + std::to_string(f.length) + " msg=" + std::to_string(f.message_opcode) +
                  " z=" + std::to_string(f.compressed) + " at=" + std::to_string(f.stream_offset));
  }
  void OnFramePayload(const FrameInfo& f, const uint8_t* data, size_t len,
                      uint64_t offset) override {
    ASSERT_FALSE(frames.empty());
    Frame& fr = frames.back();
    EXPECT_FALSE(fr.ended);
    EXPECT_GT(len, 0u);
    EXPECT_EQ(offset, fr.payload.size()) << "payload pieces must be contiguous";
    EXPECT_EQ(f.stream_offset, fr.info.stream_offset);
    std::string piece(reinterpret_cast<const char*>(data), len);
    if (f.masked) ApplyMask(reinterpret_cast<uint8_t*>(piece.data()), len, f.mask, offset);
    fr.payload += piece;
  }
  void OnFrameEnd(const FrameInfo& f) override {
    ASSERT_FALSE(frames.empty());
    Frame& fr = frames.back();
    EXPECT_EQ(fr.payload.size(), f.length);
    fr.ended = true;
    log.push_back("end payload=" + fr.payload);
  }
  void OnViolation(const FrameInfo* f, Violation v) override {
    ASSERT_NE(f, nullptr);
    ASSERT_FALSE(frames.empty());
    frames.back().violations.push_back(v);
    log.push_back(std::string("violation ") + ViolationText(v) +
                  " payload_so_far=" + std::to_string(frames.back().payload.size()));
  }
};

void Feed(FrameParser& p, std::string_view bytes, FrameSink& sink) {
  p.Feed(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), sink);
}

RecordingSink ParseAll(Role role, std::string_view bytes, ParserOptions o = {}) {
  o.role = role;
  FrameParser p(o);
  RecordingSink sink;
  Feed(p, bytes, sink);
  EXPECT_EQ(p.bytes_fed(), bytes.size());
  return sink;
}

const uint8_t kKey[4] = {0x37, 0xfa, 0x21, 0x3d};

// ---- RFC 6455 section 5.7 examples ----

TEST(WsParser, Rfc6455SingleFrameUnmaskedText) {
  auto s = ParseAll(Role::kServer, Bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
  ASSERT_EQ(s.frames.size(), 1u);
  const Frame& f = s.frames[0];
  EXPECT_TRUE(f.ended);
  EXPECT_TRUE(f.info.fin);
  EXPECT_EQ(f.info.opcode, kOpText);
  EXPECT_EQ(f.info.message_opcode, kOpText);
  EXPECT_FALSE(f.info.masked);
  EXPECT_EQ(f.info.length, 5u);
  EXPECT_EQ(f.payload, "Hello");
  EXPECT_TRUE(f.violations.empty());
}

TEST(WsParser, Rfc6455SingleFrameMaskedText) {
  auto s = ParseAll(Role::kClient,
                    Bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
  ASSERT_EQ(s.frames.size(), 1u);
  EXPECT_TRUE(s.frames[0].info.masked);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(s.frames[0].info.mask), 4),
            Bytes({0x37, 0xfa, 0x21, 0x3d}));
  EXPECT_EQ(s.frames[0].payload, "Hello");
  EXPECT_TRUE(s.frames[0].violations.empty());
}

TEST(WsParser, Rfc6455FragmentedUnmaskedText) {
  FrameParser p({.role = Role::kServer});
  RecordingSink s;
  Feed(p, Bytes({0x01, 0x03, 0x48, 0x65, 0x6c}), s);
  EXPECT_TRUE(p.mid_message());
  EXPECT_FALSE(p.mid_frame());
  Feed(p, Bytes({0x80, 0x02, 0x6c, 0x6f}), s);
  EXPECT_FALSE(p.mid_message());
  ASSERT_EQ(s.frames.size(), 2u);
  EXPECT_FALSE(s.frames[0].info.fin);
  EXPECT_EQ(s.frames[0].info.opcode, kOpText);
  EXPECT_EQ(s.frames[0].payload, "Hel");
  EXPECT_TRUE(s.frames[1].info.fin);
  EXPECT_EQ(s.frames[1].info.opcode, kOpContinuation);
  EXPECT_EQ(s.frames[1].info.message_opcode, kOpText);
  EXPECT_EQ(s.frames[1].info.stream_offset, 5u);
  EXPECT_EQ(s.frames[1].payload, "lo");
  EXPECT_TRUE(s.frames[0].violations.empty());
  EXPECT_TRUE(s.frames[1].violations.empty());
}

TEST(WsParser, Rfc6455UnmaskedPingAndMaskedPong) {
  auto ping = ParseAll(Role::kServer, Bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
  ASSERT_EQ(ping.frames.size(), 1u);
  EXPECT_EQ(ping.frames[0].info.opcode, kOpPing);
  EXPECT_EQ(ping.frames[0].info.message_opcode, kOpPing);
  EXPECT_EQ(ping.frames[0].payload, "Hello");
  EXPECT_TRUE(ping.frames[0].violations.empty());
  auto pong = ParseAll(Role::kClient,
                       Bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
  ASSERT_EQ(pong.frames.size(), 1u);
  EXPECT_EQ(pong.frames[0].info.opcode, kOpPong);
  EXPECT_EQ(pong.frames[0].payload, "Hello");
  EXPECT_TRUE(pong.frames[0].violations.empty());
}

TEST(WsParser, Rfc6455BinaryWith16And64BitLengths) {
  std::string body256(256, '\0'), body64k(65536, '\0');
  for (size_t i = 0; i < body256.size(); ++i) body256[i] = static_cast<char>(i);
  for (size_t i = 0; i < body64k.size(); ++i) body64k[i] = static_cast<char>(i * 31);
  auto s =
      ParseAll(Role::kServer,
               Bytes({0x82, 0x7E, 0x01, 0x00}) + body256 +
                   Bytes({0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00}) + body64k);
  ASSERT_EQ(s.frames.size(), 2u);
  EXPECT_EQ(s.frames[0].info.length, 256u);
  EXPECT_EQ(s.frames[0].payload, body256);
  EXPECT_EQ(s.frames[1].info.length, 65536u);
  EXPECT_EQ(s.frames[1].info.stream_offset, 4u + 256u);
  EXPECT_EQ(s.frames[1].payload, body64k);
  EXPECT_TRUE(s.frames[0].violations.empty());
  EXPECT_TRUE(s.frames[1].violations.empty());
}

// ---- length encodings ----

TEST(WsParser, EveryLengthEncodingAtItsBoundaries) {
  struct Case {
    size_t len, header;
  };
  for (Case c : {Case{0, 2}, Case{1, 2}, Case{125, 2}, Case{126, 4}, Case{127, 4}, Case{65535, 4},
                 Case{65536, 10}, Case{65537, 10}}) {
    std::string payload(c.len, 'x');
    if (c.len) payload.back() = 'y';
    for (bool masked : {false, true}) {
      std::string wire = EncodeFrame(kOpBinary, payload, true, masked ? kKey : nullptr);
      ASSERT_EQ(wire.size(), c.header + (masked ? 4 : 0) + c.len) << c.len;
      auto s = ParseAll(masked ? Role::kClient : Role::kServer, wire);
      ASSERT_EQ(s.frames.size(), 1u) << c.len;
      EXPECT_EQ(s.frames[0].info.length, c.len);
      EXPECT_EQ(s.frames[0].payload, payload);
      EXPECT_TRUE(s.frames[0].violations.empty()) << c.len;
      EXPECT_TRUE(s.frames[0].ended);
    }
  }
}

TEST(WsParser, ZeroLengthFrameStartsAndEnds) {
  FrameParser p({.role = Role::kServer});
  RecordingSink s;
  Feed(p, EncodeFrame(kOpText, ""), s);
  ASSERT_EQ(s.log.size(), 2u);
  EXPECT_EQ(s.log[1], "end payload=");
  EXPECT_FALSE(p.mid_frame());
}

// ---- fragmentation ----

TEST(WsParser, ControlFramesBetweenFragments) {
  std::string wire =
      EncodeFrame(kOpBinary, "ab", false, kKey) + EncodeFrame(kOpPing, "p", true, kKey) +
      EncodeFrame(kOpContinuation, "cd", false, kKey) + EncodeFrame(kOpPong, "", true, kKey) +
      EncodeFrame(kOpContinuation, "ef", true, kKey) + EncodeFrame(kOpText, "next", true, kKey);
  auto s = ParseAll(Role::kClient, wire);
  ASSERT_EQ(s.frames.size(), 6u);
  const uint8_t msg[] = {kOpBinary, kOpPing, kOpBinary, kOpPong, kOpBinary, kOpText};
  std::string message;
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(s.frames[i].info.message_opcode, msg[i]) << i;
    EXPECT_TRUE(s.frames[i].violations.empty()) << i;
    if (msg[i] == kOpBinary) message += s.frames[i].payload;
  }
  EXPECT_EQ(message, "abcdef");
  EXPECT_EQ(s.frames[5].payload, "next");
}

TEST(WsParser, MidFrameAndHeaderStateAcrossFeeds) {
  FrameParser p({.role = Role::kClient});
  RecordingSink s;
  std::string wire = EncodeFrame(kOpText, std::string(300, 'z'), true, kKey);
  Feed(p, wire.substr(0, 3), s);
  EXPECT_TRUE(p.in_frame_header());
  EXPECT_FALSE(p.mid_frame());
  Feed(p, wire.substr(3, 10), s);
  EXPECT_FALSE(p.in_frame_header());
  EXPECT_TRUE(p.mid_frame());
  Feed(p, wire.substr(13), s);
  EXPECT_FALSE(p.mid_frame());
  EXPECT_EQ(p.bytes_fed(), wire.size());
  ASSERT_EQ(s.frames.size(), 1u);
  EXPECT_EQ(s.frames[0].payload, std::string(300, 'z'));
}

// A stream with every kind of frame, masked, including violations.
std::string MixedClientStream() {
  return EncodeFrame(kOpText, "Hello", true, kKey) +
         EncodeFrame(kOpBinary, std::string(130, 'b'), false, kKey) +
         EncodeFrame(kOpPing, "ping", true, kKey) +
         EncodeFrame(kOpContinuation, "tail", true, kKey) + EncodeFrame(kOpText, "", true, kKey) +
         EncodeFrame(kOpContinuation, "oops", true, kKey) + EncodeFrame(kOpText, "unmasked") +
         EncodeFrame(kOpClose, EncodeClosePayload(1005, "bad"), true, kKey) +
         EncodeFrame(kOpText, "late", true, kKey);
}

TEST(WsParser, EverySplitGivesIdenticalEvents) {
  const std::string wire = MixedClientStream();
  const auto whole = ParseAll(Role::kClient, wire);
  ASSERT_EQ(whole.frames.size(), 9u);
  for (size_t i = 0; i <= wire.size(); ++i) {
    for (size_t j = i; j <= wire.size(); j += (j < i + 20 ? 1 : 7)) {
      FrameParser p({.role = Role::kClient});
      RecordingSink s;
      Feed(p, std::string_view(wire).substr(0, i), s);
      Feed(p, std::string_view(wire).substr(i, j - i), s);
      Feed(p, std::string_view(wire).substr(j), s);
      ASSERT_EQ(s.log, whole.log) << "split at " << i << " and " << j;
    }
  }
}

TEST(WsParser, ByteByByteGivesIdenticalEvents) {
  const std::string wire = MixedClientStream();
  const auto whole = ParseAll(Role::kClient, wire);
  FrameParser p({.role = Role::kClient});
  RecordingSink s;
  for (char c : wire) Feed(p, std::string_view(&c, 1), s);
  EXPECT_EQ(s.log, whole.log);
  EXPECT_EQ(p.bytes_fed(), wire.size());
}

TEST(WsParser, MixedStreamReportsWhatARecorderNeeds) {
  const auto s = ParseAll(Role::kClient, MixedClientStream());
  ASSERT_EQ(s.frames.size(), 9u);
  EXPECT_EQ(s.frames[1].payload + s.frames[3].payload, std::string(130, 'b') + "tail");
  EXPECT_EQ(s.frames[5].violations, std::vector<Violation>{Violation::kUnexpectedContinuation});
  EXPECT_EQ(s.frames[6].violations, std::vector<Violation>{Violation::kUnmaskedClientFrame});
  EXPECT_EQ(s.frames[6].payload, "unmasked");
  EXPECT_EQ(s.frames[7].violations, std::vector<Violation>{Violation::kInvalidCloseCode});
  EXPECT_EQ(s.frames[8].violations, std::vector<Violation>{Violation::kFrameAfterClose});
  EXPECT_EQ(s.frames[8].payload, "late");
}

// ---- violations: each is reported, and the frames after it parse normally ----

struct ViolationCase {
  const char* name;
  Role role;
  std::string bad;  // frame(s) with the violation (the last one carries it)
  Violation expected;
};

std::vector<ViolationCase> ViolationCases() {
  std::string nonmin16 = Bytes({0x81, 0x7E, 0x00, 0x05}) + "abcde";
  std::string nonmin64 = Bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0x00, 0xC8}) + std::string(200, 'q');
  return {
      {"unmasked client", Role::kClient, EncodeFrame(kOpText, "x"),
       Violation::kUnmaskedClientFrame},
      {"masked server", Role::kServer, EncodeFrame(kOpText, "x", true, kKey),
       Violation::kMaskedServerFrame},
      {"rsv2", Role::kServer, Bytes({0xA1, 0x01, 'x'}), Violation::kReservedBits},
      {"rsv3", Role::kServer, Bytes({0x91, 0x01, 'x'}), Violation::kReservedBits},
      {"rsv1 not negotiated", Role::kServer, EncodeFrame(kOpText, "x", true, nullptr, true),
       Violation::kReservedBits},
      {"opcode 3", Role::kServer, EncodeFrame(0x3, "x"), Violation::kReservedOpcode},
      {"opcode 0xB", Role::kServer, EncodeFrame(0xB, "x"), Violation::kReservedOpcode},
      {"fragmented ping", Role::kServer, EncodeFrame(kOpPing, "x", false),
       Violation::kFragmentedControl},
      {"ping 126", Role::kServer, EncodeFrame(kOpPing, std::string(126, 'p')),
       Violation::kControlTooLong},
      {"lone continuation", Role::kServer, EncodeFrame(kOpContinuation, "x"),
       Violation::kUnexpectedContinuation},
      {"text inside message", Role::kServer,
       EncodeFrame(kOpText, "a", false) + EncodeFrame(kOpText, "b"),
       Violation::kExpectedContinuation},
      {"16-bit length 5", Role::kServer, nonmin16, Violation::kNonMinimalLength},
      {"64-bit length 200", Role::kServer, nonmin64, Violation::kNonMinimalLength},
      {"close 1 byte", Role::kServer, EncodeFrame(kOpClose, "x"), Violation::kCloseOnePayloadByte},
      {"close 1005", Role::kServer, EncodeFrame(kOpClose, EncodeClosePayload(1005, "")),
       Violation::kInvalidCloseCode},
      {"close 999 masked", Role::kClient,
       EncodeFrame(kOpClose, EncodeClosePayload(999, "r"), true, kKey),
       Violation::kInvalidCloseCode},
  };
}

TEST(WsParser, EachViolationIsReportedAndParsingContinues) {
  for (const ViolationCase& c : ViolationCases()) {
    const bool masked = c.role == Role::kClient;
    const std::string after = EncodeFrame(kOpBinary, "after", true, masked ? kKey : nullptr);
    const auto s = ParseAll(c.role, c.bad + after);
    ASSERT_GE(s.frames.size(), 2u) << c.name;
    const Frame& bad = s.frames[s.frames.size() - 2];
    EXPECT_EQ(bad.violations, std::vector<Violation>{c.expected}) << c.name;
    EXPECT_TRUE(bad.ended) << c.name;
    const Frame& next = s.frames.back();
    EXPECT_EQ(next.payload, "after") << c.name;
    EXPECT_EQ(next.info.message_opcode, kOpBinary) << c.name;
    // Only a frame after a close is itself a violation here.
    const bool after_close = bad.info.opcode == kOpClose;
    EXPECT_EQ(next.violations, after_close ? std::vector<Violation>{Violation::kFrameAfterClose}
                                           : std::vector<Violation>{})
        << c.name;
  }
}

TEST(WsParser, ViolationComesAfterStartAndBeforePayload) {
  const auto s = ParseAll(Role::kClient, EncodeFrame(kOpText, "abc"));
  ASSERT_EQ(s.log.size(), 3u);
  EXPECT_EQ(s.log[0].rfind("start", 0), 0u);
  EXPECT_EQ(s.log[1], "violation client frame not masked payload_so_far=0");
  EXPECT_EQ(s.log[2], "end payload=abc");
}

TEST(WsParser, LengthWithHighBitIsReportedAndItsPayloadDelivered) {
  FrameParser p({.role = Role::kServer});
  RecordingSink s;
  Feed(p, Bytes({0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0x01}) + "abc", s);
  ASSERT_EQ(s.frames.size(), 1u);
  EXPECT_EQ(s.frames[0].info.length, (uint64_t{1} << 63) + 1);
  EXPECT_EQ(s.frames[0].violations,
            (std::vector<Violation>{Violation::kLengthTooLarge, Violation::kMessageTooBig}));
  EXPECT_EQ(s.frames[0].payload, "abc");
  EXPECT_TRUE(p.mid_frame());
}

TEST(WsParser, Rsv1WithDeflateNegotiated) {
  FrameParser p({.role = Role::kServer});
  p.set_allow_rsv1(true);
  RecordingSink s;
  Feed(p,
       EncodeFrame(kOpText, "a", false, nullptr, true) + EncodeFrame(kOpPing, "", true) +
           EncodeFrame(kOpContinuation, "b", true) + EncodeFrame(kOpBinary, "c") +
           EncodeFrame(kOpContinuation, "d", true, nullptr, true) +
           EncodeFrame(kOpPing, "", true, nullptr, true),
       s);
  ASSERT_EQ(s.frames.size(), 6u);
  EXPECT_TRUE(s.frames[0].info.compressed);
  EXPECT_FALSE(s.frames[1].info.compressed);
  EXPECT_TRUE(s.frames[2].info.compressed) << "continuations inherit RSV1 of the first frame";
  EXPECT_FALSE(s.frames[3].info.compressed);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(s.frames[i].violations.empty()) << i;
  EXPECT_EQ(s.frames[4].violations,
            (std::vector<Violation>{Violation::kReservedBits, Violation::kUnexpectedContinuation}));
  // RSV1 on a continuation or a control frame is never allowed.
  FrameParser q({.role = Role::kServer, .allow_rsv1 = true});
  RecordingSink t;
  Feed(q, EncodeFrame(kOpText, "a", false) + EncodeFrame(kOpContinuation, "b", true, nullptr, true),
       t);
  ASSERT_EQ(t.frames.size(), 2u);
  EXPECT_EQ(t.frames[1].violations, std::vector<Violation>{Violation::kReservedBits});
  EXPECT_EQ(s.frames[5].violations, std::vector<Violation>{Violation::kReservedBits});
}

TEST(WsParser, ValidCloseCodesAreNotViolations) {
  for (int code : {1000, 1001, 1003, 1007, 1011, 1014, 3000, 4999}) {
    const auto s = ParseAll(Role::kServer, EncodeFrame(kOpClose, EncodeClosePayload(code, "bye")));
    ASSERT_EQ(s.frames.size(), 1u);
    EXPECT_TRUE(s.frames[0].violations.empty()) << code;
  }
  const auto empty = ParseAll(Role::kServer, EncodeFrame(kOpClose, ""));
  EXPECT_TRUE(empty.frames[0].violations.empty());
}

TEST(WsParser, InvalidCloseCodeSeenAcrossSplitMaskedPayload) {
  const std::string wire = EncodeFrame(kOpClose, EncodeClosePayload(1006, "x"), true, kKey);
  for (size_t cut = 0; cut <= wire.size(); ++cut) {
    FrameParser p({.role = Role::kClient});
    RecordingSink s;
    Feed(p, wire.substr(0, cut), s);
    Feed(p, wire.substr(cut), s);
    ASSERT_EQ(s.frames.size(), 1u);
    EXPECT_EQ(s.frames[0].violations, std::vector<Violation>{Violation::kInvalidCloseCode}) << cut;
    EXPECT_TRUE(p.close_seen());
  }
}

TEST(WsParser, EveryFrameAfterCloseIsMarked) {
  const auto s = ParseAll(Role::kServer, EncodeFrame(kOpClose, EncodeClosePayload(1000, "")) +
                                             EncodeFrame(kOpText, "a") +
                                             EncodeFrame(kOpClose, EncodeClosePayload(1000, "")));
  ASSERT_EQ(s.frames.size(), 3u);
  EXPECT_TRUE(s.frames[0].violations.empty());
  EXPECT_EQ(s.frames[1].violations, std::vector<Violation>{Violation::kFrameAfterClose});
  EXPECT_EQ(s.frames[1].payload, "a");
  EXPECT_EQ(s.frames[2].violations, std::vector<Violation>{Violation::kFrameAfterClose});
}

TEST(WsParser, SeveralViolationsOnOneFrame) {
  // Unmasked, RSV2, fragmented ping of 200 bytes with a non-minimal 64-bit length, from a client.
  const auto s = ParseAll(Role::kClient,
                          Bytes({0x29, 0x7F, 0, 0, 0, 0, 0, 0, 0, 200}) + std::string(200, 'p'));
  ASSERT_EQ(s.frames.size(), 1u);
  EXPECT_EQ(s.frames[0].violations,
            (std::vector<Violation>{Violation::kUnmaskedClientFrame, Violation::kReservedBits,
                                    Violation::kFragmentedControl, Violation::kControlTooLong,
                                    Violation::kNonMinimalLength}));
  EXPECT_EQ(s.frames[0].payload, std::string(200, 'p'));
}

// ---- max_message_size ----

TEST(WsParser, MessageTooBigReportedOncePerMessageBeforeItsPayload) {
  ParserOptions o{.role = Role::kServer, .max_message_size = 10};
  // 11 bytes in one frame.
  auto one = ParseAll(Role::kServer, EncodeFrame(kOpText, std::string(11, 'a')), o);
  ASSERT_EQ(one.frames.size(), 1u);
  EXPECT_EQ(one.frames[0].violations, std::vector<Violation>{Violation::kMessageTooBig});
  EXPECT_EQ(one.log[1], "violation message larger than the configured maximum payload_so_far=0");
  EXPECT_EQ(one.frames[0].payload, std::string(11, 'a')) << "the payload is still delivered";
  // Exactly 10 is fine.
  auto ten = ParseAll(Role::kServer, EncodeFrame(kOpText, std::string(10, 'a')), o);
  EXPECT_TRUE(ten.frames[0].violations.empty());
  // 6 + 6 + 6 in fragments: reported at the second frame only; the next message is fine.
  auto frag = ParseAll(
      Role::kServer,
      EncodeFrame(kOpBinary, "123456", false) + EncodeFrame(kOpContinuation, "123456", false) +
          EncodeFrame(kOpContinuation, "123456", true) + EncodeFrame(kOpBinary, "small"),
      o);
  ASSERT_EQ(frag.frames.size(), 4u);
  EXPECT_TRUE(frag.frames[0].violations.empty());
  EXPECT_EQ(frag.frames[1].violations, std::vector<Violation>{Violation::kMessageTooBig});
  EXPECT_TRUE(frag.frames[2].violations.empty());
  EXPECT_TRUE(frag.frames[3].violations.empty());
  // 0 means no limit.
  auto unlimited = ParseAll(Role::kServer, EncodeFrame(kOpText, std::string(70000, 'a')),
                            {.role = Role::kServer, .max_message_size = 0});
  EXPECT_TRUE(unlimited.frames[0].violations.empty());
}

// ---- helpers ----

TEST(WsParser, ViolationTextsAreDistinct) {
  std::vector<std::string> seen;
  for (int v = 0; v <= static_cast<int>(Violation::kMessageTooBig); ++v) {
    std::string t = ViolationText(static_cast<Violation>(v));
    EXPECT_FALSE(t.empty());
    for (const auto& other : seen) EXPECT_NE(t, other);
    seen.push_back(t);
  }
  EXPECT_STREQ(ViolationText(Violation::kUnmaskedClientFrame), "client frame not masked");
}

TEST(ClosePayload, ParseAndEncode) {
  auto empty = ParseClosePayload("");
  ASSERT_TRUE(empty.has_value());
  EXPECT_FALSE(empty->code.has_value());
  EXPECT_EQ(empty->reason, "");
  EXPECT_FALSE(ParseClosePayload("x").has_value());
  auto code_only = ParseClosePayload(Bytes({0x03, 0xE8}));
  ASSERT_TRUE(code_only && code_only->code);
  EXPECT_EQ(*code_only->code, 1000);
  EXPECT_EQ(code_only->reason, "");
  auto with_reason = ParseClosePayload(EncodeClosePayload(4001, "going away"));
  ASSERT_TRUE(with_reason && with_reason->code);
  EXPECT_EQ(*with_reason->code, 4001);
  EXPECT_EQ(with_reason->reason, "going away");
  EXPECT_EQ(EncodeClosePayload(1001, "ok"), Bytes({0x03, 0xE9, 'o', 'k'}));
  EXPECT_EQ(*ParseClosePayload(EncodeClosePayload(65535, ""))->code, 65535);
}

TEST(ClosePayload, ValidCodes) {
  for (int c : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999,
                4000, 4999}) {
    EXPECT_TRUE(IsValidCloseCode(c)) << c;
  }
  for (int c : {-1, 0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535}) {
    EXPECT_FALSE(IsValidCloseCode(c)) << c;
  }
}

TEST(EncodeFrame, RoundTripsThroughTheParser) {
  for (uint8_t op : {kOpText, kOpBinary, kOpClose, kOpPing, kOpPong}) {
    for (bool masked : {false, true}) {
      for (bool rsv1 : {false, true}) {
        std::string payload = op == kOpClose ? EncodeClosePayload(1000, "r") : "payload";
        const bool fin = true;
        std::string wire = EncodeFrame(op, payload, fin, masked ? kKey : nullptr, rsv1);
        FrameParser p({.role = masked ? Role::kClient : Role::kServer, .allow_rsv1 = true});
        RecordingSink s;
        Feed(p, wire, s);
        ASSERT_EQ(s.frames.size(), 1u);
        const FrameInfo& f = s.frames[0].info;
        EXPECT_EQ(f.opcode, op);
        EXPECT_EQ(f.fin, fin);
        EXPECT_EQ(f.rsv1, rsv1);
        EXPECT_EQ(f.masked, masked);
        EXPECT_EQ(s.frames[0].payload, payload);
        if (masked) {
          // The wire payload really is masked.
          EXPECT_NE(wire.substr(wire.size() - payload.size()), payload);
        }
      }
    }
  }
  EXPECT_EQ(EncodeFrame(kOpText, "Hello"), Bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
  EXPECT_EQ(EncodeFrame(kOpText, "Hello", true, kKey),
            Bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
  EXPECT_EQ(EncodeFrame(kOpText, "Hel", false), Bytes({0x01, 0x03, 0x48, 0x65, 0x6c}));
}

}  // namespace
}  // namespace wsr::wire
