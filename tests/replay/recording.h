// Test helper: builds a recorded session (one session, connections and frames at chosen
// millisecond offsets) without a proxy. Two kinds:
//   - Recording() keeps it in memory only: source() is a cassette::MemorySession, no file.
//   - Recording(path, ...) also writes it to the cassette file at `path` with the Cassette
//     API (for tests that start the wsreplay binary); source() is a CassetteSession over it.
// Not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cassettes/cassette.h"
#include "cassettes/session_source.h"

namespace wsr::testing {

class Recording {
 public:
  // In memory: a session named "s1".
  Recording();
  // Creates (or adds to) the cassette at `path` with a session named `session`.
  explicit Recording(const std::string& path, const std::string& session = "s1",
                     const std::string& upstream = "ws://127.0.0.1:1");
  // Starts a new recorded connection opened at `opened_ms`; returns it.
  cassette::Connection& Connect(int64_t opened_ms = 0,
                                const std::string& path = "/socket/websocket",
                                const std::string& query = "vsn=2.0.0", int http_status = 101);
  // Client->server / server->client frames of the current connection at `ms` after session start.
  void C(int64_t ms, const std::string& payload, int opcode = 1);
  void S(int64_t ms, const std::string& payload, int opcode = 1,
         std::vector<uint32_t> fragments = {});
  // A recorded HTTP exchange of the session (the REST half): the request started at `ms`, the
  // response ended 1 ms later. `target` is "/path?query".
  void Http(int64_t ms, const std::string& method, const std::string& target,
            const std::string& request_body, int status, const std::string& response_body,
            cassette::Headers response_headers = {{"Content-Type", "application/json"}});
  // Ends the current connection.
  void Close(int64_t ms, int code, const std::string& reason, const std::string& initiator);
  // Writes the session duration.
  void Finish(int64_t duration_ms = 10000);

  // The session as the replay core reads it, with everything recorded so far. Each call after
  // a change returns a new source; earlier ones stay valid (and unchanged) as long as this.
  cassette::SessionSource& source();
  const cassette::Connection& connection() const { return conns_.back(); }
  const std::vector<cassette::Connection>& connections() const { return conns_; }

 private:
  void Add(int64_t ms, cassette::Direction direction, const std::string& payload, int opcode,
           std::vector<uint32_t> fragments);

  std::unique_ptr<cassette::Cassette> cassette_;  // null in memory
  cassette::Session session_;
  std::vector<cassette::Connection> conns_;
  std::vector<cassette::Frame> frames_;
  std::vector<cassette::Exchange> exchanges_;
  int64_t seq_ = 0;
  int64_t next_frame_id_ = 1;
  std::vector<std::unique_ptr<cassette::SessionSource>> sources_;
  bool changed_ = true;
};

// The Phoenix connection several tests share: join room:A (client at 5 ms, recorded reply at
// 10 ms), then pushes m1@100, m2@200, m3@300 ms ({"n":1..3}, join_ref "1"); no recorded close.
void RecordJoinAndThreePushes(Recording& r);

}  // namespace wsr::testing
