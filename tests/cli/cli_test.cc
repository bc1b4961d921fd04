// The command line as a user meets it: help, version, and wrong input answered with one
// line and a non-zero exit.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support/process.h"

namespace wsr::testing {
namespace {

TEST(Cli, HelpListsEveryCommand) {
  auto r = wsr::testing::Run({WsreplayBin(), "--help"});
  EXPECT_EQ(r.status, 0);
  for (const char* cmd :
       {"record", "replay", "auto", "exec", "sim", "demo", "ls", "show", "export", "import",
        "timeline", "diff", "lint", "redact", "cut", "sessions", "merge", "stats"}) {
    EXPECT_NE(r.out.find(std::string("  ") + cmd + " "), std::string::npos) << cmd;
  }
}

TEST(Cli, VersionPrintsTheVersion) {
  auto r = wsr::testing::Run({WsreplayBin(), "--version"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out.rfind("wsreplay ", 0), 0u) << r.out;
}

TEST(Cli, UnknownCommandNamesItAndTheRealOnes) {
  auto r = wsr::testing::Run({WsreplayBin(), "frobnicate"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("record, replay"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(Cli, MissingRequiredFlagIsOneLineAndExit2) {
  auto r =
      wsr::testing::Run({WsreplayBin(), "record", "--cassette", "/tmp/never-created.cassette"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--upstream is required"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace wsr::testing
