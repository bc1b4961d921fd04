// The write commands (sessions rename/rm, redact, export -o, cut, merge, import) as a user
// meets them: a failed command leaves every file it was given byte for byte as it was (same
// mtime, no -wal/-shm/-journal/.tmp-* next to it, also after a later read-only `ls`), and a
// successful one leaves each cassette it wrote as a single file in journal_mode=DELETE.
//
// The binary under test is the build's wsreplay, or $WSREPLAY_TEST_BIN when set (to run
// these tests against another build, e.g. the code before a fix).
#include <dirent.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace wsr::testing {
namespace {

std::string Bin() {
  const char* bin = std::getenv("WSREPLAY_TEST_BIN");
  return bin && *bin ? bin : WsreplayBin();
}

RunResult Wsr(std::vector<std::string> args) {
  args.insert(args.begin(), Bin());
  return Run(args);
}

// A JSON Lines export with one session `name`: one connection and three frames.
std::string Jsonl(const std::string& name) {
  std::string s = "\"session\":\"" + name + "\"";
  return "{\"type\":\"header\",\"format\":\"wsreplay-jsonl\",\"version\":2}\n"
         "{\"type\":\"session\",\"name\":\"" +
         name +
         "\",\"started_at_ns\":1764360000000000000,\"duration_ns\":3000000000,"
         "\"upstream\":\"wss://app.thenvoi.com\",\"source\":\"record\",\"tool_version\":\"t\"}\n"
         "{\"type\":\"connection\"," +
         s +
         ",\"ordinal\":1,\"path\":\"/api/v1/socket/websocket\",\"query\":\"vsn=2.0.0\","
         "\"request_headers\":[],\"upstream_url\":\"\",\"http_status\":101,"
         "\"response_headers\":[],\"subprotocol\":\"\",\"error\":\"\",\"opened_ns\":0,"
         "\"closed_ns\":3000000000,\"close_code\":1000,\"close_reason\":\"\","
         "\"close_initiator\":\"client\"}\n"
         "{\"type\":\"frame\"," +
         s +
         ",\"connection\":1,\"seq\":0,\"offset_ns\":1000000,\"direction\":\"c2s\",\"opcode\":1,"
         "\"encoding\":\"text\",\"payload\":\"[\\\"1\\\",\\\"1\\\",\\\"room:1\\\",\\\"phx_join\\\","
         "{\\\"token\\\":\\\"s3cret\\\"}]\"}\n"
         "{\"type\":\"frame\"," +
         s +
         ",\"connection\":1,\"seq\":1,\"offset_ns\":2000000,\"direction\":\"s2c\",\"opcode\":1,"
         "\"encoding\":\"text\",\"payload\":\"[\\\"1\\\",\\\"1\\\",\\\"room:1\\\",\\\"phx_"
         "reply\\\","
         "{\\\"status\\\":\\\"ok\\\",\\\"response\\\":{}}]\"}\n"
         "{\"type\":\"frame\"," +
         s +
         ",\"connection\":1,\"seq\":2,\"offset_ns\":2500000000,\"direction\":\"s2c\",\"opcode\":1,"
         "\"encoding\":\"text\",\"payload\":\"[\\\"1\\\",null,\\\"room:1\\\",\\\"message\\\","
         "{\\\"text\\\":\\\"hello\\\"}]\"}\n";
}

// A cassette at `path` holding the given sessions (made by `wsreplay import`).
void MakeCassette(const TempDir& t, const std::string& path, std::vector<std::string> sessions) {
  for (const auto& name : sessions) {
    std::string src = t.File(name + ".jsonl");
    WriteFile(src, Jsonl(name));
    auto r = Wsr({"import", src, "--cassette", path});
    ASSERT_EQ(r.status, 0) << r.err;
    ::unlink(src.c_str());
  }
}

// What "unchanged" means: the same bytes and the same modification time.
struct Snapshot {
  std::string bytes;
  int64_t mtime_ns = -1;
  bool operator==(const Snapshot& o) const { return bytes == o.bytes && mtime_ns == o.mtime_ns; }
};
Snapshot Take(const std::string& path) {
  Snapshot s;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return s;
  s.bytes = ReadFile(path);
  s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return s;
}

std::set<std::string> Files(const TempDir& t) {
  std::set<std::string> out;
  DIR* d = ::opendir(t.path().c_str());
  while (dirent* e = d ? ::readdir(d) : nullptr) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.insert(n);
  }
  if (d) ::closedir(d);
  return out;
}

// SQLite's file header: bytes 18 and 19 are 1 in rollback-journal mode, 2 in WAL mode.
bool InDeleteMode(const std::string& path) {
  std::string b = ReadFile(path);
  return b.size() >= 100 && b[18] == 1 && b[19] == 1;
}

void Sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << msg;
}

void ExpectFailsWith(const RunResult& r, const std::string& text) {
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.err.find(text), std::string::npos) << r.err;
}

