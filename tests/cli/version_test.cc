// What wsreplay says about itself, as a user or a packager meets it:
//  - `wsreplay --version` names the release and the cassette schema it writes;
//  - nothing it prints is coloured or styled, whatever the environment asks for (so NO_COLOR
//    and output that is not a terminal are respected by construction);
//  - the files generated at build time from its --help texts (packaging/gen-docs.sh): the bash
//    completion offers every subcommand `wsreplay --help` lists, each subcommand's flags and the
//    choices of flags that have them; the man page documents every subcommand.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cassettes/model.h"
#include "cli/version.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace wsr::testing {
namespace {

// Where packaging/CMakeLists.txt writes wsreplay.bash and wsreplay.1.
const std::string kDocsDir = WSREPLAY_DOCS_DIR;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::set<std::string> Words(const std::string& text) {
  std::set<std::string> words;
  for (const auto& line : Lines(text)) {
    if (!line.empty()) words.insert(line);
  }
  return words;
}

std::string Help(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {WsreplayBin()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--help");
  auto r = wsr::testing::Run(argv);
  EXPECT_EQ(r.status, 0) << r.err;
  return r.out;
}

// The lines of one "Section:" block of a CLI11 help text.
std::vector<std::string> Section(const std::string& help, const std::string& title) {
  std::vector<std::string> block;
  bool in = false;
  for (const auto& line : Lines(help)) {
    if (line == title + ":") {
      in = true;
    } else if (in && line.empty()) {
      break;
    } else if (in) {
      block.push_back(line);
    }
  }
  return block;
}

// The subcommands `wsreplay --help` lists.
std::set<std::string> ListedCommands() {
  std::set<std::string> commands;
  for (const auto& line : Section(Help({}), "Subcommands")) {
    if (line.rfind("  ", 0) == 0 && line.size() > 2 && line[2] != ' ') {
      commands.insert(line.substr(2, line.find(' ', 2) - 2));
    }
  }
  return commands;
}

// The long flags `wsreplay CMD --help` lists.
std::set<std::string> ListedLongFlags(const std::string& cmd) {
  std::set<std::string> flags;
  for (const auto& line : Section(Help({cmd}), "Options")) {
    if (line.rfind("  -", 0) != 0) continue;
    std::string names = line.substr(2, line.find(' ', 2) - 2);  // "-o,--output"
    std::istringstream in(names);
    for (std::string name; std::getline(in, name, ',');) {
      if (name.rfind("--", 0) == 0) flags.insert(name);
    }
  }
  return flags;
}

// What the generated completion offers for the command line `words` (the last one is the
// word being completed), run by bash in `cwd`.
std::set<std::string> Complete(const std::vector<std::string>& words, const std::string& cwd) {
  std::vector<std::string> argv = {
      "/bin/bash",
      "--norc",
      "--noprofile",
      "-c",
      "source \"$1\" && shift && COMP_WORDS=(\"$@\") && COMP_CWORD=$(($# - 1)) && _wsreplay && "
      "printf '%s\\n' \"${COMPREPLY[@]}\"",
      "bash",
      kDocsDir + "/wsreplay.bash"};
  argv.insert(argv.end(), words.begin(), words.end());
  auto r = wsr::testing::Run(argv, {.env = {}, .cwd = cwd});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  return Words(r.out);
}

TEST(Version, NamesTheReleaseAndTheCassetteSchema) {
  auto r = wsr::testing::Run({WsreplayBin(), "--version"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, std::string("wsreplay ") + kVersion + " (cassette schema " +
                       std::to_string(cassette::kSchemaVersion) + ")\n");
  EXPECT_EQ(r.err, "");
}

TEST(Version, WinsOverASubcommandsRequiredFlags) {
  // `--version` is answered before anything else is checked, as users expect of it.
  auto r = wsr::testing::Run({WsreplayBin(), "--version"});
  auto again = wsr::testing::Run({WsreplayBin(), "--version", "record"});
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(again.out, r.out);
}

TEST(NoColour, NothingPrintedHasEscapeSequencesEvenWhenColourIsForced) {
  TempDir dir;
  // Every variable a colouring program might obey, asking for colour.
  Process::Options force = {.env = {{"TERM", "xterm-256color"},
                                    {"CLICOLOR_FORCE", "1"},
                                    {"FORCE_COLOR", "3"},
                                    {"COLORTERM", "truecolor"}},
                            .cwd = dir.path()};
  const std::vector<std::vector<std::string>> commands = {
      {"--help"},
      {"--version"},
      {"replay", "--help"},
      {"frobnicate"},                                   // an error line
      {"ls", dir.File("missing.cassette")},             // an error from a command
      {"demo", "--cassette", dir.File("d.cassette")}};  // the longest human-readable output
  for (const auto& args : commands) {
    std::vector<std::string> argv = {WsreplayBin()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = wsr::testing::Run(argv, force, std::chrono::seconds(120));
    EXPECT_FALSE(r.out.empty() && r.err.empty()) << args[0];
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << args[0] << ":\n" << r.out;
    EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << args[0] << ":\n" << r.err;
  }
}

TEST(Completion, OffersExactlyTheSubcommandsTheHelpLists) {
  TempDir dir;
  auto listed = ListedCommands();
  ASSERT_GE(listed.size(), 10u);
  EXPECT_EQ(Complete({"wsreplay", ""}, dir.path()), listed);
  EXPECT_EQ(Complete({"wsreplay", "-v", ""}, dir.path()), listed);  // after a global flag
  EXPECT_EQ(Complete({"wsreplay", "re"}, dir.path()),
            (std::set<std::string>{"record", "replay", "redact"}));
}

TEST(Completion, OffersEachSubcommandsFlags) {
  TempDir dir;
  for (const auto& cmd : ListedCommands()) {
    auto flags = ListedLongFlags(cmd);
    ASSERT_TRUE(flags.count("--help")) << cmd;
    auto offered = Complete({"wsreplay", cmd, "--"}, dir.path());
    for (const auto& flag : flags) EXPECT_TRUE(offered.count(flag)) << cmd << " " << flag;
    // Only that command's flags: e.g. record has --upstream, replay does not.
    EXPECT_EQ(offered, flags) << cmd;
  }
}

TEST(Completion, OffersTheChoicesOfAFlagAndFileNamesForOtherValues) {
  TempDir dir;
  WriteFile(dir.File("agent.cassette"), "");
  EXPECT_EQ(Complete({"wsreplay", "export", "agent.cassette", "--format", ""}, dir.path()),
            (std::set<std::string>{"jsonl", "har"}));
  EXPECT_EQ(Complete({"wsreplay", "replay", "--cassette", "ag"}, dir.path()),
            (std::set<std::string>{"agent.cassette"}));
  EXPECT_EQ(Complete({"wsreplay", "ls", "ag"}, dir.path()),
            (std::set<std::string>{"agent.cassette"}));
}

TEST(ManPage, DocumentsEverySubcommandAndTheColourPolicy) {
  const std::string path = kDocsDir + "/wsreplay.1";
  if (!std::filesystem::exists(path)) {
    GTEST_SKIP() << "no " << path << ": help2man was not installed when the build was configured";
  }
  std::string page = ReadFile(path);
  EXPECT_NE(page.find(".TH WSREPLAY \"1\""), std::string::npos) << page.substr(0, 400);
  EXPECT_NE(page.find(std::string("wsreplay ") + kVersion), std::string::npos);
  for (const auto& cmd : ListedCommands()) {
    EXPECT_NE(page.find(".SS \"wsreplay " + cmd + "\""), std::string::npos) << cmd;
  }
  EXPECT_NE(page.find("upstream\\-timeout"), std::string::npos);  // a subcommand's flag
  EXPECT_NE(page.find("NO_COLOR"), std::string::npos);
}

}  // namespace
}  // namespace wsr::testing
