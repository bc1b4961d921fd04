// The command line as a user meets it: help, version, and wrong input answered with one
// line and a non-zero exit.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

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

// Numbers beyond what wsreplay can honour are refused before anything starts or is created: a
// negative --max-message-size (which CLI11 reads into an unsigned as 2^64 - 1) or one above
// 256 MiB (a cassette row's ceiling), a duration beyond 36 years.
TEST(Cli, OutOfRangeNumbersAreOneLineAndCreateNothing) {
  TempDir t;
  const std::string cassette = t.File("never.cassette");
  const std::string jsonl = t.File("in.jsonl");
  for (const char* size : {"0", "-1", "268435457", "18446744073709551615"}) {
    SCOPED_TRACE(size);
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{WsreplayBin(), "record", "--upstream", "ws://127.0.0.1:1/",
                                   "--listen", "127.0.0.1:0", "--cassette", cassette,
                                   "--max-message-size", size},
          std::vector<std::string>{WsreplayBin(), "import", jsonl, "--cassette", cassette,
                                   "--max-message-size", size}}) {
      auto r = wsr::testing::Run(args);
      EXPECT_EQ(r.status, 1) << args[1];
      EXPECT_EQ(r.err,
                "wsreplay: error: --max-message-size must be from 1 to 268435456 bytes (256 MiB)\n")
          << args[1];
    }
  }
  auto r = wsr::testing::Run({WsreplayBin(), "replay", "--cassette", cassette, "--max-gap",
                              "400000h", "--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err,
            "wsreplay: error: --max-gap: bad duration '400000h': longer than any recording (at "
            "most 36 years)\n");
  EXPECT_FALSE(std::ifstream(cassette).good());
}

}  // namespace
}  // namespace wsr::testing