// Runs `args` (which must fail with `error`) and checks that `path` and the directory are
// exactly as before, then again after `wsreplay ls` (which must not leave -wal/-shm).
void ExpectFailureChangesNothing(const TempDir& t, const std::string& path,
                                 std::vector<std::string> args, const std::string& error) {
  Snapshot before = Take(path);
  std::set<std::string> files = Files(t);
  ExpectFailsWith(Wsr(args), error);
  EXPECT_TRUE(Take(path) == before) << path << " changed";
  EXPECT_EQ(Files(t), files);
  Wsr({"ls", path});  // may fail for a broken file; it must not change it either
  EXPECT_TRUE(Take(path) == before) << path << " changed after ls";
  EXPECT_EQ(Files(t), files) << "files appeared next to " << path << " after ls";
}

// A successful write left `path` as one file in journal_mode=DELETE, also after `ls`.
void ExpectSingleFile(const TempDir& t, const std::string& path) {
  EXPECT_TRUE(InDeleteMode(path)) << path << " was left in WAL mode";
  std::set<std::string> files = Files(t);
  auto r = Wsr({"ls", path});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(Files(t), files) << "ls created files next to " << path;
  for (const auto& f : files) {
    EXPECT_EQ(f.find("-wal"), std::string::npos) << f;
    EXPECT_EQ(f.find("-shm"), std::string::npos) << f;
    EXPECT_EQ(f.find("-journal"), std::string::npos) << f;
    EXPECT_EQ(f.find(".tmp-"), std::string::npos) << f;
  }
}

TEST(AtomicWrite, SessionsRmOfAMissingSessionChangesNothing) {
  TempDir t;
  std::string path = t.File("a.cassette");
  MakeCassette(t, path, {"alpha"});
  ExpectFailureChangesNothing(t, path, {"sessions", path, "rm", "no-such-session"},
                              "no session 'no-such-session'");
}

TEST(AtomicWrite, SessionsRenameFailuresChangeNothing) {
  TempDir t;
  std::string path = t.File("a.cassette");
  MakeCassette(t, path, {"alpha", "beta"});
  ExpectFailureChangesNothing(t, path, {"sessions", path, "rename", "alpha", "beta"},
                              "already has a session named 'beta'");
  ExpectFailureChangesNothing(t, path, {"sessions", path, "rename", "gamma", "delta"},
                              "no session 'gamma'");
}

