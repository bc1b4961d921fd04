// phoenix::SkipValue on strings: the scan goes 8 bytes per step through plain text, so every
// position of a stopping byte (closing quote, escape, control character) relative to those
// steps is checked against a byte-by-byte reference.
#include <gtest/gtest.h>

#include <string>

#include "phoenix/json_scan.h"

namespace wsr::phoenix {
namespace {

constexpr size_t kNpos = std::string_view::npos;

// The byte-by-byte scan of a string literal starting at s[0] == '"'.
size_t ReferenceSkipString(std::string_view s) {
  for (size_t i = 1; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\\') {
      ++i;
    } else if (c == '"') {
      return i + 1;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      return kNpos;
    }
  }
  return kNpos;
}

TEST(SkipValue, StringsAgreeWithAByteByByteScanAtEveryOffset) {
  // Plain bytes include UTF-8 (>= 0x80) and DEL, which do not stop a string.
  const std::string plain = "ab\xc3\xa9\x7f xyz";
  const std::string stops[] = {"\"",   "\\\"", "\\\\", "\\n", "\\u00e9", "\n", std::string(1, '\0'),
                               "\x1f", "\\"};
  int checked = 0;
  for (size_t before = 0; before <= 24; ++before) {
    for (const std::string& stop : stops) {
      for (size_t after = 0; after <= 10; ++after) {
        std::string s = "\"";
        for (size_t k = 0; k < before; ++k) s += plain[k % plain.size()];
        s += stop;
        for (size_t k = 0; k < after; ++k) s += plain[k % plain.size()];
        for (const bool closed : {false, true}) {
          const std::string text = closed ? s + "\"" : s;
          EXPECT_EQ(SkipValue(text, 0), ReferenceSkipString(text))
              << "before " << before << ", stop '" << stop << "', after " << after
              << (closed ? ", closed" : ", unterminated");
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 4000);
}

TEST(SkipValue, LongStringsAndTheirEnds) {
  std::string body(4096, 'x');
  EXPECT_EQ(SkipValue("\"" + body + "\"", 0), body.size() + 2);
  EXPECT_EQ(SkipValue("\"" + body, 0), kNpos) << "unterminated";
  std::string escaped = body;
  escaped[4000] = '\\';
  escaped[4001] = '"';
  EXPECT_EQ(SkipValue("\"" + escaped + "\"", 0), escaped.size() + 2) << "an escaped quote";
  std::string control = body;
  control[3001] = '\t';
  EXPECT_EQ(SkipValue("\"" + control + "\"", 0), kNpos) << "a raw tab is not JSON";
  const std::string frame = "[null,null,\"room:1\",\"msg\",{\"text\":\"" + body + "\"}]";
  EXPECT_EQ(SkipValue(frame, 0), frame.size());
}

}  // namespace
}  // namespace wsr::phoenix
