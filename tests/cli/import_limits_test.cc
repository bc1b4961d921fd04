// `wsreplay import` with inputs that are too big: its peak memory (the child's maximum
// resident set, from wait4) stays under 256 MiB whatever the input, a frame over
// --max-message-size (16 MiB by default, as `record`) is refused with an error naming its line
// (JSON Lines) or entry (HAR), and nothing is created on failure. And its progress line: drawn
// on a terminal (stderr on a pseudo-terminal), erased at the end, absent with TERM=dumb.
//
// The binary under test is the build's wsreplay, or $WSREPLAY_TEST_BIN when set.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

extern char** environ;

namespace wsr::testing {
namespace {

#if defined(__SANITIZE_ADDRESS__)
#define WSR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WSR_ASAN 1
#endif
#endif

// ASan's shadow memory and quarantine inflate every allocation; it gets its own bound.
#ifdef WSR_ASAN
constexpr long kMaxRssMiB = 600;
#else
constexpr long kMaxRssMiB = 256;
#endif

constexpr size_t kMiB = 1 << 20;

std::string Bin() {
  const char* bin = std::getenv("WSREPLAY_TEST_BIN");
  return bin && *bin ? bin : WsreplayBin();
}

struct Measured {
  int status = -1;
  std::string err;
  long max_rss_mib = -1;
};

// Runs wsreplay with `args` (stdout and stderr to files in `t`), waits with wait4 and returns
// the exit status, stderr and the child's own peak resident set.
Measured RunMeasured(const TempDir& t, std::vector<std::string> args) {
  args.insert(args.begin(), Bin());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string out = t.File("stdout.txt"), err = t.File("stderr.txt");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  Measured m;
  if (rc != 0) return m;
  int st = 0;
  rusage ru{};
  if (wait4(pid, &st, 0, &ru) != pid) return m;
  m.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  m.err = ReadFile(err);
  m.max_rss_mib = ru.ru_maxrss / 1024;  // KiB on Linux
  ::unlink(out.c_str());
  ::unlink(err.c_str());
  return m;
}

const char* kHeader = "{\"type\":\"header\",\"format\":\"wsreplay-jsonl\",\"version\":2}\n";
const char* kSession =
    "{\"type\":\"session\",\"name\":\"big\",\"started_at_ns\":1764360000000000000,"
    "\"duration_ns\":1000000000,\"upstream\":\"\",\"source\":\"record\",\"tool_version\":\"t\"}\n";
const char* kConnection =
    "{\"type\":\"connection\",\"session\":\"big\",\"ordinal\":1,\"path\":\"/s\",\"query\":\"\","
    "\"request_headers\":[],\"upstream_url\":\"\",\"http_status\":101,\"response_headers\":[],"
    "\"subprotocol\":\"\",\"error\":\"\",\"opened_ns\":0,\"closed_ns\":1000000000,"
    "\"close_code\":1000,\"close_reason\":\"\",\"close_initiator\":\"client\"}\n";

// Writes `n` copies of `c` to `f` without holding them in memory.
void Repeat(std::FILE* f, char c, size_t n) {
  std::string chunk(std::min(n, kMiB), c);
  while (n > 0) {
    size_t k = std::min(n, chunk.size());
    std::fwrite(chunk.data(), 1, k, f);
    n -= k;
  }
}

// A JSON Lines export whose 4th line is a frame with a payload of `size` bytes: text ('a'),
// or base64 of that many zero bytes.
void WriteBigFrameJsonl(const std::string& path, size_t size, bool base64) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs(kHeader, f);
  std::fputs(kSession, f);
  std::fputs(kConnection, f);
  std::fprintf(f,
               "{\"type\":\"frame\",\"session\":\"big\",\"connection\":1,\"seq\":0,"
               "\"offset_ns\":1,\"direction\":\"s2c\",\"opcode\":%d,\"encoding\":\"%s\","
               "\"payload\":\"",
               base64 ? 2 : 1, base64 ? "base64" : "text");
  if (base64) {
    ASSERT_EQ(size % 3, 0u);
    Repeat(f, 'A', size / 3 * 4);  // "AAAA" is three zero bytes
  } else {
    Repeat(f, 'a', size);
  }
  std::fputs("\"}\n", f);
  ASSERT_EQ(std::fclose(f), 0);
}

void ExpectWithinMemoryBound(const Measured& m) {
  EXPECT_GT(m.max_rss_mib, 0);
  EXPECT_LE(m.max_rss_mib, kMaxRssMiB) << "peak resident set of wsreplay import";
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

TEST(ImportLimits, AHundredMegabyteLineIsRefusedWithBoundedMemory) {
  TempDir t;
  std::string in = t.File("huge.jsonl"), out = t.File("out.cassette");
  WriteBigFrameJsonl(in, 100 * 1000 * 1000, /*base64=*/false);
  auto m = RunMeasured(t, {"import", in, "--cassette", out});
  EXPECT_EQ(m.status, 1) << m.err;
  EXPECT_NE(m.err.find("line 4 is longer than 33 MiB"), std::string::npos) << m.err;
  ExpectWithinMemoryBound(m);
  EXPECT_FALSE(Exists(out));
}

TEST(ImportLimits, AFrameOverMaxMessageSizeIsRefusedNamingItsLine) {
  TempDir t;
  std::string in = t.File("frame.jsonl"), out = t.File("out.cassette");
  const size_t size = 17 * kMiB + 1;  // a multiple of 3: 17825793
  WriteBigFrameJsonl(in, size, /*base64=*/true);
  auto m = RunMeasured(t, {"import", in, "--cassette", out});
  EXPECT_EQ(m.status, 1) << m.err;
  EXPECT_NE(m.err.find("line 4: the frame's payload is 17825793 bytes, more than "
                       "--max-message-size (16777216 bytes)"),
            std::string::npos)
      << m.err;
  ExpectWithinMemoryBound(m);
  EXPECT_FALSE(Exists(out));

  // A larger limit lets it in, whole.
  m = RunMeasured(t, {"import", in, "--cassette", out, "--max-message-size", "20000000"});
  ASSERT_EQ(m.status, 0) << m.err;
  ExpectWithinMemoryBound(m);
  auto r = wsr::testing::Run({Bin(), "show", out});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("17825793"), std::string::npos) << r.out;
}

TEST(ImportLimits, MaxMessageSizeAppliesToTextFramesToo) {
  TempDir t;
  std::string in = t.File("small.jsonl");
  WriteBigFrameJsonl(in, 11, /*base64=*/false);
  auto m = RunMeasured(
      t, {"import", in, "--cassette", t.File("a.cassette"), "--max-message-size", "10"});
  EXPECT_EQ(m.status, 1) << m.err;
  EXPECT_NE(m.err.find("line 4: the frame's payload is 11 bytes"), std::string::npos) << m.err;
  m = RunMeasured(t,
                  {"import", in, "--cassette", t.File("b.cassette"), "--max-message-size", "11"});
  EXPECT_EQ(m.status, 0) << m.err;
}

TEST(ImportLimits, ALineOfManySmallValuesIsRefusedWithBoundedMemory) {
  // 30 MB of "0," fits the line cap, but as a JSON DOM it would take ~16x that.
  TempDir t;
  std::string in = t.File("values.jsonl");
  std::FILE* f = std::fopen(in.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs(kHeader, f);
  std::fputs("{\"type\":\"session\",\"x\":[", f);
  std::string chunk;
  for (int i = 0; i < 4096; ++i) chunk += "0,";
  for (size_t written = 0; written < 30 * 1000 * 1000; written += chunk.size()) {
    std::fwrite(chunk.data(), 1, chunk.size(), f);
  }
  std::fputs("0]}\n", f);
  ASSERT_EQ(std::fclose(f), 0);
  auto m = RunMeasured(t, {"import", in, "--cassette", t.File("out.cassette")});
  EXPECT_EQ(m.status, 1) << m.err;
  EXPECT_NE(m.err.find("line 2 has more than 100000 JSON values"), std::string::npos) << m.err;
  ExpectWithinMemoryBound(m);
  EXPECT_FALSE(Exists(t.File("out.cassette")));
}

TEST(ImportLimits, RedactJsonOfALargePayloadKeepsMemoryBounded) {
  // 15 MiB of "0," in a frame's JSON payload: redacting /token must not build it as a DOM.
  TempDir t;
  std::string in = t.File("redact.jsonl");
  std::FILE* f = std::fopen(in.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs(kHeader, f);
  std::fputs(kSession, f);
  std::fputs(kConnection, f);
  std::fputs(
      "{\"type\":\"frame\",\"session\":\"big\",\"connection\":1,\"seq\":0,"
      "\"offset_ns\":1,\"direction\":\"c2s\",\"opcode\":1,\"encoding\":\"text\","
      "\"payload\":\"{\\\"token\\\":\\\"s3cr3t-token\\\",\\\"data\\\":[",
      f);
  std::string chunk;
  for (int i = 0; i < 4096; ++i) chunk += "0,";
  for (size_t written = 0; written < 15 * kMiB; written += chunk.size()) {
    std::fwrite(chunk.data(), 1, chunk.size(), f);
  }
  std::fputs("0]}\"}\n", f);
  ASSERT_EQ(std::fclose(f), 0);
  std::string out = t.File("out.cassette");
  auto m = RunMeasured(t, {"import", in, "--cassette", out, "--redact-json", "/token"});
  ASSERT_EQ(m.status, 0) << m.err;
  ExpectWithinMemoryBound(m);
  auto r = wsr::testing::Run({Bin(), "export", out, "--format", "jsonl"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.find("s3cr3t-token"), std::string::npos);
  EXPECT_NE(r.out.find("redacted:token:"), std::string::npos);
}

// A HAR with one WebSocket entry whose second message carries `data`.
void WriteHar(const std::string& path, size_t data_size, char fill) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs(
      "{\"log\":{\"version\":\"1.2\",\"entries\":[{\"startedDateTime\":"
      "\"2025-11-28T20:00:00.000Z\",\"time\":10,\"request\":{\"method\":\"GET\",\"url\":"
      "\"wss://example.com/s\",\"headers\":[]},\"response\":{\"status\":101,\"headers\":[]},"
      "\"_resourceType\":\"websocket\",\"_webSocketMessages\":["
      "{\"type\":\"send\",\"time\":1764360000.001,\"opcode\":1,\"data\":\"hi\"},"
      "{\"type\":\"receive\",\"time\":1764360000.002,\"opcode\":1,\"data\":\"",
      f);
  Repeat(f, fill, data_size);
  std::fputs("\"}]}]}}\n", f);
  ASSERT_EQ(std::fclose(f), 0);
}

TEST(ImportLimits, AHarMessageOverMaxMessageSizeIsRefusedNamingItsEntry) {
  TempDir t;
  std::string in = t.File("big.har"), out = t.File("out.cassette");
  WriteHar(in, 17 * kMiB, 'a');
  auto m = RunMeasured(t, {"import", in, "--cassette", out});
  EXPECT_EQ(m.status, 1) << m.err;
  EXPECT_NE(m.err.find("HAR entry 0, message 1: the payload is 17825792 bytes, more than "
                       "--max-message-size (16777216 bytes)"),
            std::string::npos)
      << m.err;
  ExpectWithinMemoryBound(m);
  EXPECT_FALSE(Exists(out));
}

TEST(ImportLimits, AHarOverTheSizeCapIsRefusedSayingSo) {
  TempDir t;
  std::string in = t.File("huge.har"), out = t.File("out.cassette");
  WriteHar(in, 100 * 1000 * 1000, 'a');
  auto m = RunMeasured(t, {"import", in, "--cassette", out, "--max-message-size", "200000000"});
  EXPECT_EQ(m.status, 1) << m.err;
  EXPECT_NE(m.err.find("the HAR is 96 MiB; import reads a HAR"), std::string::npos) << m.err;
  EXPECT_NE(m.err.find("up to 64 MiB"), std::string::npos) << m.err;
  ExpectWithinMemoryBound(m);
  EXPECT_FALSE(Exists(out));
}

TEST(ImportLimits, AHarOfManySmallValuesIsRefusedWithBoundedMemory) {
  // 60 MB (under the size cap) of "[]," : as a JSON DOM, many times its size.
  TempDir t;
  std::string in = t.File("values.har");
  std::FILE* f = std::fopen(in.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs("{\"log\":{\"entries\":[],\"x\":[", f);
  std::string chunk;
  for (int i = 0; i < 4096; ++i) chunk += "[],";
  for (size_t written = 0; written < 60 * 1000 * 1000; written += chunk.size()) {
    std::fwrite(chunk.data(), 1, chunk.size(), f);
  }
  std::fputs("[]]}}\n", f);
  ASSERT_EQ(std::fclose(f), 0);
  auto m = RunMeasured(t, {"import", in, "--cassette", t.File("out.cassette")});
  EXPECT_EQ(m.status, 1) << m.err;
  EXPECT_NE(m.err.find("more than 500000 JSON values"), std::string::npos) << m.err;
  ExpectWithinMemoryBound(m);
  EXPECT_FALSE(Exists(t.File("out.cassette")));
}

// Runs wsreplay with stderr on a pseudo-terminal (stdout to a file) and returns what the
// terminal received.
std::string RunOnTerminal(const TempDir& t, std::vector<std::string> args, const char* term) {
  int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) return "<no pty>";
  std::string slave = ::ptsname(master);
  args.insert(args.begin(), Bin());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "TERM=", 5) != 0) env_strings.emplace_back(*e);
  }
  env_strings.push_back(std::string("TERM=") + term);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string out = t.File("stdout.txt");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, slave.c_str(), O_RDWR | O_NOCTTY, 0);
  posix_spawn_file_actions_addclose(&fa, master);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  std::string got;
  if (rc == 0) {
    // Drain the terminal while the child runs, so it never blocks on a full buffer.
    for (;;) {
      pollfd p{master, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0 && (p.revents & POLLIN)) {
        char buf[4096];
        ssize_t n = ::read(master, buf, sizeof buf);
        if (n > 0) got.append(buf, static_cast<size_t>(n));
        continue;
      }
      int st;
      if (::waitpid(pid, &st, WNOHANG) == pid) break;
    }
    for (;;) {  // what is left after the exit
      pollfd p{master, POLLIN, 0};
      if (::poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN)) break;
      char buf[4096];
      ssize_t n = ::read(master, buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(master);
  return got;
}

TEST(ImportProgress, DrawnOnATerminalErasedAtTheEndAndNeverOnADumbOne) {
  TempDir t;
  std::string in = t.File("many.jsonl");
  {
    std::FILE* f = std::fopen(in.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs(kHeader, f);
    std::fputs(kSession, f);
    std::fputs(kConnection, f);
    for (int i = 0; i < 300000; ++i) {
      std::fprintf(
          f,
          "{\"type\":\"frame\",\"session\":\"big\",\"connection\":1,\"seq\":%d,"
          "\"offset_ns\":%d,\"direction\":\"s2c\",\"opcode\":1,\"encoding\":\"text\","
          "\"payload\":\"[\\\"1\\\",null,\\\"room:1\\\",\\\"message\\\",{\\\"n\\\":%d}]\"}\n",
          i, i, i);
    }
    ASSERT_EQ(std::fclose(f), 0);
  }
  std::string tty = RunOnTerminal(t, {"import", in, "--cassette", t.File("a.cassette")}, "xterm");
  ASSERT_NE(tty, "<no pty>");
  // Redrawn in place ("\r" + text), then erased: the terminal ends with "\r" + spaces + "\r".
  EXPECT_NE(tty.find("\rimport " + in + ": "), std::string::npos) << tty;
  EXPECT_NE(tty.find("% ("), std::string::npos) << tty;
  ASSERT_GE(tty.size(), 2u);
  EXPECT_EQ(tty.back(), '\r') << tty;
  size_t erase = tty.rfind('\r', tty.size() - 2);
  ASSERT_NE(erase, std::string::npos);
  EXPECT_EQ(tty.substr(erase + 1, tty.size() - erase - 2).find_first_not_of(' '), std::string::npos)
      << "the last write is not an erase: " << tty.substr(erase);
  EXPECT_EQ(tty.find('\x1b'), std::string::npos) << "no escape sequences";
  EXPECT_NE(ReadFile(t.File("stdout.txt")).find("imported session(s) big"), std::string::npos);

  // TERM=dumb: nothing at all on the terminal.
  tty = RunOnTerminal(t, {"import", in, "--cassette", t.File("b.cassette")}, "dumb");
  EXPECT_EQ(tty, "");
  EXPECT_NE(ReadFile(t.File("stdout.txt")).find("imported session(s) big"), std::string::npos);
}

}  // namespace
}  // namespace wsr::testing
