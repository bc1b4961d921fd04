#include "replay/outgoing_queue.h"

namespace wsr::replay {

void AppendFrame(std::vector<unsigned char>* buf, int opcode, bool fin, std::string_view payload) {
  unsigned char head[10];
  size_t h = 0;
  const uint64_t n = payload.size();
  head[h++] = static_cast<unsigned char>((fin ? 0x80 : 0) | (opcode & 0x0F));
  if (n < 126) {
    head[h++] = static_cast<unsigned char>(n);
  } else if (n <= 0xFFFF) {
    head[h++] = 126;
    head[h++] = static_cast<unsigned char>(n >> 8);
    head[h++] = static_cast<unsigned char>(n & 0xFF);
  } else {
    head[h++] = 127;
    for (int shift = 56; shift >= 0; shift -= 8) head[h++] = static_cast<unsigned char>(n >> shift);
  }
  buf->insert(buf->end(), head, head + h);
  buf->insert(buf->end(), payload.begin(), payload.end());
}

OutgoingQueue::Entry& OutgoingQueue::Batch() {
  if (entries_.empty() || entries_.back().kind != Entry::Kind::kData ||
      entries_.back().buf.size() >= headroom_ + kMaxBatch) {
    entries_.emplace_back();
    entries_.back().buf.reserve(headroom_ + 4096);
    entries_.back().buf.resize(headroom_);
  }
  return entries_.back();
}

int WireOpcode(int recorded) {
  return recorded == 2 || recorded == 9 || recorded == 10 ? recorded : 1;
}

void OutgoingQueue::PushMessage(const Action& a) {
  Entry& o = Batch();
  if (a.deadline_ns >= 0) o.deadlines.push_back(a.deadline_ns);
  uint64_t sum = 0;
  for (auto f : a.fragments) sum += f;
  const int opcode = WireOpcode(a.opcode);
  if (a.fragments.size() < 2 || sum != a.payload.size() || opcode >= 8) {
    AppendFrame(&o.buf, opcode, true, a.payload);  // a control frame is never fragmented
    return;
  }
  size_t off = 0;  // one WebSocket frame per recorded fragment
  for (size_t i = 0; i < a.fragments.size(); ++i) {
    AppendFrame(&o.buf, i == 0 ? opcode : 0, i + 1 == a.fragments.size(),
                std::string_view(a.payload).substr(off, a.fragments[i]));
    off += a.fragments[i];
  }
}

void OutgoingQueue::PushClose(int code, std::string_view reason) {
  Entry o;
  o.kind = Entry::Kind::kClose;
  o.close_code = code;
  o.close_reason = std::string(reason.substr(0, 123));
  entries_.push_back(std::move(o));
}

void OutgoingQueue::PushDrop() {
  Entry o;
  o.kind = Entry::Kind::kDrop;
  entries_.push_back(std::move(o));
}

}  // namespace wsr::replay
