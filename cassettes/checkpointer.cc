#include "cassettes/checkpointer.h"

#include <sqlite3.h>

#include <algorithm>

#include "common/error.h"
#include "common/log.h"

namespace wsr::cassette {

Checkpointer::Checkpointer(const std::string& path, int64_t every_pages, std::function<void()> done)
    : path_(path), every_pages_(std::max<int64_t>(1, every_pages)), done_(std::move(done)) {
  int rc =
      sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    throw Error("cannot open cassette '" + path + "' for checkpoints: " + msg);
  }
  // This connection only checkpoints: it must never be the one that checkpoints on close or
  // deletes the WAL while the recorder's connection still writes it.
  sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  thread_ = std::thread([this] { Run(); });
}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  sqlite3_close(db_);
}

void Checkpointer::OnCommit(int64_t wal_pages) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (wal_pages < copied_pages_) copied_pages_ = 0;  // the writer restarted the WAL
    if (running_ || requested_ || wal_pages - copied_pages_ < every_pages_) return;
    requested_ = true;
  }
  wake_.notify_one();
}

void Checkpointer::Run() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || requested_; });
      if (stopping_) return;
      requested_ = false;
      running_ = true;
    }
    int log_frames = 0, copied = 0;
    int rc =
        sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &copied);
    // SQLITE_BUSY: another connection is checkpointing (a second recorder on the same file);
    // its checkpoint does the work.
    if (rc != SQLITE_OK && rc != SQLITE_BUSY && !warned_) {
      warned_ = true;
      log::Warn("checkpointing cassette '" + path_ + "' failed: " + sqlite3_errmsg(db_) +
                " (the recording goes on; its WAL file grows until the recorder stops)");
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      running_ = false;
      if (copied > 0) copied_pages_ = copied;
    }
    if (done_) done_();
  }
}

}  // namespace wsr::cassette
