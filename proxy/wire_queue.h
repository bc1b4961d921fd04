// WireQueue: the bytes waiting to be written to one leg, already framed as WebSocket frames.
//
// Why the relay frames its own output: lws_write() turns every message into its own send()
// (and, on a client leg, a read of /dev/urandom for the mask). With 64 small messages in
// flight that is two system calls per frame per leg, which made the relay several times
// slower than a plain byte relay. The relay instead appends each frame it receives, header
// and payload, to this contiguous buffer and hands many frames to lws in one
// lws_write(LWS_WRITE_RAW) — one send() per batch, the way nginx relays. Frames keep the
// fragmentation, opcode and FIN bit they arrived with; frames to a server are masked with a
// fresh key from the kernel's CSPRNG (MaskKeys draws them in bulk).
//
// Only whole frames are handed out (NextChunk ends on a frame boundary), so anything lws
// writes between two chunks on its own (a pong, a close) never lands inside a frame. A frame
// being assembled (BeginFrame .. EndFrame) is not writable until EndFrame.
//
// Memory: the buffer keeps its capacity between batches (no allocation per frame); after a
// message larger than `kKeepCapacity` has drained, the capacity is given back.
//
// Not thread-safe: owned by one Leg, used only on the lws service thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace wsr::proxy {

// Masking keys from getrandom(), fetched 1,024 keys at a time.
class MaskKeys {
 public:
  std::array<uint8_t, 4> Next();

 private:
  std::array<uint8_t, 4096> pool_{};
  size_t used_ = sizeof(pool_);
};

class WireQueue {
 public:
  static constexpr size_t kKeepCapacity = 4u << 20;

  // Starts a frame of `payload_len` bytes: `fin` and `opcode` (0 continuation, 1 text, 2
  // binary) as on the wire; `mask` non-null masks the payload with that key (frames a client
  // sends). An unfinished previous frame is dropped first.
  void BeginFrame(bool fin, int opcode, uint64_t payload_len, const std::array<uint8_t, 4>* mask);
  // Payload bytes of the current frame, in order. False (nothing appended) when they would
  // exceed the announced length or no frame is open.
  bool Append(const uint8_t* data, size_t len);
  // Sets the FIN bit of the current frame (known only once its last piece arrives).
  void SetFin(bool fin);
  // The current frame is complete and becomes writable. False (frame dropped) when fewer
  // payload bytes than announced were appended.
  bool EndFrame();
  // Forgets the current unfinished frame, if any.
  void DropPartial();
  bool in_frame() const { return frame_start_ != kNone; }

  // Bytes of complete frames not yet written: what backpressure counts. A frame still being
  // assembled is not counted, so a large message is never paused half-way in.
  size_t bytes() const;
  // True when no complete frame waits to be written.
  bool idle() const { return frame_ends_.size() == next_end_; }
  // Complete frames waiting to be written (a frame partly written counts).
  size_t frames() const { return frame_ends_.size() - next_end_; }

  // The next bytes to write: whole frames from the front, as many as fit in `max` (at least
  // one frame, however large). Empty when idle().
  std::pair<const uint8_t*, size_t> NextChunk(size_t max) const;
  // The first `n` bytes of the last NextChunk were written.
  void Consume(size_t n);
  // Memory the buffer holds (for tests and diagnostics).
  size_t capacity() const { return buf_.capacity(); }
  // Drops everything (the leg is gone).
  void Clear();

 private:
  static constexpr size_t kNone = static_cast<size_t>(-1);
  void Compact();

  std::vector<uint8_t> buf_;
  size_t head_ = 0;                 // first unwritten byte
  std::vector<size_t> frame_ends_;  // end offset of each complete frame, in order
  size_t next_end_ = 0;             // index of the first unwritten frame in frame_ends_
  size_t frame_start_ = kNone;      // offset of the frame being assembled
  std::array<uint8_t, 4> mask_{};
  bool masked_ = false;
  uint64_t frame_left_ = 0;  // payload bytes the current frame still expects
  size_t mask_pos_ = 0;
};

}  // namespace wsr::proxy
