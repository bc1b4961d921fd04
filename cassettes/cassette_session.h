// CassetteSession: the SessionSource (session_source.h) of one session of a SQLite cassette.
// Its streams are SQLite cursors (Cassette::ConnectionFrames), so a connection of any length
// is read with bounded memory. Connections and exchanges are read on each call.
//
// Ownership and threads: either owns its Cassette (the replay server) or borrows one that
// must outlive it (lint, tests). Not thread-safe, like the Cassette it reads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cassettes/cassette.h"
#include "cassettes/session_source.h"

namespace wsr::cassette {

class CassetteSession final : public SessionSource {
 public:
  // Borrows `cassette`.
  CassetteSession(Cassette& cassette, Session session);
  // Owns `cassette`.
  CassetteSession(std::unique_ptr<Cassette> cassette, Session session);

  const std::string& origin() const override { return cassette_.path(); }
  const Session& session() const override { return session_; }
  std::vector<Connection> Connections() override;
  std::unique_ptr<FrameStream> Frames(int64_t connection_id, const FrameQuery& query) override;
  int64_t CountFrames(int64_t connection_id, const FrameQuery& query) override;
  std::vector<Exchange> Exchanges() override;

 private:
  std::unique_ptr<Cassette> owned_;
  Cassette& cassette_;
  Session session_;
};

}  // namespace wsr::cassette
