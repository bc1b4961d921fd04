// Hand-made cassettes for the timeline/diff/lint tests, written through the Cassette API.
// CassetteBuilder appends sessions, connections and frames with explicit offsets; the
// Section7* helpers write the example frames of spec section 7 as a clean session.
// Not thread-safe; test-only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cassettes/cassette.h"

namespace wsr::viz_test {

inline constexpr const char* kAgent = "7d2f4c1e-3b9a-4e8f-9c61-2a5b8d0e4f13";
inline constexpr const char* kUser = "0b8e5a92-61d4-4c3e-8f7a-9e2c1d4b6a58";
inline constexpr const char* kRoom = "5f0c9a3e-2d71-4b8e-a6c4-81e9f2d03b7a";

class CassetteBuilder {
 public:
  explicit CassetteBuilder(const std::string& path);
  ~CassetteBuilder();  // finishes the open session and seals the file

  void StartSession(const std::string& name);
  // Returns the connection's ordinal (1, 2, ...).
  int Connect(const std::string& query = "vsn=2.0.0", int64_t opened_ms = 0);
  void C2S(int conn, const std::string& text, double at_ms);
  void S2C(int conn, const std::string& text, double at_ms);
  void Binary(int conn, const std::string& bytes, double at_ms);
  void Close(int conn, int code, double at_ms, const std::string& initiator = "client",
             const std::string& reason = "");
  // Schema 3: a control frame (8 close, 9 ping, 10 pong) or any frame with flags and a note.
  void Control(int conn, cassette::Direction d, int opcode, const std::string& payload,
               double at_ms, int flags = 0, const std::string& note = "");
  void Flagged(int conn, cassette::Direction d, const std::string& text, double at_ms, int flags,
               const std::string& note = "");
  // The upstream refused the upgrade with `status` (closed at at_ms, no close code).
  void Refuse(int conn, int status, double at_ms);
  size_t frames() const { return frames_; }

 private:
  void Add(int conn, cassette::Direction d, int opcode, const std::string& payload, double at_ms,
           int flags = 0, const std::string& note = "");
  void FinishSession();

  std::unique_ptr<cassette::Cassette> c_;
  int64_t session_id_ = 0;
  int64_t end_ns_ = 0;
  std::vector<cassette::Connection> conns_;
  std::vector<int64_t> next_seq_;
  size_t frames_ = 0;
};

// The clean session of spec section 7: agent connection 1 (joins, refused joins, heartbeat,
// pushes 4-6, 7 flat, 8, leave 10) and user connection 2 (7 nested, 9). Returns frame count.
size_t WriteSection7Session(CassetteBuilder& b, const std::string& session_name);

// Section 7 frame texts, for tests that vary them.
std::string MessageCreated(const std::string& join_ref, const std::string& content,
                           const std::string& id = "c41e7b20-9f3a-4d6e-8b15-3a0d92e6f4c7",
                           const std::string& inserted_at = "2026-03-10T09:15:02.481203Z");
std::string Join(const std::string& ref, const std::string& topic);
std::string ReplyOk(const std::string& join_ref, const std::string& ref, const std::string& topic);

}  // namespace wsr::viz_test
