#include "cassettes/writer.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <unordered_map>
#include <vector>

#include "cassettes/cassette.h"
#include "cassettes/checkpointer.h"
#include "common/error.h"
#include "common/log.h"

namespace wsr::cassette {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Rows written between two reads of the clock.
constexpr size_t kChunkItems = 64;
// The adaptive row high mark never goes below this.
constexpr size_t kMinHighItems = 256;
// Dropping the secondary indexes while recording pays off only when rebuilding them at the
// end is cheap: on a cassette that already holds many frames, they stay.
constexpr int64_t kDropIndexesBelowFrames = 1'000'000;

}  // namespace

CassetteWriter::CassetteWriter(const std::string& path, Session session, Options options)
    : path_(path), options_(options), high_items_(options.max_queue_items) {
  // The writer's handle is opened here, before any connection is served: errors are reported
  // synchronously, and the descriptors SQLite needs (the file and its WAL) are held before
  // clients can take the last ones (record under a low open-file limit). The thread then owns
  // it: a SQLite handle may change threads when it is never used by two at once.
  std::unique_ptr<Cassette> db = Cassette::Open(path, Cassette::Mode::kCreate);
  session_id_ = db->InsertSession(session);
  db->TuneForRecording();
  if (db->MaxFrameId() < kDropIndexesBelowFrames) db->DropIndexes();
  // Checkpoints run beside the commits, on a connection and thread of their own; the WAL only
  // restarts once all of it is copied, so when that cannot happen between two commits the
  // writer checkpoints it itself once it reaches options.writer_checkpoint_bytes.
  checkpointer_ = std::make_unique<Checkpointer>(
      path, options.checkpoint_every_bytes / db->PageSize(),
      [this] { checkpoints_.fetch_add(1, std::memory_order_relaxed); });
  db->OnWalCommit([this](int64_t wal_pages, int64_t wal_bytes) {  // writer thread, each commit
    checkpointer_->OnCommit(wal_pages);
    if (wal_bytes >= options_.writer_checkpoint_bytes) wal_too_big_ = true;
  });
  thread_ = std::thread([this, db = std::move(db)]() mutable { Run(std::move(db)); });
}

CassetteWriter::~CassetteWriter() { Stop(-1); }

bool CassetteWriter::AboveHigh() const {
  return queued_bytes_ > options_.max_queue_bytes || queued_items_ > high_items_;
}

bool CassetteWriter::BelowLow() const {
  return queued_bytes_ < options_.max_queue_bytes / 2 && queued_items_ < high_items_ / 2;
}

bool CassetteWriter::Push(Item item) {
  std::lock_guard<std::mutex> lock(mu_);
  // After a failure or Stop() rows are dropped: the relay goes on, unrecorded.
  if (stopping_ || failed_.load()) return true;
  queued_bytes_ += item.bytes;
  queued_items_ += 1;
  if (queue_.empty()) {  // the writer sleeps until a row comes; the clock starts now
    first_queued_ = std::chrono::steady_clock::now();
    has_work_.notify_one();
  }
  queue_.push_back(std::move(item));
  // The writer wakes on its own every flush interval; waking it for every row would turn a
  // busy relay into one tiny transaction per frame. Only a filling queue hurries it.
  if (queued_bytes_ >= std::min(options_.wake_bytes, options_.max_queue_bytes / 2) ||
      queued_items_ >= high_items_ / 2) {
    has_work_.notify_one();
  }
  if (!AboveHigh()) return true;
  if (!paused_) ++stats_.pauses;
  paused_ = true;
  over_high_.store(true, std::memory_order_relaxed);
  return false;
}

void CassetteWriter::OpenConnection(Connection c) {
  c.session_id = session_id_;
  size_t n = 256 + c.path.size() + c.query.size() + c.request_head.size() + c.response_head.size() +
             (c.response_body ? c.response_body->size() : 0);
  Push(Item{OpenConn{std::make_unique<Connection>(std::move(c))}, n});
}

