#include "replay/live_feed.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "cassettes/cassette.h"
#include "tools/timeline_model.h"
#include "tools/timeline_text.h"

namespace wsr::replay {

LiveFeed::LiveFeed(size_t capacity, size_t max_payload)
    : capacity_(std::max<size_t>(1, capacity)), max_payload_(max_payload) {
  ring_.reserve(capacity_);
}

uint64_t LiveFeed::oldest_id() const {
  return next_id_ - std::min<uint64_t>(next_id_ - 1, ring_.size());
}

LiveFeed::Event& LiveFeed::Push(Kind kind, int conn, int64_t clock_ns) {
  uint64_t id = next_id_++;
  if (ring_.size() < capacity_) ring_.emplace_back();
  Event& e = ring_[(id - 1) % capacity_];
  e.id = id;
  e.kind = kind;
  e.conn = conn;
  e.clock_ns = clock_ns;
  e.recorded = 0;
  e.from_client = false;
  e.opcode = 1;
  e.seq = -1;
  e.recorded_ns = -1;
  e.size = 0;
  e.payload.clear();  // keeps capacity: no allocation once warm
  e.text.clear();
  e.mode.clear();
  e.frame_kind = -1;
  e.topic.clear();
  e.event.clear();
  return e;
}

void LiveFeed::Open(int conn, int recorded, std::string_view path, std::string_view mode,
                    int64_t clock_ns) {
  Event& e = Push(Kind::kOpen, conn, clock_ns);
  e.recorded = recorded;
  e.text.assign(path.substr(0, 512));
  e.mode.assign(mode);
}

void LiveFeed::Frame(int conn, bool from_client, int64_t seq, int64_t recorded_ns, int64_t clock_ns,
                     int opcode, std::string_view payload, std::string_view mismatch) {
  Event& e = Push(Kind::kFrame, conn, clock_ns);
  e.from_client = from_client;
  e.seq = seq;
  e.recorded_ns = recorded_ns;
  e.opcode = opcode;
  e.size = payload.size();
  e.payload.assign(payload.substr(0, max_payload_));
  e.text.assign(mismatch.substr(0, 2048));
  if (payload.size() > max_payload_) {
    cassette::Frame f;
    f.opcode = opcode;
    f.payload.assign(payload);
    if (opcode == 1) f.FillPhoenixColumns();
    e.frame_kind = static_cast<int>(tools::ClassifyFrame(f));
    if (f.topic && f.event) {
      e.topic = *f.topic;
      e.event = *f.event;
    }
  }
}

void LiveFeed::Close(int conn, std::string_view how, int64_t clock_ns) {
  Push(Kind::kClose, conn, clock_ns).text.assign(how.substr(0, 512));
}

void LiveFeed::Control(std::string_view what, int64_t clock_ns) {
  Push(Kind::kControl, 0, clock_ns).text.assign(what.substr(0, 512));
}

std::string LiveFeed::Json(const Event& e) const {
  using nlohmann::json;
  json j = {{"id", e.id}, {"conn", e.conn}, {"clock_ms", static_cast<double>(e.clock_ns) / 1e6}};
  switch (e.kind) {
    case Kind::kOpen:
      j["type"] = "open";
      j["recorded"] = e.recorded;
      j["path"] = tools::RepairUtf8(e.text);
      j["mode"] = e.mode;
      break;
    case Kind::kClose:
      j["type"] = "close";
      j["how"] = tools::RepairUtf8(e.text);
      break;
    case Kind::kControl:
      j["type"] = "control";
      j["what"] = tools::RepairUtf8(e.text);
      break;
    case Kind::kFrame: {
      j["type"] = "frame";
      j["dir"] = e.from_client ? "c2s" : "s2c";
      j["seq"] = e.seq >= 0 ? json(e.seq) : json();
      j["rec_ms"] = e.recorded_ns >= 0 ? json(static_cast<double>(e.recorded_ns) / 1e6) : json();
      j["size"] = e.size;
      if (e.frame_kind >= 0) {  // cut payload: classified when published
        j["kind"] = e.frame_kind;
        j["topic"] = e.topic.empty() ? json() : json(tools::RepairUtf8(e.topic));
        j["event"] = e.event.empty() ? json() : json(tools::RepairUtf8(e.event));
      } else {
        cassette::Frame f;
        f.opcode = e.opcode;
        f.payload = e.payload;
        if (e.opcode == 1) f.FillPhoenixColumns();
        j["kind"] = static_cast<int>(tools::ClassifyFrame(f));
        j["topic"] = f.topic ? json(tools::RepairUtf8(*f.topic)) : json();
        j["event"] = f.event ? json(tools::RepairUtf8(*f.event)) : json();
      }
      bool truncated = false;
      j["payload"] = tools::PayloadPreview(e.payload, e.opcode != 2, max_payload_, &truncated);
      j["truncated"] = truncated || e.size > e.payload.size();
      if (!e.text.empty()) j["mismatch"] = tools::RepairUtf8(e.text);
      break;
    }
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool LiveFeed::Read(uint64_t* cursor, size_t max_bytes, std::string* out) const {
  size_t start = out->size();
  uint64_t oldest = oldest_id();
  if (*cursor < oldest) {
    *out += "data: {\"type\":\"lost\",\"count\":" + std::to_string(oldest - *cursor) + "}\n\n";
    *cursor = oldest;
  }
  while (*cursor < next_id_) {
    if (out->size() > start && out->size() - start >= max_bytes) break;
    const Event& e = ring_[(*cursor - 1) % capacity_];
    *out += "id: " + std::to_string(e.id) + "\ndata: " + Json(e) + "\n\n";
    ++*cursor;
  }
  return out->size() > start;
}

}  // namespace wsr::replay
