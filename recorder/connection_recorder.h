// ConnectionRecorder: turns what one relayed WebSocket connection does into cassette rows.
//
// The relay (proxy/) feeds it events as they happen on the service thread: the handshake
// (Open), the upstream's answer (UpstreamAccepted / UpstreamFailed), every received piece of
// every message per direction (AddPiece), and the end (Close). It reassembles whole messages
// (keeping the sizes of their wire frames), enforces the message size cap, timestamps each
// message with the offset from the session start (monotonic clock), applies redaction, and
// only then hands rows to the CassetteWriter (a queue: no disk I/O on the caller's thread).
//
// RecordingContext is shared by every connection of a session; it must outlive them.
// ConnectionRecorder is not thread-safe: one per connection, used from one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cassettes/model.h"
#include "cassettes/writer.h"
#include "common/clock.h"
#include "recorder/redactor.h"

namespace wsr::recorder {

struct RecordingContext {
  cassette::CassetteWriter* writer = nullptr;  // not owned
  const Redactor* redactor = nullptr;          // not owned
  const Clock* clock = nullptr;                // not owned
  int64_t session_start_ns = 0;                // clock->NowNs() when the session began
  size_t max_message_size = 16u << 20;         // bytes; bigger messages end the connection
};

class ConnectionRecorder {
 public:
  ConnectionRecorder(const RecordingContext& ctx, int ordinal);

  int ordinal() const { return row_.ordinal; }
  int64_t OffsetNow() const;

  // The client's handshake. `query` is the raw query string (no '?'); headers as received.
  // Everything is redacted before it is queued. Returns the redacted upstream URL (for logs).
  std::string Open(std::string path, std::string_view query, const cassette::Headers& headers,
                   std::string_view upstream_url);
  void UpstreamAccepted(int http_status, const cassette::Headers& response_headers,
                        std::string subprotocol);
  // http_status is nullopt when the upstream was unreachable.
  void UpstreamFailed(std::optional<int> http_status, std::string error);

  enum class PieceResult { kOk, kTooBig };
  // One piece of a message read from one leg. `first_of_message` starts a new message;
  // `end_of_wire_frame` marks the end of a WebSocket frame (its size is remembered when the
  // message has more than one); `final` completes the message, which is then queued.
  // `frame_bytes_left` (bytes of the current wire frame still to come) lets the cap trigger
  // before a huge frame is buffered. kTooBig: the message exceeds the cap; nothing is queued.
  PieceResult AddPiece(cassette::Direction dir, bool binary, std::string_view data,
                       bool first_of_message, bool end_of_wire_frame, bool final,
                       size_t frame_bytes_left);

  // Records how the connection ended. Only the first call counts (later ones are ignored,
  // so the side that closed first is the one recorded). initiator: client|upstream|proxy.
  void Close(int code, std::string reason, std::string initiator);
  bool closed() const { return row_.close_code.has_value(); }
  const cassette::Connection& row() const { return row_; }

 private:
  struct Assembly {
    bool active = false;
    bool binary = false;
    std::string payload;
    std::vector<uint32_t> fragments;
    uint32_t current_frame = 0;
  };
  void Update();

  const RecordingContext& ctx_;
  cassette::Connection row_;
  int64_t next_seq_ = 0;
  Assembly in_[2];  // indexed by Direction
};

}  // namespace wsr::recorder
