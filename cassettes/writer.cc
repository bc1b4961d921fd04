#include "cassettes/writer.h"

#include <chrono>
#include <unordered_map>

#include "cassettes/cassette.h"
#include "common/error.h"
#include "common/log.h"

namespace wsr::cassette {

CassetteWriter::CassetteWriter(const std::string& path, Session session, Options options)
    : path_(path), options_(options) {
  // Open once here to report errors synchronously, then hand the path to the thread, which
  // opens its own handle (SQLite handles stay on the thread that uses them).
  {
    auto c = Cassette::Open(path, Cassette::Mode::kCreate);
    session_id_ = c->InsertSession(session);
  }
  thread_ = std::thread([this] { Run(); });
}

CassetteWriter::~CassetteWriter() { Stop(-1); }

void CassetteWriter::Push(Item item, size_t bytes) {
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) return;
  has_room_.wait(lock, [&] {
    return queued_bytes_ < options_.max_queue_bytes || stopping_ || failed_.load();
  });
  queued_bytes_ += bytes;
  queue_.push_back(std::move(item));
  // The writer wakes on its own every flush interval; waking it for every row would turn a
  // busy relay into one tiny transaction per frame. Only a filling queue hurries it.
  if (queued_bytes_ >= WakeBytes()) has_work_.notify_one();
}

void CassetteWriter::OpenConnection(Connection c) {
  c.session_id = session_id_;
  size_t n = 256 + c.path.size() + c.query.size();
  Push(OpenConn{std::move(c)}, n);
}

void CassetteWriter::UpdateConnection(Connection c) {
  c.session_id = session_id_;
  Push(UpdateConn{std::move(c)}, 256);
}

void CassetteWriter::AddFrame(Frame f) {
  size_t n = 64 + f.payload.size();
  Push(std::move(f), n);
}

std::string CassetteWriter::error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

CassetteWriter::Stats CassetteWriter::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

bool CassetteWriter::Stop(int64_t duration_ns) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopped_) {
      stopped_ = true;
      stopping_ = true;
      final_duration_ns_ = duration_ns;
      has_work_.notify_all();
      has_room_.notify_all();
    }
  }
  if (thread_.joinable()) thread_.join();
  return !failed_.load();
}

void CassetteWriter::Run() {
  std::unique_ptr<Cassette> db;
  try {
    db = Cassette::Open(path_, Cassette::Mode::kReadWrite);
    db->TuneForRecording();
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = e.what();
    failed_ = true;
    has_room_.notify_all();
    return;
  }
  std::unordered_map<int, int64_t> conn_ids;  // ordinal -> row id
  std::vector<Item> batch;
  const auto interval = std::chrono::nanoseconds(options_.flush_interval_ns);
  for (;;) {
    bool last;
    {
      std::unique_lock<std::mutex> lock(mu_);
      has_work_.wait_for(lock, interval, [&] { return stopping_ || queued_bytes_ >= WakeBytes(); });
      batch.swap(queue_);
      queued_bytes_ = 0;
      last = stopping_;
      has_room_.notify_all();
    }
    if (!batch.empty() && !failed_.load()) {
      uint64_t frames = 0, bytes = 0;
      try {
        db->Begin();
        for (auto& item : batch) {
          if (auto* o = std::get_if<OpenConn>(&item)) {
            conn_ids[o->row.ordinal] = db->InsertConnection(o->row);
          } else if (auto* u = std::get_if<UpdateConn>(&item)) {
            auto it = conn_ids.find(u->row.ordinal);
            if (it == conn_ids.end()) continue;
            u->row.id = it->second;
            db->UpdateConnection(u->row);
          } else if (auto* f = std::get_if<Frame>(&item)) {
            auto it = conn_ids.find(static_cast<int>(f->connection_id));
            if (it == conn_ids.end()) continue;
            f->connection_id = it->second;
            if (!f->topic) f->FillPhoenixColumns();
            db->InsertFrame(*f);
            ++frames;
            bytes += f->payload.size();
          }
        }
        db->Commit();
        std::lock_guard<std::mutex> lock(mu_);
        stats_.frames_written += frames;
        stats_.bytes_written += bytes;
        stats_.transactions += 1;
      } catch (const std::exception& e) {
        try {
          db->Rollback();
        } catch (...) {
        }
        log::Error(std::string("writing the cassette failed: ") + e.what());
        std::lock_guard<std::mutex> lock(mu_);
        error_ = e.what();
        failed_ = true;
        has_room_.notify_all();
      }
    }
    batch.clear();
    if (last) break;
  }
  if (!failed_.load()) {
    try {
      if (final_duration_ns_ >= 0) db->FinishSession(session_id_, final_duration_ns_);
      db->Seal();
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(mu_);
      error_ = e.what();
      failed_ = true;
    }
  }
}

}  // namespace wsr::cassette
