// CassetteWriter: records one session into a cassette from a single writer thread.
//
// Threads: the relay's event loop calls OpenConnection/UpdateConnection/AddFrame/AddExchange;
// they never block (beyond a short mutex hold) and do no disk I/O: the row is moved onto the
// end of an in-memory vector (no allocation per row once the vector has grown; connections and
// exchanges, rare and big, are held by pointer so a row slot stays small). The writer thread
// swaps the whole vector out under the lock and commits its rows in transactions; a
// transaction is committed as soon as 20 ms (`flush_interval_ns`) have passed since it began,
// even when a backlog remains, and begins at most 10 ms after a row came into an empty queue;
// with a producer that honours backpressure no row stays uncommitted for more than ~50 ms
// (given the CPU: the row high mark adapts to the commit rate measured over transactions that
// took at least half an interval).
//
// Backpressure: AddFrame returns false once the queue is above its high mark (more than
// `max_queue_bytes`, or more rows than the writer commits in one interval, uncommitted): the row IS
// queued anyway, and the caller should pause reading its peers. After such a false, the callback
// set with SetDrainedCallback runs once on the writer thread when the queue drops below its low
// mark (half of both limits). The callback must be cheap and must not call back into the writer
// (e.g. lws_cancel_service). The queue is not bounded by the writer itself: a caller that
// ignores the false return makes memory grow.
//
// Durability: each transaction is one SQLite commit in WAL mode, synchronous=NORMAL: a
// committed row survives a process crash (SIGKILL); a power cut can lose the commits made
// since the last WAL sync (see README.md). The WAL is checkpointed (copied into the file and
// synced) every 16 MiB by a Checkpointer on its own connection and thread, so commits never
// wait for a checkpoint. While recording, the secondary frame indexes are
// dropped (on a cassette with few frames); Stop() builds frames_by_seq again, frames_by_topic
// is built by the next open for writing.
//
// Connections are identified by their ordinal (1, 2, ...), which the caller assigns; the
// writer maps ordinals to row ids. Frames carry the ordinal in Frame::connection_id.
// Phoenix columns are filled on the writer thread, off the relay's hot path.
//
// Thread-safety: all public methods may be called from any thread. Stop() is idempotent.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include "cassettes/model.h"

namespace wsr::cassette {

class Cassette;
class Checkpointer;

class CassetteWriter {
 public:
  struct Options {
    size_t max_queue_bytes = 8u << 20;  // high mark, bytes (low mark: half)
    int64_t flush_interval_ns = 20'000'000;
    // The writer is woken early, before its interval ends, once this much is queued.
    size_t wake_bytes = 1u << 20;
    // High mark, rows (low mark: half): bounds the backlog so it commits within ~20 ms. The
    // writer lowers it to what it measured it commits in one interval (never below 256).
    size_t max_queue_items = 8192;
    // A checkpoint (on the Checkpointer's thread) whenever this much WAL is not yet copied.
    int64_t checkpoint_every_bytes = 16 << 20;
    // The writer checkpoints itself after a commit that leaves the WAL this big (the
    // Checkpointer did not catch up between commits, so the WAL could not restart).
    int64_t writer_checkpoint_bytes = 32 << 20;
  };
  struct Stats {
    uint64_t frames_written = 0;
    uint64_t exchanges_written = 0;
    uint64_t bytes_written = 0;
    uint64_t transactions = 0;
    uint64_t checkpoints = 0;         // by the Checkpointer, beside the commits
    uint64_t writer_checkpoints = 0;  // by the writer thread (the WAL reached its bound)
    uint64_t pauses = 0;  // times the queue went above its high mark (the caller was to pause)
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
  // Queues the frame; false when the queue is above its high mark (pause reading).
  bool AddFrame(Frame f);
  // Queues an HTTP exchange of this session (its session_id is set here; the caller numbers
  // ordinals). Same queue, backpressure and commit rules as AddFrame.
  bool AddExchange(Exchange e);
  // Called on the writer thread when the queue drops below the low mark after an AddFrame
  // returned false. Set it before the first AddFrame.
  void SetDrainedCallback(std::function<void()> cb);
  bool over_high_mark() const { return over_high_.load(std::memory_order_relaxed); }

  // Drains everything, records the session duration, builds frames_by_seq, seals the file.
  // Returns false when any write failed (error() says why).
  bool Stop(int64_t duration_ns);

  bool failed() const { return failed_.load(); }
  std::string error() const;
  Stats stats() const;

 private:
  struct OpenConn {
    std::unique_ptr<Connection> row;
  };
  struct UpdateConn {
    std::unique_ptr<Connection> row;
  };
  struct Item {
    std::variant<OpenConn, UpdateConn, Frame, std::unique_ptr<Exchange>> row;
    size_t bytes = 0;
  };

  bool Push(Item item);
  bool AboveHigh() const;                  // REQUIRES: mu_ held
  bool BelowLow() const;                   // REQUIRES: mu_ held
  void Run(std::unique_ptr<Cassette> db);  // the thread; owns the handle the constructor opened
  // Writes one row in the open transaction, or (a frame) adds it to *frames_due, inserted
  // together before the next other row (or by the caller at the end of a chunk); counts it in
  // the totals passed.
  void Write(Cassette* db, Item* item, std::vector<const Frame*>* frames_due, uint64_t* frames,
             uint64_t* exchanges, uint64_t* bytes);
  void Fail(const std::string& what);

  std::string path_;
  Options options_;
  int64_t session_id_ = 0;

  mutable std::mutex mu_;
  std::condition_variable has_work_;
  std::vector<Item> queue_;  // rows not yet taken by the writer thread
  size_t queued_bytes_ = 0;  // of rows queued or being written, not yet committed
  size_t queued_items_ = 0;
  size_t high_items_ = 0;  // adaptive row high mark, <= options_.max_queue_items
  // when the queue last became non-empty (the writer had taken everything before)
  std::chrono::steady_clock::time_point first_queued_;
  bool paused_ = false;  // an AddFrame returned false; the drained callback is owed
  std::function<void()> drained_;
  bool stopping_ = false;
  int64_t final_duration_ns_ = -1;

  std::atomic<bool> over_high_{false};
  std::atomic<bool> failed_{false};
  std::string error_;  // guarded by mu_
  Stats stats_;        // guarded by mu_
  bool stopped_ = false;
  std::unordered_map<int, int64_t> conn_ids_;  // writer thread only: ordinal -> row id
  std::atomic<uint64_t> checkpoints_{0};       // the Checkpointer's, so far (declared before it)
  // Checkpoints the WAL beside the writer's commits; created by the constructor, destroyed by
  // the writer thread before it seals the file.
  std::unique_ptr<Checkpointer> checkpointer_;
  bool wal_too_big_ = false;  // writer thread only: the Checkpointer did not keep up
  std::thread thread_;
};

}  // namespace wsr::cassette
