#include "wire/mask.h"

#include <gtest/gtest.h>

#include <string>

namespace {

TEST(Mask, Rfc6455ExampleHello) {
  // RFC 6455 5.7: a masked "Hello" with key 37 fa 21 3d.
  const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
  uint8_t masked[] = {0x7f, 0x9f, 0x4d, 0x51, 0x58};
  wsr::wire::ApplyMask(masked, sizeof masked, key, 0);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(masked), 5), "Hello");
}

TEST(Mask, PiecewiseEqualsWholeAtEveryOffsetAndAlignment) {
  const uint8_t key[4] = {0x01, 0x80, 0xfe, 0x33};
  std::string plain;
  for (int i = 0; i < 200; ++i) plain.push_back(static_cast<char>(i * 7));
  std::string whole = plain;
  wsr::wire::ApplyMask(reinterpret_cast<uint8_t*>(whole.data()), whole.size(), key, 0);
  for (size_t cut = 0; cut <= plain.size(); ++cut) {
    std::string buf = " " + plain;  // misaligned start
    auto* p = reinterpret_cast<uint8_t*>(buf.data() + 1);
    wsr::wire::ApplyMask(p, cut, key, 0);
    wsr::wire::ApplyMask(p + cut, plain.size() - cut, key, cut);
    ASSERT_EQ(buf.substr(1), whole) << "cut at " << cut;
  }
}

}  // namespace
