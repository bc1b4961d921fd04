// EscapeControls: what a hostile session name, topic or client frame becomes on a terminal.
#include "common/terminal_text.h"

#include <gtest/gtest.h>

namespace wsr {
namespace {

TEST(EscapeControls, EscapeSequencesBecomeVisibleText) {
  EXPECT_EQ(EscapeControls("\x1b]0;pwned\x07 and \x1b[2J"), "\\x1b]0;pwned\\x07 and \\x1b[2J");
  EXPECT_EQ(EscapeControls(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(EscapeControls("del\x7f"), "del\\x7f");
  EXPECT_EQ(EscapeControls("cr\rlf\ntab\t"), "cr\\x0dlf\\x0atab\\x09");
}

TEST(EscapeControls, C1ControlsAndInvalidUtf8AreEscaped) {
  // U+009B is CSI on terminals that honour C1 controls; as UTF-8 it is C2 9B.
  EXPECT_EQ(EscapeControls("\xc2\x9b"
                           "2J"),
            "\\u009b2J");
  // A lone 0x9B byte (8-bit CSI), a truncated sequence, an overlong '/'.
  EXPECT_EQ(EscapeControls("\x9b"
                           "2J"),
            "\\x9b2J");
  EXPECT_EQ(EscapeControls("\xe2\x82"), "\\xe2\\x82");
  EXPECT_EQ(EscapeControls("\xc0\xaf"), "\\xc0\\xaf");
}

TEST(EscapeControls, PrintableTextIsUnchanged) {
  std::string text = "chat_room:5f0c \xc3\xa9t\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x99\x82 back\\slash";
  EXPECT_EQ(EscapeControls(text), text);
}

TEST(EscapeControls, OwnMultiLineOutputKeepsItsLineBreaks) {
  EXPECT_EQ(EscapeControls("a\tb\nc\x1b\n", LineBreaks::kKeepLineBreaks), "a\tb\nc\\x1b\n");
}

}  // namespace
}  // namespace wsr
