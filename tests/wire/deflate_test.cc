#include "wire/deflate.h"

#include <gtest/gtest.h>

#include <string>

#include "wire/ws_parser.h"

namespace wsr::wire {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

std::string InflateOk(MessageInflater& inf, std::string_view compressed) {
  std::string out, error;
  EXPECT_TRUE(inf.Inflate(compressed, 1 << 20, &out, &error)) << error;
  return out;
}

// Text that compresses well but not trivially.
std::string SampleText(size_t n) {
  std::string s;
  for (size_t i = 0; s.size() < n; ++i) {
    s += "{\"topic\":\"chat_room:" + std::to_string(i % 7) + "\",\"event\":\"message_created\"}";
  }
  s.resize(n);
  return s;
}

// Bytes that do not compress.
std::string Noise(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 12345;
  for (auto& c : s) {
    x = x * 1664525 + 1013904223;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

// ---- RFC 7692 section 7.2.3 examples ----

TEST(Deflate, Rfc7692HelloInOneFrame) {
  // 7.2.3.1: 0xc1 0x07 0xf2 0x48 0xcd 0xc9 0xc9 0x07 0x00.
  const std::string frame = Bytes({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00});
  struct Sink : FrameSink {
    FrameInfo info;
    std::string payload;
    void OnFrameStart(const FrameInfo& f) override { info = f; }
    void OnFramePayload(const FrameInfo&, const uint8_t* d, size_t n, uint64_t) override {
      payload.append(reinterpret_cast<const char*>(d), n);
    }
    void OnFrameEnd(const FrameInfo&) override {}
    void OnViolation(const FrameInfo*, Violation v) override { ADD_FAILURE() << ViolationText(v); }
  } sink;
  FrameParser parser({.role = Role::kServer, .allow_rsv1 = true});
  parser.Feed(reinterpret_cast<const uint8_t*>(frame.data()), frame.size(), sink);
  EXPECT_TRUE(sink.info.compressed);
  MessageInflater inf(15, false);
  EXPECT_EQ(InflateOk(inf, sink.payload), "Hello");
}

TEST(Deflate, Rfc7692HelloInTwoFragments) {
  // 7.2.3.1: 0x41 0x03 0xf2 0x48 0xcd, then 0x80 0x04 0xc9 0xc9 0x07 0x00.
  MessageInflater inf(15, false);
  EXPECT_EQ(InflateOk(inf, Bytes({0xf2, 0x48, 0xcd}) + Bytes({0xc9, 0xc9, 0x07, 0x00})), "Hello");
}

TEST(Deflate, Rfc7692SharedWindowSecondHello) {
  // 7.2.3.2: the second "Hello" refers to the first through the shared LZ77 window.
  const std::string first = Bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00});
  const std::string second = Bytes({0xf2, 0x00, 0x11, 0x00, 0x00});
  MessageInflater takeover(15, false);
  EXPECT_EQ(InflateOk(takeover, first), "Hello");
  EXPECT_EQ(InflateOk(takeover, second), "Hello");
  // Without context takeover the reference has nothing to point at.
  MessageInflater fresh(15, true);
  EXPECT_EQ(InflateOk(fresh, first), "Hello");
  std::string out, error;
  EXPECT_FALSE(fresh.Inflate(second, 1 << 20, &out, &error));
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(out, "");
}

TEST(Deflate, Rfc7692StoredBlock) {
  // 7.2.3.3: a DEFLATE block with no compression.
  MessageInflater inf(15, false);
  EXPECT_EQ(
      InflateOk(inf, Bytes({0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00})),
      "Hello");
}

TEST(Deflate, Rfc7692BfinalBlockKeepsTheWindow) {
  // 7.2.3.4: a block with BFINAL set, then (our addition) a message referring back to it.
  MessageInflater inf(15, false);
  EXPECT_EQ(InflateOk(inf, Bytes({0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00})), "Hello");
  EXPECT_EQ(InflateOk(inf, Bytes({0xf2, 0x00, 0x11, 0x00, 0x00})), "Hello");
}

TEST(Deflate, Rfc7692TwoBlocksInOneMessage) {
  // 7.2.3.5.
  MessageInflater inf(15, false);
  EXPECT_EQ(InflateOk(inf, Bytes({0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9,
                                  0x07, 0x00})),
            "Hello");
}

TEST(Deflate, DeflaterProducesTheRfcBytes) {
  MessageDeflater def(15, false);
  EXPECT_EQ(def.Deflate("Hello"), Bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
  EXPECT_EQ(def.Deflate("Hello"), Bytes({0xf2, 0x00, 0x11, 0x00, 0x00}));
}

// ---- context takeover ----

TEST(Deflate, ContextTakeoverMakesARepeatShorter) {
  const std::string msg = SampleText(2000);
  MessageDeflater takeover(15, false);
  const std::string a = takeover.Deflate(msg), b = takeover.Deflate(msg);
  EXPECT_LT(b.size(), a.size() / 2);
  MessageDeflater fresh(15, true);
  const std::string c = fresh.Deflate(msg), d = fresh.Deflate(msg);
  EXPECT_EQ(c, d);
  EXPECT_EQ(c, a);

  MessageInflater right(15, false);
  EXPECT_EQ(InflateOk(right, a), msg);
  EXPECT_EQ(InflateOk(right, b), msg);
  MessageInflater wrong(15, true);  // the receiver forgot the window the sender kept
  EXPECT_EQ(InflateOk(wrong, a), msg);
  std::string out, error;
  const bool ok = wrong.Inflate(b, 1 << 20, &out, &error);
  EXPECT_TRUE(!ok || out != msg);

  MessageInflater plain(15, true);
  EXPECT_EQ(InflateOk(plain, c), msg);
  EXPECT_EQ(InflateOk(plain, d), msg);
}

TEST(Deflate, EmptyMessages) {
  // RFC 7692 7.2.3.6: an empty message compresses to a single 0x00.
  MessageDeflater def(15, false);
  MessageInflater inf(15, false);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(def.Deflate(""), Bytes({0x00}));
    EXPECT_EQ(InflateOk(inf, Bytes({0x00})), "");
    EXPECT_EQ(InflateOk(inf, def.Deflate("Hello")), "Hello");
  }
  // An empty payload (not valid DEFLATE) reads as an empty message and keeps the window.
  EXPECT_EQ(InflateOk(inf, ""), "");
  EXPECT_EQ(InflateOk(inf, def.Deflate("Hello")), "Hello");
}

TEST(Deflate, RoundTripAtEveryWindowSize) {
  for (int bits = 8; bits <= 15; ++bits) {
    for (bool no_takeover : {false, true}) {
      MessageDeflater def(bits, no_takeover);
      MessageInflater inf(bits, no_takeover);
      for (const std::string& msg : {SampleText(5000), Noise(3000), std::string(), SampleText(1),
                                     std::string(100000, 'a')}) {
        const std::string z = def.Deflate(msg);
        EXPECT_EQ(InflateOk(inf, z), msg) << bits << " " << no_takeover << " " << msg.size();
      }
    }
  }
}

TEST(Deflate, LargeMessageRoundTrip) {
  const std::string msg = SampleText(3 << 20) + Noise(1 << 20);
  MessageDeflater def(15, false);
  MessageInflater inf(15, false);
  const std::string z = def.Deflate(msg);
  std::string out = "prefix:", error;
  ASSERT_TRUE(inf.Inflate(z, msg.size(), &out, &error)) << error;
  EXPECT_EQ(out, "prefix:" + msg) << "Inflate appends";
}

// ---- limits and corrupt input ----

TEST(Deflate, OutputCapStopsInflation) {
  const std::string msg(100000, 'a');
  MessageDeflater def(15, true);
  const std::string z = def.Deflate(msg);
  MessageInflater inf(15, true);
  std::string out = "kept", error;
  EXPECT_FALSE(inf.Inflate(z, msg.size() - 1, &out, &error));
  EXPECT_NE(error.find("larger than"), std::string::npos) << error;
  EXPECT_EQ(out, "kept") << "a failed message leaves *out as it was";
  EXPECT_TRUE(inf.Inflate(z, msg.size(), &out, &error)) << error;
  EXPECT_EQ(out, "kept" + msg);
}

TEST(Deflate, BombIsRefusedWithBoundedOutput) {
  MessageDeflater def(15, true);
  const std::string z = def.Deflate(std::string(64 << 20, '\0'));
  EXPECT_LT(z.size(), 100000u);
  MessageInflater inf(15, true);
  std::string out, error;
  EXPECT_FALSE(inf.Inflate(z, 1 << 20, &out, &error));
  EXPECT_TRUE(out.empty());
  EXPECT_LE(out.capacity(), size_t{4} << 20);
}

TEST(Deflate, CorruptInputFailsWithAMessage) {
  MessageInflater inf(15, false);
  std::string out, error;
  EXPECT_FALSE(inf.Inflate(Bytes({0xff, 0xff, 0xff, 0xff}), 1 << 20, &out, &error));
  EXPECT_FALSE(error.empty());
  EXPECT_TRUE(out.empty());
  // Stored block whose length check does not match.
  EXPECT_FALSE(inf.Inflate(Bytes({0x00, 0x05, 0x00, 0x00, 0x00, 'H'}), 1 << 20, &out, &error));
  // The inflater is usable again for a fresh message.
  EXPECT_EQ(InflateOk(inf, Bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00})), "Hello");
}

