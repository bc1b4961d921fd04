// SessionSource: the read side of ONE recorded session, as the replay core sees it — the
// session's connections, per connection a stream of its frames selected by a typed
// FrameQuery, and the session's HTTP exchanges (the REST half, schema version 4). The replay
// engine, PhoenixIndex and ProtocolProbe depend on this interface only, never on SQLite, so they
// can be fed from memory in unit tests.
//
// Implementations (both in cassettes/):
//   - CassetteSession (cassette_session.h): a session of a SQLite cassette file; streams come
//     from a SQLite cursor, so a 1,000,000-frame connection is read with bounded memory.
//   - MemorySession (memory_session.h): built from vectors of Connection, Frame and Exchange.
// Both return the same frames and exchanges in the same order for the same data (tests/unit/
// session_source_test.cc checks it).
//
// Adding a kind of record (e.g. the REST exchanges of issue 9): one table and one migration
// in cassette.cc, one model struct in model.h, and one typed read here (a query struct and a
// stream, like FrameQuery/FrameStream), implemented by both sources.
//
// Ownership and threads: a FrameStream borrows its source, which must outlive it. Neither a
// source nor its streams are thread-safe: use them on one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cassettes/model.h"

namespace wsr::cassette {

// Which frames a per-connection stream yields, by the Phoenix columns (topic, event) the
// recorder filled from each payload.
enum class PhoenixSelect {
  kAll,  // no condition on the Phoenix columns
  // Leaves out every phx_reply (whatever its topic): the pushes a Phoenix replayer streams
  // (replies to the live client's requests come from PhoenixIndex).
  kNoReplies,
  // Leaves out only the replies to heartbeats (topic "phoenix", event phx_reply): what a
  // client would have received, for the report's count of unused connections.
  kNoHeartbeatReplies,
  // The requests and their answers (PhoenixIndex): client frames with a topic except
  // heartbeats, and server phx_reply/phx_close frames outside the "phoenix" topic.
  kRequestsAndAnswers,
};

struct FrameQuery {
  std::optional<Direction> direction = std::nullopt;  // nullopt: both directions
  // Control frames (close, ping, pong: opcode >= 8) are left out unless this is set.
  bool include_control = false;
  PhoenixSelect phoenix = PhoenixSelect::kAll;
  // At most this many frames (the first ones in seq order); nullopt: all.
  std::optional<int64_t> limit = std::nullopt;
};

// True when `f` satisfies the query's conditions (direction, control, Phoenix selection; not
// the limit). The reference semantics of FrameQuery: MemorySession filters with it, and
// CassetteSession's SQL must select the same frames.
bool FrameQueryMatches(const FrameQuery& q, const Frame& f);

// A forward-only stream of one connection's frames in seq order (seq order is offset order
// within a connection: the recorder numbers frames as they complete).
class FrameStream {
 public:
  virtual ~FrameStream() = default;
  // Fills *out with the next frame; false at the end (and on every call after it). Throws
  // wsr::Error on read errors.
  virtual bool Next(Frame* out) = 0;
};

class SessionSource {
 public:
  virtual ~SessionSource() = default;

  // Where the session comes from, for reports and messages (the cassette's path).
  virtual const std::string& origin() const = 0;
  virtual const Session& session() const = 0;
  // The session's connections in ordinal order.
  virtual std::vector<Connection> Connections() = 0;
  // Frames of connection `connection_id` (of this session) selected by `query`, streamed.
  virtual std::unique_ptr<FrameStream> Frames(int64_t connection_id, const FrameQuery& query) = 0;
  // How many frames Frames(connection_id, query) would yield.
  virtual int64_t CountFrames(int64_t connection_id, const FrameQuery& query) = 0;
  // The session's HTTP exchanges in request_ns order (ties: ordinal order). Loaded whole: a
  // session's REST traffic is small next to its frames. Empty for a cassette older than
  // schema version 4.
  virtual std::vector<Exchange> Exchanges() = 0;
};

}  // namespace wsr::cassette
