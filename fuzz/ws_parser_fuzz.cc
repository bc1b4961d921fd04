// fuzz-libs: wsr_wire
// Feeds the input to client-role and server-role FrameParsers, whole and split in three at
// positions taken from the first two bytes, with a sink that checks the parser's invariants
// (frames nest properly, payload pieces are contiguous and add up to the announced length,
// violations belong to the current frame) and that every split gives the same events. Aborts on
// any mismatch. Also checks that EncodeFrame output parses back to what was encoded.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "wire/mask.h"
#include "wire/ws_parser.h"

namespace {

using wsr::wire::FrameInfo;
using wsr::wire::FrameParser;
using wsr::wire::FrameSink;
using wsr::wire::Role;
using wsr::wire::Violation;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

bool SameInfo(const FrameInfo& a, const FrameInfo& b) {
  return a.fin == b.fin && a.rsv1 == b.rsv1 && a.rsv2 == b.rsv2 && a.rsv3 == b.rsv3 &&
         a.opcode == b.opcode && a.masked == b.masked && std::memcmp(a.mask, b.mask, 4) == 0 &&
         a.length == b.length && a.message_opcode == b.message_opcode &&
         a.compressed == b.compressed && a.stream_offset == b.stream_offset;
}

// Logs events with payload pieces coalesced (unmasked), so any split gives the same log. The log
// is binary (fixed-size records, then the payload bytes) and its buffers are reused across
// inputs: formatting text and growing fresh strings per event cost more than the parser itself.
class CheckingSink : public FrameSink {
 public:
  // log and last_payload are cleared here and filled by the events; the caller owns them.
  CheckingSink(std::string& log, std::string& last_payload) : log(log), last_payload(last_payload) {
    log.clear();
    last_payload.clear();
  }

  std::string& log;
  std::string& last_payload;  // of the last frame

  void OnFrameStart(const FrameInfo& f) override {
    Check(!in_frame_, "frame started inside a frame");
    Check(f.stream_offset >= next_min_offset_, "frame starts before the previous one ended");
    Check(f.masked || (f.mask[0] | f.mask[1] | f.mask[2] | f.mask[3]) == 0, "mask without M bit");
    if (f.opcode & 0x8) Check(f.message_opcode == f.opcode, "control message_opcode");
    if (f.opcode == 1 || f.opcode == 2) Check(f.message_opcode == f.opcode, "data message_opcode");
    if (f.opcode == 0) Check(f.message_opcode <= 2, "continuation message_opcode");
    in_frame_ = true;
    cur_ = f;
    received_ = 0;
    last_payload.clear();
    const uint8_t head[] = {
        'S',       f.fin,     f.rsv1,    f.rsv2,    f.rsv3,           f.opcode,    f.masked,
        f.mask[0], f.mask[1], f.mask[2], f.mask[3], f.message_opcode, f.compressed};
    Append(head, sizeof head);
    Append(&f.length, sizeof f.length);
    Append(&f.stream_offset, sizeof f.stream_offset);
  }
  void OnFramePayload(const FrameInfo& f, const uint8_t* data, size_t len,
                      uint64_t offset) override {
    Check(in_frame_, "payload outside a frame");
    Check(SameInfo(f, cur_), "frame info changed during the frame");
    Check(len > 0, "empty payload piece");
    Check(offset == received_, "payload pieces not contiguous");
    Check(len <= f.length - received_, "payload beyond the announced length");
    const size_t at = last_payload.size();
    last_payload.append(reinterpret_cast<const char*>(data), len);
    if (f.masked) {
      wsr::wire::ApplyMask(reinterpret_cast<uint8_t*>(last_payload.data() + at), len, f.mask,
                           offset);
    }
    received_ += len;
  }
  void OnFrameEnd(const FrameInfo& f) override {
    Check(in_frame_, "end outside a frame");
    Check(SameInfo(f, cur_), "frame info changed at its end");
    Check(received_ == f.length, "frame ended before its payload");
    in_frame_ = false;
    next_min_offset_ = f.stream_offset + 2 + f.length;
    const uint64_t n = last_payload.size();
    log.push_back('E');
    Append(&n, sizeof n);
    log += last_payload;
  }
  void OnViolation(const FrameInfo* f, Violation v) override {
    Check(f != nullptr && in_frame_ && SameInfo(*f, cur_), "violation outside its frame");
    Check(wsr::wire::ViolationText(v)[0] != '\0', "violation without text");
    const int code = static_cast<int>(v);
    log.push_back('V');
    Append(&code, sizeof code);
    Append(&received_, sizeof received_);
  }

 private:
  void Append(const void* p, size_t n) { log.append(static_cast<const char*>(p), n); }

  bool in_frame_ = false;
  FrameInfo cur_;
  uint64_t received_ = 0;
  uint64_t next_min_offset_ = 0;
};

struct Run {
  bool header, frame, message;
  uint64_t fed;
};

// Buffers reused by every input (libFuzzer calls the target from one thread).
struct Buffers {
  std::string log, payload;
};

Run Parse(Role role, bool rsv1, const uint8_t* data, size_t size, size_t cut1, size_t cut2,
          Buffers& out) {
  FrameParser p({.role = role, .allow_rsv1 = rsv1, .max_message_size = 1000});
  CheckingSink sink(out.log, out.payload);
  p.Feed(data, cut1, sink);
  p.Feed(data + cut1, cut2 - cut1, sink);
  p.Feed(data + cut2, size - cut2, sink);
  Check(p.bytes_fed() == size, "bytes_fed");
  return {p.in_frame_header(), p.mid_frame(), p.mid_message(), p.bytes_fed()};
}

void CheckEncodeRoundTrip(const uint8_t* data, size_t size) {
  const uint8_t opcode = size ? (data[0] & 0x0F) : 1;
  const bool masked = size > 1 && (data[1] & 1);
  const uint8_t key[4] = {0xA5, 0x01, 0x7E, 0xFF};
  std::string_view payload(reinterpret_cast<const char*>(data), size);
  std::string wire = wsr::wire::EncodeFrame(opcode, payload, true, masked ? key : nullptr);
  FrameParser p({.role = masked ? Role::kClient : Role::kServer, .max_message_size = 0});
  static Buffers* buffers = new Buffers();
  CheckingSink sink(buffers->log, buffers->payload);
  p.Feed(reinterpret_cast<const uint8_t*>(wire.data()), wire.size(), sink);
  Check(!p.mid_frame() && !p.in_frame_header(), "encoded frame not complete");
  Check(sink.last_payload == payload, "encoded payload does not parse back");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t a = data[0], b = data[1];
  data += 2;
  size -= 2;
  size_t cut1 = size * a / 255, cut2 = size * b / 255;
  if (cut1 > cut2) std::swap(cut1, cut2);
  for (Role role : {Role::kClient, Role::kServer}) {
    const bool rsv1 = (a & 1) != 0;
    static Buffers* whole_out = new Buffers();
    static Buffers* split_out = new Buffers();
    Run whole = Parse(role, rsv1, data, size, size, size, *whole_out);
    Run split = Parse(role, rsv1, data, size, cut1, cut2, *split_out);
    Check(whole_out->log == split_out->log, "split changed the events");
    Check(whole.header == split.header && whole.frame == split.frame &&
              whole.message == split.message && whole.fed == split.fed,
          "split changed the parser state");
  }
  CheckEncodeRoundTrip(data, size);
  return 0;
}
