// CassetteWriter: records one session into a cassette from a single writer thread.
//
// The event loop calls OpenConnection/UpdateConnection/AddFrame; they only move the row into
// a bounded in-memory queue (no disk I/O). The writer thread commits the queue in batched
// transactions at least every `flush_interval` (20 ms by default), so a SIGKILL loses at
// most that much and a frame is never half-written. When the queue holds more than
// `max_queue_bytes`, the enqueuing call blocks until the writer catches up: the disk then
// slows the relay rather than memory growing without bound.
//
// Connections are identified by their ordinal (1, 2, ...), which the caller assigns; the
// writer maps ordinals to row ids. Frames carry the ordinal in Frame::connection_id.
// Phoenix columns are filled on the writer thread, off the relay's hot path.
//
// Thread-safety: all public methods may be called from any thread. Stop() is idempotent.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "cassettes/model.h"

namespace wsr::cassette {

class CassetteWriter {
 public:
  struct Options {
    size_t max_queue_bytes = 8u << 20;
    int64_t flush_interval_ns = 20'000'000;
    // The writer is woken early, before its interval ends, once this much is queued.
    size_t wake_bytes = 1u << 20;
  };
  struct Stats {
    uint64_t frames_written = 0;
    uint64_t bytes_written = 0;
    uint64_t transactions = 0;
  };

  // Opens (or creates) the cassette and inserts `session`. Throws wsr::Error, e.g. when the
  // session name is taken or the file is not a cassette.
  CassetteWriter(const std::string& path, Session session, Options options);
  CassetteWriter(const std::string& path, Session session)
      : CassetteWriter(path, std::move(session), Options{}) {}
  ~CassetteWriter();

  int64_t session_id() const { return session_id_; }

  void OpenConnection(Connection c);
  void UpdateConnection(Connection c);
  void AddFrame(Frame f);

  // Drains everything, records the session duration, seals the file. Returns false when
  // any write failed (error() says why).
  bool Stop(int64_t duration_ns);

  bool failed() const { return failed_.load(); }
  std::string error() const;
  Stats stats() const;

 private:
  struct OpenConn { Connection row; };
  struct UpdateConn { Connection row; };
  using Item = std::variant<OpenConn, UpdateConn, Frame>;

  void Push(Item item, size_t bytes);
  size_t WakeBytes() const { return std::min(options_.wake_bytes, options_.max_queue_bytes / 2); }
  void Run();

  std::string path_;
  Options options_;
  int64_t session_id_ = 0;

  mutable std::mutex mu_;
  std::condition_variable has_work_;
  std::condition_variable has_room_;
  std::vector<Item> queue_;
  size_t queued_bytes_ = 0;
  bool stopping_ = false;
  int64_t final_duration_ns_ = -1;

  std::atomic<bool> failed_{false};
  std::string error_;  // guarded by mu_
  Stats stats_;        // guarded by mu_
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace wsr::cassette
