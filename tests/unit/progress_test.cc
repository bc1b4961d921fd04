// Progress: the line's text, redraws at most once per interval, erasure at the end, and no
// output at all when disabled. Driven with an injected sink and a manual clock (no terminal,
// no sleeping).
#include "common/progress.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace wsr {
namespace {

using std::chrono::milliseconds;
using TimePoint = std::chrono::steady_clock::time_point;

struct Harness {
  std::vector<std::string> writes;
  TimePoint now{};
  Progress::Sink sink() {
    return [this](std::string_view s) { writes.emplace_back(s); };
  }
  Progress::Clock clock() {
    return [this] { return now; };
  }
};

TEST(Progress, FormatsItemsWithAndWithoutTotal) {
  Harness h;
  Progress p("redact big.cassette", {}, h.sink(), h.clock());
  EXPECT_EQ(p.Format(1234), "redact big.cassette: 1,234 frames");
  p.SetTotal(2900);
  EXPECT_EQ(p.Format(1234), "redact big.cassette: 42% (1,234 of 2,900 frames)");
  EXPECT_EQ(p.Format(0), "redact big.cassette: 0% (0 of 2,900 frames)");
  EXPECT_EQ(p.Format(2900), "redact big.cassette: 100% (2,900 of 2,900 frames)");
}

TEST(Progress, FormatsBytes) {
  Harness h;
  Progress p("import a.jsonl", {.unit = Progress::Unit::kBytes}, h.sink(), h.clock());
  p.SetTotal(int64_t{36} << 20);
  EXPECT_EQ(p.Format(int64_t{9} << 20), "import a.jsonl: 25% (9.0 MiB of 36.0 MiB)");
  EXPECT_EQ(p.Format(512), "import a.jsonl: 0% (512 B of 36.0 MiB)");
  p.SetTotal(0);
  EXPECT_EQ(p.Format(int64_t{3} << 30), "import a.jsonl: 3.0 GiB");
  EXPECT_EQ(p.Format(1536), "import a.jsonl: 1.5 KiB");
}

TEST(Progress, FitsTheTerminalWidthAndEscapesControlCharacters) {
  Harness h;
  Progress p("import /a/very/long/directory/name/capture.jsonl", {.width = 40}, h.sink(),
             h.clock());
  p.SetTotal(2900);
  std::string line = p.Format(1234);
  EXPECT_EQ(line, "...e.jsonl: 42% (1,234 of 2,900 frames)");
  EXPECT_LE(line.size(), 39u);
  Progress narrow("import x", {.width = 10}, h.sink(), h.clock());
  EXPECT_EQ(narrow.Format(5), "...: 5 frames");  // the numbers are never cut
  Progress evil("redact \x1b]0;owned\x07.cassette", {}, h.sink(), h.clock());
  EXPECT_EQ(evil.Format(1), "redact \\x1b]0;owned\\x07.cassette: 1 frames");
}

TEST(Progress, RedrawsAtMostOncePerIntervalAndErasesAtTheEnd) {
  Harness h;
  Progress p("cut", {}, h.sink(), h.clock());
  p.SetTotal(100);
  p.Update(1);  // within the first interval: nothing (a quick command never draws)
  EXPECT_TRUE(h.writes.empty());
  h.now += milliseconds(100);
  p.Update(10);
  ASSERT_EQ(h.writes.size(), 1u);
  EXPECT_EQ(h.writes[0], "\rcut: 10% (10 of 100 frames)");
  h.now += milliseconds(50);
  for (int i = 11; i < 60; ++i) p.Update(i);  // a burst within 100 ms: no redraw
  EXPECT_EQ(h.writes.size(), 1u);
  h.now += milliseconds(50);
  p.Update(100);
  ASSERT_EQ(h.writes.size(), 2u);
  EXPECT_EQ(h.writes[1], "\rcut: 100% (100 of 100 frames)");
  // Over one simulated second of updates every millisecond: at most ~10 redraws.
  for (int ms = 0; ms < 1000; ++ms) {
    h.now += milliseconds(1);
    p.Update(50);
  }
  EXPECT_LE(h.writes.size(), 2u + 10u);
  EXPECT_GE(h.writes.size(), 2u + 9u);
  size_t before = h.writes.size();
  p.Finish();
  ASSERT_EQ(h.writes.size(), before + 1);
  // The erase overwrites the widest line drawn with spaces and returns to column 0.
  std::string widest = "cut: 100% (100 of 100 frames)";
  EXPECT_EQ(h.writes.back(), "\r" + std::string(widest.size(), ' ') + "\r");
  p.Finish();  // idempotent
  h.now += milliseconds(500);
  p.Update(1);  // after Finish: nothing
  EXPECT_EQ(h.writes.size(), before + 1);
}

TEST(Progress, AShorterLineOverwritesTheRestOfTheLongerOne) {
  Harness h;
  Progress p("merge", {}, h.sink(), h.clock());
  h.now += milliseconds(100);
  p.Update(123456);  // "merge: 123,456 frames"
  h.now += milliseconds(100);
  p.Update(7);  // "merge: 7 frames" + 6 spaces
  ASSERT_EQ(h.writes.size(), 2u);
  EXPECT_EQ(h.writes[1], "\rmerge: 7 frames      ");
}

TEST(Progress, NothingWrittenWhenNeverDrawnOrDisabled) {
  Harness h;
  {
    Progress quick("export", {}, h.sink(), h.clock());
    quick.Update(5);
  }  // the destructor finishes: nothing was drawn, so nothing is erased
  EXPECT_TRUE(h.writes.empty());
  Progress off("export", {}, nullptr, h.clock());
  EXPECT_FALSE(off.enabled());
  h.now += milliseconds(1000);
  off.Update(5);
  off.Finish();
  EXPECT_TRUE(h.writes.empty());
}

TEST(Progress, DrawsOnlyOnATerminalThatIsNotDumb) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  EXPECT_FALSE(Progress::ShouldDraw(fds[1], "xterm-256color"));  // a pipe is no terminal
  ::close(fds[0]);
  ::close(fds[1]);
  int tty = ::posix_openpt(O_RDWR | O_NOCTTY);
  if (tty < 0) GTEST_SKIP() << "no pseudo-terminal available";
  ASSERT_EQ(::grantpt(tty), 0);
  ASSERT_EQ(::unlockpt(tty), 0);
  int pts = ::open(::ptsname(tty), O_RDWR | O_NOCTTY);
  ASSERT_GE(pts, 0);
  EXPECT_TRUE(Progress::ShouldDraw(pts, "xterm-256color"));
  EXPECT_TRUE(Progress::ShouldDraw(pts, nullptr));
  EXPECT_FALSE(Progress::ShouldDraw(pts, "dumb"));
  ::close(pts);
  ::close(tty);
}

}  // namespace
}  // namespace wsr
