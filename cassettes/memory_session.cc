#include "cassettes/memory_session.h"

#include <algorithm>
#include <utility>

namespace wsr::cassette {
namespace {

class VectorStream final : public FrameStream {
 public:
  VectorStream(const std::vector<Frame>* frames, FrameQuery query)
      : frames_(frames), query_(query) {}

  bool Next(Frame* out) override {
    if (!frames_) return false;
    while (next_ < frames_->size()) {
      if (query_.limit && yielded_ >= *query_.limit) break;
      const Frame& f = (*frames_)[next_++];
      if (!FrameQueryMatches(query_, f)) continue;
      ++yielded_;
      *out = f;
      return true;
    }
    frames_ = nullptr;
    return false;
  }

 private:
  const std::vector<Frame>* frames_;  // nullptr once finished
  FrameQuery query_;
  size_t next_ = 0;
  int64_t yielded_ = 0;
};

}  // namespace

MemorySession::MemorySession(Session session, std::vector<Connection> connections,
                             std::vector<Frame> frames, std::string origin)
    : MemorySession(std::move(session), std::move(connections), std::move(frames), {},
                    std::move(origin)) {}

MemorySession::MemorySession(Session session, std::vector<Connection> connections,
                             std::vector<Frame> frames, std::vector<Exchange> exchanges,
                             std::string origin)
    : origin_(std::move(origin)),
      session_(std::move(session)),
      connections_(std::move(connections)),
      exchanges_(std::move(exchanges)) {
  std::sort(exchanges_.begin(), exchanges_.end(), [](const Exchange& a, const Exchange& b) {
    return a.request_ns != b.request_ns ? a.request_ns < b.request_ns : a.ordinal < b.ordinal;
  });
  std::stable_sort(connections_.begin(), connections_.end(),
                   [](const Connection& a, const Connection& b) { return a.ordinal < b.ordinal; });
  for (auto& f : frames) frames_[f.connection_id].push_back(std::move(f));
  for (auto& [id, list] : frames_) {
    std::stable_sort(list.begin(), list.end(),
                     [](const Frame& a, const Frame& b) { return a.seq < b.seq; });
  }
}

std::unique_ptr<FrameStream> MemorySession::Frames(int64_t connection_id, const FrameQuery& query) {
  auto it = frames_.find(connection_id);
  return std::make_unique<VectorStream>(it == frames_.end() ? nullptr : &it->second, query);
}

int64_t MemorySession::CountFrames(int64_t connection_id, const FrameQuery& query) {
  auto it = frames_.find(connection_id);
  if (it == frames_.end()) return 0;
  int64_t n = 0;
  for (const auto& f : it->second) {
    if (query.limit && n >= *query.limit) break;
    if (FrameQueryMatches(query, f)) ++n;
  }
  return n;
}

}  // namespace wsr::cassette
