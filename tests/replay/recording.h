// Test helper: builds a cassette with the Cassette API (no proxy involved), one session,
// connections and frames at chosen millisecond offsets. Not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cassettes/cassette.h"

namespace wsr::testing {

class Recording {
 public:
  // Creates (or adds to) the cassette at `path` with a session named `session`.
  Recording(const std::string& path, const std::string& session = "s1",
            const std::string& upstream = "ws://127.0.0.1:1");
  // Starts a new recorded connection opened at `opened_ms`; returns it.
  cassette::Connection& Connect(int64_t opened_ms = 0,
                                const std::string& path = "/socket/websocket",
                                const std::string& query = "vsn=2.0.0", int http_status = 101);
  // Client->server / server->client frames of the current connection at `ms` after session start.
  void C(int64_t ms, const std::string& payload, int opcode = 1);
  void S(int64_t ms, const std::string& payload, int opcode = 1,
         std::vector<uint32_t> fragments = {});
  // Ends the current connection.
  void Close(int64_t ms, int code, const std::string& reason, const std::string& initiator);
  // Writes the session duration; the cassette stays usable through cassette().
  void Finish(int64_t duration_ms = 10000);

  cassette::Cassette& cassette() { return *cassette_; }
  const cassette::Connection& connection() const { return conns_.back(); }
  const std::vector<cassette::Connection>& connections() const { return conns_; }

 private:
  void Add(int64_t ms, cassette::Direction direction, const std::string& payload, int opcode,
           std::vector<uint32_t> fragments);

  std::unique_ptr<cassette::Cassette> cassette_;
  int64_t session_id_ = 0;
  std::vector<cassette::Connection> conns_;
  int64_t seq_ = 0;
};

}  // namespace wsr::testing
