// OutgoingQueue: what one replayed connection writes next, as bytes ready for the socket.
//
// The replayer's kSend actions become unmasked RFC 6455 server frames (one per recorded
// fragment, the shortest length encoding), appended to data batches of up to kMaxBatch bytes
// that the transport hands to the socket whole (one lws_write(LWS_WRITE_RAW), one send() for
// many frames); each batch keeps the deadlines of the frames in it (Action::deadline_ns), for
// lateness measured when it is written. A close or a drop is an entry of its own after the
// data. Every batch starts with `headroom` unused bytes (LWS_PRE, which lws_write needs before
// the data). Sans-I/O: no socket, no lws, no clock; unit-tested (outgoing_queue_test.cc).
// Not thread-safe (service thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "replay/engine.h"

namespace wsr::replay {

class OutgoingQueue {
 public:
  struct Entry {
    enum class Kind { kData, kClose, kDrop } kind = Kind::kData;
    std::vector<unsigned char> buf;  // kData: `headroom` bytes, then whole framed frames
    std::vector<int64_t> deadlines;  // kData: the deadlines of its frames that have one
    int close_code = 0;              // kClose
    std::string close_reason;        // kClose, at most 123 bytes
  };
  // A data batch is closed at this size (the next frame starts a new one).
  static constexpr size_t kMaxBatch = 64 * 1024;

  explicit OutgoingQueue(size_t headroom) : headroom_(headroom) {}

  // Frames a kSend action (its recorded fragments, when they add up to the payload) at the
  // back of the queue.
  void PushMessage(const Action& a);
  void PushClose(int code, std::string_view reason);
  void PushDrop();

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  Entry& front() { return entries_.front(); }
  void pop_front() { entries_.pop_front(); }
  void clear() { entries_.clear(); }
  // The framed bytes of a data entry (after the headroom).
  std::string_view Bytes(const Entry& e) const {
    return {reinterpret_cast<const char*>(e.buf.data()) + headroom_, e.buf.size() - headroom_};
  }

 private:
  Entry& Batch();  // the data batch at the back (a new one if needed)

  size_t headroom_;
  std::deque<Entry> entries_;
};

// The opcode a released message goes out with: text and binary as recorded, a recorded ping
// (9) or pong (10) as that control frame (RFC 6455 5.5, never fragmented), anything else as text.
int WireOpcode(int recorded);

// Appends one unmasked server frame (RFC 6455 5.2) with the shortest length encoding.
void AppendFrame(std::vector<unsigned char>* buf, int opcode, bool fin, std::string_view payload);

}  // namespace wsr::replay