// ---- negotiation ----

TEST(DeflateParams, AbsentIsNotAnError) {
  std::string error = "stale";
  EXPECT_FALSE(ParseDeflateResponse("", &error).has_value());
  EXPECT_EQ(error, "");
  EXPECT_FALSE(ParseDeflateResponse("x-webkit-deflate-frame", &error).has_value());
  EXPECT_EQ(error, "");
  EXPECT_FALSE(ParseDeflateResponse("permessage-deflatex; a=1", &error).has_value());
  EXPECT_EQ(error, "");
}

TEST(DeflateParams, Defaults) {
  std::string error;
  auto p = ParseDeflateResponse("permessage-deflate", &error);
  ASSERT_TRUE(p.has_value()) << error;
  EXPECT_FALSE(p->server_no_context_takeover);
  EXPECT_FALSE(p->client_no_context_takeover);
  EXPECT_EQ(p->server_max_window_bits, 15);
  EXPECT_EQ(p->client_max_window_bits, 15);
}

TEST(DeflateParams, AllParameters) {
  std::string error;
  auto p = ParseDeflateResponse(
      "foo; bar=\"a,b;c\", Permessage-Deflate ; server_no_context_takeover;"
      "client_no_context_takeover; server_max_window_bits=9 ; client_max_window_bits = \"10\"",
      &error);
  ASSERT_TRUE(p.has_value()) << error;
  EXPECT_TRUE(p->server_no_context_takeover);
  EXPECT_TRUE(p->client_no_context_takeover);
  EXPECT_EQ(p->server_max_window_bits, 9);
  EXPECT_EQ(p->client_max_window_bits, 10);
  p = ParseDeflateResponse("permessage-deflate; client_max_window_bits=8", &error);
  ASSERT_TRUE(p.has_value()) << error;
  EXPECT_EQ(p->client_max_window_bits, 8);
}

TEST(DeflateParams, MalformedAnswersAreErrors) {
  for (const char* bad : {
           "permessage-deflate; client_max_window_bits",  // a response must give a value
           "permessage-deflate; server_max_window_bits",
           "permessage-deflate; client_max_window_bits=7",
           "permessage-deflate; client_max_window_bits=16",
           "permessage-deflate; server_max_window_bits=010",
           "permessage-deflate; server_max_window_bits=abc",
           "permessage-deflate; server_max_window_bits=",
           "permessage-deflate; server_max_window_bits=\"1\"0",
           "permessage-deflate; server_max_window_bits=\"10",
           "permessage-deflate; unknown_param",
           "permessage-deflate; server_no_context_takeover=1",
           "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
           "permessage-deflate; client_max_window_bits=10; client_max_window_bits=11",
           "permessage-deflate, permessage-deflate",
       }) {
    std::string error;
    EXPECT_FALSE(ParseDeflateResponse(bad, &error).has_value()) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

}  // namespace
}  // namespace wsr::wire
