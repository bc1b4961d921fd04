// timeline, diff and lint on real recordings: `wsreplay demo` records the built-in Thenvoi
// simulator through the proxy (loopback, no network); two runs must lint clean and diff as
// equivalent (their refs, ids, timestamps and timing differ).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace wsr::viz_test {
namespace {

using wsr::testing::TempDir;
using wsr::testing::WsreplayBin;

wsr::testing::RunResult Exec(std::vector<std::string> argv) {
  return wsr::testing::Run(std::move(argv), {}, std::chrono::seconds(120));
}

TEST(Recorded, SimulatorRecordingsLintCleanAndDiffEquivalent) {
  TempDir dir;
  std::string c = dir.File("demo.cassette");
  for (const char* name : {"one", "two"}) {
    auto r = Exec({WsreplayBin(), "demo", "--cassette", c, "--session", name});
    ASSERT_EQ(r.status, 0) << r.out << r.err;
  }
  auto lint = Exec({WsreplayBin(), "lint", c, "--session", "one"});
  EXPECT_EQ(lint.status, 0) << lint.out << lint.err;
  // Clean on both halves: the agent's REST calls are checked too, and nothing is warned about.
  EXPECT_NE(lint.out.find("lint: 0 error(s), 0 warning(s) in "), std::string::npos) << lint.out;
  EXPECT_NE(lint.out.find(" HTTP exchanges of session 'one'"), std::string::npos) << lint.out;

  auto diff = Exec({WsreplayBin(), "diff", c, c, "--session", "one", "--session-b", "two"});
  EXPECT_EQ(diff.status, 0) << diff.out << diff.err;
  EXPECT_NE(diff.out.find("equivalent"), std::string::npos) << diff.out;

  auto tl = Exec({WsreplayBin(), "timeline", c, "--session", "two", "-o", dir.File("t.svg")});
  EXPECT_EQ(tl.status, 0) << tl.err;
  std::string svg = wsr::testing::ReadFile(dir.File("t.svg"));
  EXPECT_NE(svg.find("<path class=\"frame k-join\""), std::string::npos);
  EXPECT_NE(svg.find("<g class=\"exchange s-2xx\""), std::string::npos);
}

}  // namespace
}  // namespace wsr::viz_test
