#include "cassettes/cassette_session.h"

#include <algorithm>
#include <utility>

namespace wsr::cassette {

CassetteSession::CassetteSession(Cassette& cassette, Session session)
    : cassette_(cassette), session_(std::move(session)) {}

CassetteSession::CassetteSession(std::unique_ptr<Cassette> cassette, Session session)
    : owned_(std::move(cassette)), cassette_(*owned_), session_(std::move(session)) {}

std::vector<Connection> CassetteSession::Connections() {
  return cassette_.Connections(session_.id);
}

std::unique_ptr<FrameStream> CassetteSession::Frames(int64_t connection_id,
                                                     const FrameQuery& query) {
  return std::make_unique<FrameCursor>(cassette_.ConnectionFrames(connection_id, query));
}

int64_t CassetteSession::CountFrames(int64_t connection_id, const FrameQuery& query) {
  return cassette_.CountConnectionFrames(connection_id, query);
}

std::vector<Exchange> CassetteSession::Exchanges() {
  auto out = cassette_.Exchanges(session_.id);  // ordinal order
  std::stable_sort(out.begin(), out.end(), [](const Exchange& a, const Exchange& b) {
    return a.request_ns < b.request_ns;
  });
  return out;
}

}  // namespace wsr::cassette
