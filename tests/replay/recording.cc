#include "tests/replay/recording.h"

namespace wsr::testing {

constexpr int64_t kMs = 1'000'000;

Recording::Recording(const std::string& path, const std::string& session,
                     const std::string& upstream) {
  cassette_ = cassette::Cassette::Open(path, cassette::Cassette::Mode::kCreate);
  cassette::Session s;
  s.name = session;
  s.started_at_ns = 1;
  s.upstream = upstream;
  session_id_ = cassette_->InsertSession(s);
}

cassette::Connection& Recording::Connect(int64_t opened_ms, const std::string& path,
                                         const std::string& query, int http_status) {
  cassette::Connection c;
  c.session_id = session_id_;
  c.ordinal = static_cast<int>(conns_.size()) + 1;
  c.path = path;
  c.query = query;
  c.http_status = http_status;
  c.opened_ns = opened_ms * kMs;
  c.upstream_url = "ws://127.0.0.1:1" + path;
  c.id = cassette_->InsertConnection(c);
  conns_.push_back(c);
  seq_ = 0;
  return conns_.back();
}

void Recording::C(int64_t ms, const std::string& payload, int opcode) {
  Add(ms, cassette::Direction::kClientToServer, payload, opcode, {});
}

void Recording::S(int64_t ms, const std::string& payload, int opcode,
                  std::vector<uint32_t> fragments) {
  Add(ms, cassette::Direction::kServerToClient, payload, opcode, std::move(fragments));
}

void Recording::Add(int64_t ms, cassette::Direction direction, const std::string& payload,
                    int opcode, std::vector<uint32_t> fragments) {
  cassette::Frame f;
  f.connection_id = conns_.back().id;
  f.seq = seq_++;
  f.offset_ns = ms * kMs;
  f.direction = direction;
  f.opcode = opcode;
  f.payload = payload;
  f.fragments = std::move(fragments);
  f.FillPhoenixColumns();
  cassette_->InsertFrame(f);
}

void Recording::Close(int64_t ms, int code, const std::string& reason,
                      const std::string& initiator) {
  auto& c = conns_.back();
  c.closed_ns = ms * kMs;
  c.close_code = code;
  c.close_reason = reason;
  c.close_initiator = initiator;
  cassette_->UpdateConnection(c);
}

void Recording::Finish(int64_t duration_ms) {
  cassette_->FinishSession(session_id_, duration_ms * kMs);
}

}  // namespace wsr::testing
