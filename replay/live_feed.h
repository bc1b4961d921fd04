// LiveFeed: the bounded event feed behind the live page's Server-Sent Events stream
// (GET /__wsreplay/events). The replay service thread publishes what happens — a connection
// opened or closed, a frame went out or came in (with its recorded seq and offset, or the
// mismatch explanation), the clock was paused/stepped/advanced — and each SSE subscriber
// reads from its own cursor.
//
// Bounded by construction: a ring of `capacity` events, each keeping at most
// `max_payload` bytes of its payload (the page shows the rest as truncated). Publishing never
// blocks and never allocates once the ring is warm; a subscriber that falls more than
// `capacity` events behind gets one {"type":"lost","count":N} event and continues from the
// oldest event kept, so a slow page costs neither memory nor replay time. Serialization to
// JSON (Phoenix topic/event, the timeline's frame kind, payload preview) happens in Read(),
// i.e. only for events someone reads.
//
// Not thread-safe: owned by the service thread, like the replayers. Pure (no I/O).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wsr::replay {

class LiveFeed {
 public:
  explicit LiveFeed(size_t capacity = 2048, size_t max_payload = 4096);

  void Open(int conn, int recorded, std::string_view path, std::string_view mode, int64_t clock_ns);
  // A data frame: from_client false = sent to the client (seq/recorded_ns of the recorded
  // frame, -1 when made up); true = received (recorded_ns = the connection's recorded time
  // then; `mismatch` = why the cassette does not have it, "" when it matched).
  void Frame(int conn, bool from_client, int64_t seq, int64_t recorded_ns, int64_t clock_ns,
             int opcode, std::string_view payload, std::string_view mismatch = {});
  void Close(int conn, std::string_view how, int64_t clock_ns);
  // The clock changed without a frame necessarily moving: "paused", "resumed", "stepped", ...
  void Control(std::string_view what, int64_t clock_ns);

  uint64_t next_id() const { return next_id_; }  // id the next event will get (ids start at 1)
  uint64_t oldest_id() const;                    // oldest id still kept (next_id() when empty)

  // Appends SSE messages ("id: N\ndata: {json}\n\n") for events from *cursor on, stopping once
  // `max_bytes` were appended (always at least one event when there is one). Advances *cursor.
  // Returns true when something was appended. A new subscriber starts at oldest_id().
  bool Read(uint64_t* cursor, size_t max_bytes, std::string* out) const;

 private:
  enum class Kind { kOpen, kFrame, kClose, kControl };
  struct Event {
    uint64_t id = 0;
    Kind kind = Kind::kControl;
    int conn = 0;
    int recorded = 0;
    bool from_client = false;
    int opcode = 1;
    int64_t seq = -1;
    int64_t recorded_ns = -1;
    int64_t clock_ns = 0;
    size_t size = 0;
    std::string payload;  // at most max_payload_ bytes
    std::string text;     // path+mode / mismatch / close / control
    std::string mode;
    // Filled at publish time only when the payload is cut (it no longer parses then).
    int frame_kind = -1;
    std::string topic, event;
  };
  Event& Push(Kind kind, int conn, int64_t clock_ns);
  std::string Json(const Event& e) const;

  std::vector<Event> ring_;
  size_t capacity_;
  size_t max_payload_;
  uint64_t next_id_ = 1;
};

}  // namespace wsr::replay