void CassetteWriter::UpdateConnection(Connection c) {
  c.session_id = session_id_;
  size_t n = 256 + c.request_head.size() + c.response_head.size() +
             (c.response_body ? c.response_body->size() : 0);
  Push(Item{UpdateConn{std::make_unique<Connection>(std::move(c))}, n});
}

bool CassetteWriter::AddFrame(Frame f) {
  size_t n = 64 + f.payload.size() + f.note.size();
  return Push(Item{std::move(f), n});
}

bool CassetteWriter::AddExchange(Exchange e) {
  e.session_id = session_id_;
  size_t n = 256 + e.path.size() + e.query.size() + e.request_body.size() + e.response_body.size() +
             e.error.size();
  for (const auto* headers : {&e.request_headers, &e.response_headers}) {
    for (const auto& [k, v] : *headers) n += k.size() + v.size() + 8;
  }
  return Push(Item{std::make_unique<Exchange>(std::move(e)), n});
}

void CassetteWriter::SetDrainedCallback(std::function<void()> cb) {
  std::lock_guard<std::mutex> lock(mu_);
  drained_ = std::move(cb);
}

std::string CassetteWriter::error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

CassetteWriter::Stats CassetteWriter::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats s = stats_;
  s.checkpoints = checkpoints_.load(std::memory_order_relaxed);
  return s;
}

bool CassetteWriter::Stop(int64_t duration_ns) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopped_) {
      stopped_ = true;
      stopping_ = true;
      final_duration_ns_ = duration_ns;
      has_work_.notify_all();
    }
  }
  if (thread_.joinable()) thread_.join();
  return !failed_.load();
}

void CassetteWriter::Fail(const std::string& what) {
  log::Error("writing the cassette failed: " + what);
  std::function<void()> cb;
  {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = what;
    failed_ = true;
    queue_.clear();
    queued_bytes_ = queued_items_ = 0;
    over_high_.store(false, std::memory_order_relaxed);
    if (paused_) cb = drained_;  // let a paused relay go on, unrecorded
    paused_ = false;
  }
  if (cb) cb();
}

void CassetteWriter::Write(Cassette* db, Item* item, std::vector<const Frame*>* frames_due,
                           uint64_t* frames, uint64_t* exchanges, uint64_t* bytes) {
  if (auto* f = std::get_if<Frame>(&item->row)) {
    auto it = conn_ids_.find(static_cast<int>(f->connection_id));
    if (it == conn_ids_.end()) return;
    f->connection_id = it->second;
    if (!f->topic) f->FillPhoenixColumns();
    frames_due->push_back(f);  // inserted with the frames next to it, in one statement
    ++*frames;
    *bytes += f->payload.size();
    return;
  }
  // Any other row keeps its place after the frames queued before it.
  db->InsertFrames(*frames_due);
  frames_due->clear();
  if (auto* o = std::get_if<OpenConn>(&item->row)) {
    conn_ids_[o->row->ordinal] = db->InsertConnection(*o->row);
  } else if (auto* u = std::get_if<UpdateConn>(&item->row)) {
    auto it = conn_ids_.find(u->row->ordinal);
    if (it == conn_ids_.end()) return;
    u->row->id = it->second;
    db->UpdateConnection(*u->row);
  } else if (auto* e = std::get_if<std::unique_ptr<Exchange>>(&item->row)) {
    db->InsertExchange(**e);
    ++*exchanges;
    *bytes += (*e)->request_body.size() + (*e)->response_body.size();
  }
}

