// Checkpointer: copies a recording's WAL back into the cassette file on a thread of its own,
// over its own SQLite connection, so a recorder's commits never wait for a checkpoint.
//
// SQLite's automatic checkpoint runs inside the commit that crosses its threshold: on the
// writer thread, with two fsyncs, tens of milliseconds for 16 MiB of WAL. Rows queued
// meanwhile wait (past the 50 ms a SIGKILL may cost, see README.md) and the relay is paused by
// backpressure. A PASSIVE checkpoint on another connection runs beside the writer's commits in
// WAL mode; the writer then restarts the WAL at its next transaction once everything in it has
// been copied.
//
// Ownership and threads: the Checkpointer owns its connection and its thread. Request() may be
// called from any thread and never blocks on a checkpoint in progress; the destructor lets a
// checkpoint in progress finish, then joins and closes the connection (do that before anything
// that needs the file to itself, e.g. Cassette::Seal()).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

struct sqlite3;

namespace wsr::cassette {

class Checkpointer {
 public:
  // Opens a connection to `path`, an existing cassette a recorder holds open in WAL mode; a
  // checkpoint runs whenever `every_pages` pages of WAL have not been copied yet, and `done` is
  // called (on the Checkpointer's thread) after each one. Throws wsr::Error when it cannot be
  // opened.
  Checkpointer(const std::string& path, int64_t every_pages, std::function<void()> done);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Called after each commit with the WAL's length in pages (the writer's wal hook): starts a
  // PASSIVE checkpoint (copies what no reader still needs; never blocks a writer) once
  // `every_pages` of it are not copied yet. Never blocks on a checkpoint in progress.
  void OnCommit(int64_t wal_pages);

 private:
  void Run();

  std::string path_;
  sqlite3* db_ = nullptr;
  std::mutex mu_;
  std::condition_variable wake_;
  int64_t every_pages_ = 1;
  int64_t copied_pages_ = 0;  // of the current WAL, by the last checkpoint
  bool running_ = false;      // a checkpoint is in progress
  bool requested_ = false;
  bool stopping_ = false;
  bool warned_ = false;  // thread only: a failed checkpoint is logged once
  std::function<void()> done_;
  std::thread thread_;
};

}  // namespace wsr::cassette
