#include "proxy/wire_queue.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <random>

namespace wsr::proxy {

std::array<uint8_t, 4> MaskKeys::Next() {
  if (used_ + 4 > pool_.size()) {
    size_t got = 0;
    while (got < pool_.size()) {
      ssize_t n = getrandom(pool_.data() + got, pool_.size() - got, 0);
      if (n > 0) {
        got += static_cast<size_t>(n);
      } else if (n < 0 && errno != EINTR) {
        std::random_device rd;  // no getrandom(): the library's own entropy source
        for (; got < pool_.size(); ++got) pool_[got] = static_cast<uint8_t>(rd());
      }
    }
    used_ = 0;
  }
  std::array<uint8_t, 4> key;
  std::memcpy(key.data(), pool_.data() + used_, 4);
  used_ += 4;
  return key;
}

void WireQueue::BeginFrame(bool fin, int opcode, uint64_t payload_len,
                           const std::array<uint8_t, 4>* mask) {
  DropPartial();
  uint8_t header[14];
  size_t h = 0;
  header[h++] = static_cast<uint8_t>((fin ? 0x80 : 0) | (opcode & 0x0f));
  const uint8_t mask_bit = mask ? 0x80 : 0;
  if (payload_len < 126) {
    header[h++] = static_cast<uint8_t>(mask_bit | payload_len);
  } else if (payload_len <= 0xffff) {
    header[h++] = mask_bit | 126;
    header[h++] = static_cast<uint8_t>(payload_len >> 8);
    header[h++] = static_cast<uint8_t>(payload_len);
  } else {
    header[h++] = mask_bit | 127;
    for (int shift = 56; shift >= 0; shift -= 8)
      header[h++] = static_cast<uint8_t>(payload_len >> shift);
  }
  if (mask) {
    std::memcpy(header + h, mask->data(), 4);
    h += 4;
    mask_ = *mask;
  }
  masked_ = mask != nullptr;
  mask_pos_ = 0;
  frame_left_ = payload_len;
  const size_t need = buf_.size() + h + payload_len;
  if (need > buf_.capacity()) buf_.reserve(std::max(need, buf_.capacity() * 2));
  frame_start_ = buf_.size();
  buf_.insert(buf_.end(), header, header + h);
}

bool WireQueue::Append(const uint8_t* data, size_t len) {
  if (!in_frame() || len > frame_left_) return false;
  if (len == 0) return true;
  frame_left_ -= len;
  const size_t at = buf_.size();
  buf_.insert(buf_.end(), data, data + len);
  if (!masked_) return true;
  uint8_t* p = buf_.data() + at;
  size_t i = 0;
  // Eight bytes at a time with the key rotated to where this piece starts.
  uint8_t rotated[8];
  for (int k = 0; k < 8; ++k) rotated[k] = mask_[(mask_pos_ + k) & 3];
  uint64_t key64;
  std::memcpy(&key64, rotated, 8);
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    w ^= key64;
    std::memcpy(p + i, &w, 8);
  }
  for (; i < len; ++i) p[i] ^= rotated[i & 7];
  mask_pos_ = (mask_pos_ + len) & 3;
  return true;
}

void WireQueue::SetFin(bool fin) {
  if (!in_frame()) return;
  if (fin) {
    buf_[frame_start_] |= 0x80;
  } else {
    buf_[frame_start_] &= 0x7f;
  }
}

bool WireQueue::EndFrame() {
  if (!in_frame()) return false;
  if (frame_left_ != 0) {
    DropPartial();
    return false;
  }
  frame_ends_.push_back(buf_.size());
  frame_start_ = kNone;
  return true;
}

void WireQueue::DropPartial() {
  if (!in_frame()) return;
  buf_.resize(frame_start_);
  frame_start_ = kNone;
}

size_t WireQueue::bytes() const { return idle() ? 0 : frame_ends_.back() - head_; }

std::pair<const uint8_t*, size_t> WireQueue::NextChunk(size_t max) const {
  if (idle()) return {nullptr, 0};
  size_t i = next_end_;
  size_t end = frame_ends_[i++];
  while (i < frame_ends_.size() && frame_ends_[i] - head_ <= max) end = frame_ends_[i++];
  return {buf_.data() + head_, end - head_};
}

void WireQueue::Consume(size_t n) {
  head_ += n;
  while (next_end_ < frame_ends_.size() && frame_ends_[next_end_] <= head_) ++next_end_;
  if (head_ == buf_.size()) {
    const bool shrink = buf_.capacity() > kKeepCapacity;
    Clear();
    if (!shrink) return;
    std::vector<uint8_t>().swap(buf_);
    return;
  }
  Compact();
}

void WireQueue::Compact() {
  // Move the unwritten tail to the front once the written part is at least as large, so a
  // queue that never fully drains still reuses its buffer; amortised O(1) per byte.
  if (head_ < (64u << 10) || head_ < buf_.size() - head_) return;
  buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(head_));
  for (size_t i = next_end_; i < frame_ends_.size(); ++i) frame_ends_[i] -= head_;
  frame_ends_.erase(frame_ends_.begin(),
                    frame_ends_.begin() + static_cast<std::ptrdiff_t>(next_end_));
  next_end_ = 0;
  if (frame_start_ != kNone) frame_start_ -= head_;
  head_ = 0;
}

void WireQueue::Clear() {
  buf_.clear();
  head_ = 0;
  frame_ends_.clear();
  next_end_ = 0;
  frame_start_ = kNone;
}

}  // namespace wsr::proxy
