// fuzz-libs: wsr_cassettes
//
// Fuzzes Cassette::Open (cassettes/cassette.h) on arbitrary files, as `wsreplay ls`,
// `replay` and the tools open whatever path they are given: a corrupt SQLite file, an SQLite
// database of another application, a cassette of a newer or older schema. Each input is
// written to a per-process file under /tmp (the API takes a path; this makes the target
// slower than the in-memory ones) and opened
//  1. read-only, and when that succeeds every session, connection and frame is read, as
//     `wsreplay ls`/`show` do;
//  2. read-write, which migrates an older schema in place.
// Checks: no crash and no sanitizer report; the only exception is wsr::Error (a message for
// the user), and reading an opened cassette agrees with its own frame count.
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cassettes/cassette.h"
#include "common/error.h"

namespace {

using wsr::cassette::Cassette;

// In /dev/shm when there is one: a read-write open migrates, builds indexes and switches to WAL,
// and SQLite syncs each of those to disk; on tmpfs the syncs cost nothing. (The file system is
// not what is tested.)
const std::string& ScratchPath() {
  static const std::string* path = [] {
    struct stat st;
    const char* dir = ::stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
    return new std::string(std::string(dir) + "/wsr-cassette-fuzz-" + std::to_string(::getpid()) +
                           ".bin");
  }();
  return *path;
}

void RemoveScratch() {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    ::unlink((ScratchPath() + suffix).c_str());
  }
}

bool WriteScratch(const uint8_t* data, size_t size) {
  RemoveScratch();
  FILE* f = std::fopen(ScratchPath().c_str(), "wb");
  if (!f) return false;
  bool ok = std::fwrite(data, 1, size, f) == size;
  return std::fclose(f) == 0 && ok;
}

// Reads everything the way `ls` and `show` do; returns the number of frames read.
int64_t ReadAll(Cassette& c) {
  int64_t frames = 0;
  for (const auto& session : c.Sessions()) {
    (void)c.FindSession(session.name);
    (void)c.Connections(session.id);
    wsr::cassette::FrameFilter filter;
    filter.session_id = session.id;
    auto cursor = c.Frames(filter);
    wsr::cassette::Frame frame;
    while (cursor.Next(&frame)) ++frames;
  }
  return frames;
}

}  // namespace

// Each open allocates SQLite's page cache for the file's pages (16 KiB in a cassette): with
// ASan's default 256 MiB quarantine and 4 KiB fill of each new block, cycling that memory cost
// about a third of the time (perf: ASan's allocator, quarantine recycling, page faults), and the
// process held ~400 MiB. A 16 MiB quarantine still holds what the last inputs freed (a use after
// free within an input is still caught); the fill only sets the bytes of new blocks, which ASan
// does not check. The same options as the importer targets (scratch_cassette.h).
extern "C" const char* __asan_default_options() {
  return "quarantine_size_mb=16:max_malloc_fill_size=0";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (!WriteScratch(data, size)) {
    std::fprintf(stderr, "cassette_open_fuzz: cannot write %s\n", ScratchPath().c_str());
    std::abort();
  }
  try {
    auto c = Cassette::Open(ScratchPath(), Cassette::Mode::kReadOnly);
    // Only "no crash, no sanitizer report, only wsr::Error": on a corrupt file SQLite may answer
    // two queries inconsistently (a damaged index serves one plan and not the other), so
    // comparing counts would test SQLite, not us.
    (void)ReadAll(*c);
    (void)c->CountFrames({});
  } catch (const wsr::Error&) {
    // Refused or unreadable, with a message: expected for most inputs.
  }
  try {
    auto c = Cassette::Open(ScratchPath(), Cassette::Mode::kReadWrite);
    (void)ReadAll(*c);
  } catch (const wsr::Error&) {
  }
  RemoveScratch();
  return 0;
}
