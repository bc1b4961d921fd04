// Smoke test of wsreplay-bench: the quick mode runs every section against the real binaries
// and prints its tables. It checks the program works (echo upstream, load generator, writer,
// summary), never how fast anything is.
#include <gtest/gtest.h>

#include <string>

#include "tests/support/process.h"

namespace {

namespace wt = wsr::testing;

TEST(BenchSmoke, QuickRunPrintsEverySection) {
  // nginx is fast to start and exercises the peer plumbing when installed; mitmdump
  // (a Python start-up of seconds) is left to real runs.
  auto r = wt::Run({WSREPLAY_BENCH_BIN, "--quick", "--peers", "nginx", "--wsreplay", WSREPLAY_BIN},
                   {}, std::chrono::seconds(120));
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  for (const char* heading :
       {"== Relay", "== Recorder", "== Memory", "== Replay", "== REST", "== Summary"}) {
    EXPECT_NE(r.out.find(heading), std::string::npos) << heading << "\n" << r.out;
  }
  // The direct run must have produced figures: a row "direct  64 B  <n> ...".
  EXPECT_NE(r.out.find("| direct | "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("| direct | failed"), std::string::npos) << r.out;
  // The recorder section writes 5,000 frames and reads them all back.
  EXPECT_NE(r.out.find("5,000 (all)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| target | figure | verdict |"), std::string::npos) << r.out;
  // The REST section replayed its recorded GETs and measured record (nothing skipped).
  EXPECT_NE(r.out.find("1,900 recorded GETs answered in order"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("GET through wsreplay record"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("rest replay:"), std::string::npos) << r.out;
}

TEST(BenchSmoke, RejectsAnUnknownSection) {
  auto r = wt::Run({WSREPLAY_BENCH_BIN, "--sections", "nope"}, {}, std::chrono::seconds(30));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("unknown section 'nope'"), std::string::npos) << r.err;
}

}  // namespace
