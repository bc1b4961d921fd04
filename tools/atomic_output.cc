#include "tools/atomic_output.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "common/error.h"

namespace wsr::tools {
namespace {

// Paths the signal handler removes: fixed-size C strings, written before a slot is published
// (the flag), so the handler only reads complete strings.
constexpr int kSlots = 8;
constexpr size_t kMaxPath = 4096;
char g_paths[kSlots][kMaxPath];
volatile sig_atomic_t g_used[kSlots];

void UnlinkWithSuffixes(const char* base) {
  char buf[kMaxPath + 16];
  size_t n = std::strlen(base);
  std::memcpy(buf, base, n + 1);
  ::unlink(buf);
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    std::memcpy(buf + n, suffix, std::strlen(suffix) + 1);
    ::unlink(buf);
  }
}

void OnSignal(int sig) {
  for (int i = 0; i < kSlots; ++i) {
    if (g_used[i]) UnlinkWithSuffixes(g_paths[i]);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void InstallOnce() {
  static bool installed = [] {
    for (int sig : {SIGINT, SIGTERM}) {
      struct sigaction old {};
      if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) {
        struct sigaction sa {};
        sa.sa_handler = OnSignal;
        sigemptyset(&sa.sa_mask);
        ::sigaction(sig, &sa, nullptr);
      }
    }
    return true;
  }();
  (void)installed;
}

int Register(const std::string& path) {
  if (path.size() >= kMaxPath) return -1;
  InstallOnce();
  for (int i = 0; i < kSlots; ++i) {
    if (!g_used[i]) {
      std::memcpy(g_paths[i], path.c_str(), path.size() + 1);
      g_used[i] = 1;
      return i;
    }
  }
  return -1;
}

}  // namespace

bool PathExists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

void RemoveCassetteFiles(const std::string& path) { UnlinkWithSuffixes(path.c_str()); }

TempOutput::TempOutput(std::string final_path)
    : final_(std::move(final_path)), temp_(final_ + ".tmp-" + std::to_string(::getpid())) {
  RemoveCassetteFiles(temp_);  // left by an earlier process with the same pid
  slot_ = Register(temp_);
}

TempOutput::~TempOutput() {
  if (!committed_) RemoveCassetteFiles(temp_);
  if (slot_ >= 0) g_used[slot_] = 0;
}

void TempOutput::Commit(bool replace) {
  // Only the file itself moves; the writer must have closed (and sealed) it.
  for (const char* suffix : {"-wal", "-shm", "-journal"}) ::unlink((temp_ + suffix).c_str());
  if (replace) {
    if (::rename(temp_.c_str(), final_.c_str()) != 0) {
      throw Error("cannot write '" + final_ + "': " + std::strerror(errno));
    }
  } else {
    // link() fails with EEXIST instead of replacing what appeared at the final path.
    if (::link(temp_.c_str(), final_.c_str()) == 0) {
      ::unlink(temp_.c_str());
    } else {
      int err = errno;
      if (err == EEXIST) throw Error("'" + final_ + "' appeared while it was being written");
      // File systems without hard links: check, then rename (not atomic, but close).
      bool no_links = err == EPERM || err == EOPNOTSUPP || err == EMLINK;
      if (!no_links) throw Error("cannot write '" + final_ + "': " + std::strerror(err));
      if (PathExists(final_)) throw Error("'" + final_ + "' appeared while it was being written");
      if (::rename(temp_.c_str(), final_.c_str()) != 0) {
        throw Error("cannot write '" + final_ + "': " + std::strerror(errno));
      }
    }
  }
  committed_ = true;
}

}  // namespace wsr::tools
