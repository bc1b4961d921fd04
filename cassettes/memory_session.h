// MemorySession: a SessionSource (session_source.h) held in memory, built from vectors of
// Connection, Frame and Exchange, so the replay core can be tested without an SQLite file. It
// returns what a CassetteSession over the same rows returns: connections in ordinal order, each
// connection's frames in seq order, selected with FrameQueryMatches; exchanges in request_ns
// order (ties: ordinal order).
//
// Frames belong to the connection whose Connection::id is their Frame::connection_id.
//
// Ownership and threads: owns its rows; a stream borrows the MemorySession, which must
// outlive it. Immutable after construction, so concurrent reads are safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cassettes/session_source.h"

namespace wsr::cassette {

class MemorySession final : public SessionSource {
 public:
  MemorySession(Session session, std::vector<Connection> connections, std::vector<Frame> frames,
                std::string origin = "(memory)");
  MemorySession(Session session, std::vector<Connection> connections, std::vector<Frame> frames,
                std::vector<Exchange> exchanges, std::string origin = "(memory)");

  const std::string& origin() const override { return origin_; }
  const Session& session() const override { return session_; }
  std::vector<Connection> Connections() override { return connections_; }
  std::unique_ptr<FrameStream> Frames(int64_t connection_id, const FrameQuery& query) override;
  int64_t CountFrames(int64_t connection_id, const FrameQuery& query) override;
  std::vector<Exchange> Exchanges() override { return exchanges_; }

 private:
  std::string origin_;
  Session session_;
  std::vector<Connection> connections_;           // by ordinal
  std::map<int64_t, std::vector<Frame>> frames_;  // by connection id, each by seq
  std::vector<Exchange> exchanges_;               // by request_ns, then ordinal
};

}  // namespace wsr::cassette