TEST(AtomicWrite, SessionsRenameAndRmLeaveOneFileInDeleteMode) {
  TempDir t;
  std::string path = t.File("a.cassette");
  MakeCassette(t, path, {"alpha", "beta"});
  auto r = Wsr({"sessions", path, "rename", "alpha", "first"});
  ASSERT_EQ(r.status, 0) << r.err;
  ExpectSingleFile(t, path);
  r = Wsr({"sessions", path, "rm", "beta"});
  ASSERT_EQ(r.status, 0) << r.err;
  ExpectSingleFile(t, path);
  r = Wsr({"ls", path});
  EXPECT_NE(r.out.find("first"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("beta"), std::string::npos) << r.out;
}

TEST(AtomicWrite, RedactOfABrokenCassetteChangesNothing) {
  TempDir t;
  std::string path = t.File("a.cassette");
  MakeCassette(t, path, {"alpha"});
  Sql(path, "PRAGMA foreign_keys=OFF; DROP TABLE sessions;");
  ExpectFailureChangesNothing(t, path, {"redact", path, "--json", "/token"}, "sessions");
  ExpectFailureChangesNothing(t, path, {"sessions", path, "rm", "alpha"}, "sessions");

  // An SQLite file with no tables at all.
  std::string empty = t.File("empty.sqlite");
  Sql(empty, "CREATE TABLE t(x); DROP TABLE t;");
  ExpectFailureChangesNothing(t, empty, {"redact", empty}, "not a wsreplay cassette");
}

TEST(AtomicWrite, RedactLeavesOneFileInDeleteMode) {
  TempDir t;
  std::string path = t.File("a.cassette");
  MakeCassette(t, path, {"alpha"});
  auto r = Wsr({"redact", path, "--json", "/token"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(ReadFile(path).find("s3cret"), std::string::npos);
  ExpectSingleFile(t, path);
}

TEST(AtomicWrite, FailedExportLeavesNoOutputAndKeepsAnOldOne) {
  TempDir t;
  std::string path = t.File("a.cassette");
  MakeCassette(t, path, {"alpha"});
  // The frames table is gone: sessions and connections read fine, the frames do not, so the
  // export fails half-way through writing.
  Sql(path, "PRAGMA foreign_keys=OFF; DROP TABLE frames;");
  std::string out = t.File("out.jsonl");
  auto files = Files(t);
  ExpectFailsWith(Wsr({"export", path, "--format", "jsonl", "-o", out}), "frames");
  EXPECT_EQ(Files(t), files) << "a failed export left a file";
  ExpectFailsWith(Wsr({"export", path, "--format", "har", "-o", out}), "frames");
  EXPECT_EQ(Files(t), files) << "a failed export left a file";

  WriteFile(out, "the previous export\n");
  ExpectFailureChangesNothing(t, out, {"export", path, "--format", "jsonl", "-o", out}, "frames");
}

TEST(AtomicWrite, ExportToAFileWritesItWhole) {
  TempDir t;
  std::string path = t.File("a.cassette");
  MakeCassette(t, path, {"alpha"});
  std::string out = t.File("out.jsonl");
  WriteFile(out, "old\n");
  auto r = Wsr({"export", path, "--format", "jsonl", "-o", out});
  ASSERT_EQ(r.status, 0) << r.err;
  auto stdout_export = Wsr({"export", path, "--format", "jsonl"});
  EXPECT_EQ(ReadFile(out), stdout_export.out);
  for (const auto& f : Files(t)) EXPECT_EQ(f.find(".tmp-"), std::string::npos) << f;
}

TEST(AtomicWrite, CutAndMergeWriteSingleFilesAndFailuresLeaveNothing) {
  TempDir t;
  std::string a = t.File("a.cassette"), b = t.File("b.cassette");
  MakeCassette(t, a, {"alpha"});
  MakeCassette(t, b, {"beta"});

  // cut: a new file, sealed; a failure (unknown session) creates nothing.
  auto files = Files(t);
  ExpectFailsWith(Wsr({"cut", a, "--out", t.File("c.cassette"), "--session", "nope"}),
                  "no session 'nope'");
  EXPECT_EQ(Files(t), files);
  auto r = Wsr({"cut", a, "--out", t.File("c.cassette"), "--from", "1ms"});
  ASSERT_EQ(r.status, 0) << r.err;
  ExpectSingleFile(t, t.File("c.cassette"));

  // merge into a new file, then into an existing one.
  r = Wsr({"merge", t.File("m.cassette"), a});
  ASSERT_EQ(r.status, 0) << r.err;
  ExpectSingleFile(t, t.File("m.cassette"));
  r = Wsr({"merge", t.File("m.cassette"), b});
  ASSERT_EQ(r.status, 0) << r.err;
  ExpectSingleFile(t, t.File("m.cassette"));
  r = Wsr({"ls", t.File("m.cassette")});
  EXPECT_NE(r.out.find("alpha"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("beta"), std::string::npos) << r.out;

  // A clash, and a broken input: the existing output stays as it was.
  ExpectFailureChangesNothing(t, t.File("m.cassette"), {"merge", t.File("m.cassette"), b},
                              "session 'beta'");
  std::string broken = t.File("broken.cassette");
  MakeCassette(t, broken, {"gamma"});
  Sql(broken, "PRAGMA foreign_keys=OFF; DROP TABLE frames;");
  ExpectFailureChangesNothing(t, t.File("m.cassette"), {"merge", t.File("m.cassette"), broken},
                              "frames");
}

TEST(AtomicWrite, FailedImportIntoAnExistingCassetteChangesNothing) {
  TempDir t;
  std::string path = t.File("a.cassette");
  MakeCassette(t, path, {"alpha"});

  // A file whose last line is bad: every row before it would have been inserted.
  std::string bad = t.File("bad.jsonl");
  WriteFile(bad, Jsonl("beta") + "{\"type\":\"frame\",\"session\":\"beta\"}\n");
  ExpectFailureChangesNothing(t, path, {"import", bad, "--cassette", path}, "line 7");
  ::unlink(bad.c_str());

  // The same session again: a name clash.
  std::string again = t.File("again.jsonl");
  WriteFile(again, Jsonl("alpha"));
  ExpectFailureChangesNothing(t, path, {"import", again, "--cassette", path},
                              "already has a session named 'alpha'");

  // Into a file that is not a cassette.
  std::string junk = t.File("junk.cassette");
  WriteFile(junk, std::string(4096, 'x'));
  ExpectFailureChangesNothing(t, junk, {"import", again, "--cassette", junk},
                              "not a wsreplay cassette");

  // A good import into the existing cassette: one file, DELETE mode.
  auto r = Wsr({"import", again, "--cassette", path, "--session", "alpha2"});
  ASSERT_EQ(r.status, 0) << r.err;
  ExpectSingleFile(t, path);
  r = Wsr({"ls", path});
  EXPECT_NE(r.out.find("alpha2"), std::string::npos) << r.out;
}

TEST(AtomicWrite, FailedImportIntoANewCassetteCreatesNothing) {
  TempDir t;
  std::string bad = t.File("bad.jsonl");
  WriteFile(bad, Jsonl("beta") + "not json\n");
  auto files = Files(t);
  ExpectFailsWith(Wsr({"import", bad, "--cassette", t.File("new.cassette")}), "line 7");
  EXPECT_EQ(Files(t), files);
}

}  // namespace
}  // namespace wsr::testing