void CassetteWriter::Run(std::unique_ptr<Cassette> db) {
  // Rows taken off the queue (the whole queue at once, by swapping vectors) and not yet
  // written: batch_[next..]. A transaction that reaches the interval commits and leaves the
  // rest of the batch to the next one.
  std::vector<Item> batch;
  size_t next = 0;
  std::vector<const Frame*> frames_due;  // frames of the current chunk not yet inserted
  frames_due.reserve(kChunkItems);
  const auto interval = std::chrono::nanoseconds(options_.flush_interval_ns);
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (next == batch.size()) {
        // Sleep until a row comes; then gather rows for half an interval from the first one
        // (or until the queue fills), so a row waits at most that long before its
        // transaction begins. A backlog (rows left in the batch) is written at once.
        has_work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        has_work_.wait_until(lock, first_queued_ + interval / 2, [&] {
          return stopping_ ||
                 queued_bytes_ >= std::min(options_.wake_bytes, options_.max_queue_bytes / 2) ||
                 queued_items_ >= high_items_ / 2;
        });
      }
      if (failed_.load()) break;
      if (next == batch.size() && queue_.empty()) {
        if (stopping_) break;
        continue;
      }
    }
    // One transaction: rows until the queue is empty or the interval has passed.
    uint64_t frames = 0, exchanges = 0, bytes = 0, items = 0, item_bytes = 0;
    const auto began = SteadyClock::now();
    auto committed = began;
    try {
      db->Begin();
      for (;;) {
        if (next == batch.size()) {
          batch.clear();  // frees the written rows' payloads here, off the relay's thread
          next = 0;
          std::lock_guard<std::mutex> lock(mu_);
          batch.swap(queue_);
        }
        if (batch.empty()) break;
        const size_t end = std::min(batch.size(), next + kChunkItems);
        for (; next < end; ++next) {
          ++items;
          item_bytes += batch[next].bytes;
          Write(db.get(), &batch[next], &frames_due, &frames, &exchanges, &bytes);
        }
        db->InsertFrames(frames_due);
        frames_due.clear();
        if (SteadyClock::now() - began >= interval) break;
      }
      db->Commit();
      committed = SteadyClock::now();  // the rate below leaves out a checkpoint of the writer's
      if (wal_too_big_) {
        wal_too_big_ = false;
        db->CheckpointPassive();
        std::lock_guard<std::mutex> lock(mu_);
        ++stats_.writer_checkpoints;
      }
    } catch (const std::exception& e) {
      frames_due.clear();
      batch.clear();
      next = 0;
      try {
        db->Rollback();
      } catch (...) {
      }
      Fail(e.what());
      break;
    }
    std::function<void()> cb;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.frames_written += frames;
      stats_.exchanges_written += exchanges;
      stats_.bytes_written += bytes;
      stats_.transactions += 1;
      queued_bytes_ -= item_bytes;
      queued_items_ -= items;
      // The row high mark follows what the writer commits in one interval, measured over a
      // transaction that took at least half of one, so a backlog the producer is allowed to
      // build is committed within about two intervals. (Raising it again after a quick
      // transaction was tried: on a machine with no CPU to spare, where the writer is not
      // scheduled for tens of milliseconds, a backlog of that size then waited over 150 ms.)
      auto took = std::chrono::duration_cast<std::chrono::nanoseconds>(committed - began);
      if (items >= kMinHighItems && took > interval / 2) {
        double per_interval = static_cast<double>(items) * interval.count() /
                              static_cast<double>(std::max<int64_t>(took.count(), 1));
        high_items_ =
            static_cast<size_t>(std::clamp(per_interval, static_cast<double>(kMinHighItems),
                                           static_cast<double>(options_.max_queue_items)));
      }
      if (!AboveHigh()) over_high_.store(false, std::memory_order_relaxed);
      if (paused_ && BelowLow()) {
        paused_ = false;
        cb = drained_;
      }
    }
    if (cb) cb();
  }
  // The file to itself for sealing: no other connection of ours, no hook calling into it.
  db->OnWalCommit(nullptr);
  checkpointer_.reset();
  if (!failed_.load()) {
    try {
      if (final_duration_ns_ >= 0) db->FinishSession(session_id_, final_duration_ns_);
      // frames_by_topic (tool filters, ad-hoc SQL) is left to the next open for writing: on
      // 1,000,000 frames it takes longer than all the commits (see README.md, Indexes).
      db->BuildSeqIndex();
      db->Seal();
    } catch (const std::exception& e) {
      Fail(e.what());
    }
  }
}

}  // namespace wsr::cassette
