// TempOutput: an output file written under a temporary name next to its final path
// ("<path>.tmp-<pid>", same directory, so the rename is atomic) and renamed over the final path
// only when the command succeeds. Used by the write commands (export -o, cut, merge into a new
// cassette, import) so that a failure leaves no partial or empty output behind.
//
// The destructor removes the temporary file (and SQLite's -wal/-shm/-journal next to it)
// unless Commit() succeeded; while a TempOutput exists, SIGINT/SIGTERM also remove it before
// the process dies (the handler is installed only where the signal has its default action).
//
// Not thread-safe; a handful of live TempOutputs per process at most (the signal cleanup keeps
// the first 8).
#pragma once

#include <string>

namespace wsr::tools {

class TempOutput {
 public:
  explicit TempOutput(std::string final_path);
  ~TempOutput();
  TempOutput(const TempOutput&) = delete;
  TempOutput& operator=(const TempOutput&) = delete;

  const std::string& path() const { return temp_; }
  const std::string& final_path() const { return final_; }

  // Renames the temporary file to the final path. With replace = false the final path must
  // not exist (checked atomically: a file created there meanwhile is an error, not
  // overwritten). Throws wsr::Error; the temporary file is removed either way afterwards.
  void Commit(bool replace);

 private:
  std::string final_, temp_;
  bool committed_ = false;
  int slot_ = -1;  // index in the signal-cleanup table, -1 when not registered
};

// True when `path` exists (any file type).
bool PathExists(const std::string& path);
// Removes path and SQLite's -wal, -shm and -journal files next to it (errors ignored).
void RemoveCassetteFiles(const std::string& path);

}  // namespace wsr::tools
