#include "tests/replay/recording.h"

#include "cassettes/cassette_session.h"
#include "cassettes/memory_session.h"

namespace wsr::testing {

constexpr int64_t kMs = 1'000'000;

Recording::Recording() {
  session_.id = 1;
  session_.name = "s1";
  session_.started_at_ns = 1;
  session_.upstream = "ws://127.0.0.1:1";
}

Recording::Recording(const std::string& path, const std::string& session,
                     const std::string& upstream) {
  cassette_ = cassette::Cassette::Open(path, cassette::Cassette::Mode::kCreate);
  session_.name = session;
  session_.started_at_ns = 1;
  session_.upstream = upstream;
  session_.id = cassette_->InsertSession(session_);
}

cassette::Connection& Recording::Connect(int64_t opened_ms, const std::string& path,
                                         const std::string& query, int http_status) {
  cassette::Connection c;
  c.session_id = session_.id;
  c.ordinal = static_cast<int>(conns_.size()) + 1;
  c.path = path;
  c.query = query;
  c.http_status = http_status;
  c.opened_ns = opened_ms * kMs;
  c.upstream_url = "ws://127.0.0.1:1" + path;
  c.id = cassette_ ? cassette_->InsertConnection(c) : static_cast<int64_t>(conns_.size()) + 1;
  conns_.push_back(c);
  seq_ = 0;
  changed_ = true;
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
  f.id = cassette_ ? cassette_->InsertFrame(f) : next_frame_id_++;
  frames_.push_back(std::move(f));
  changed_ = true;
}

void Recording::Http(int64_t ms, const std::string& method, const std::string& target,
                     const std::string& request_body, int status, const std::string& response_body,
                     cassette::Headers response_headers) {
  cassette::Exchange e;
  e.session_id = session_.id;
  e.ordinal = static_cast<int>(exchanges_.size()) + 1;
  e.http_connection = e.ordinal;
  e.method = method;
  auto q = target.find('?');
  e.path = target.substr(0, q);
  e.query = q == std::string::npos ? "" : target.substr(q + 1);
  e.request_headers = {{"Host", "127.0.0.1"}};
  e.request_body = request_body;
  e.status = status;
  e.response_headers = std::move(response_headers);
  e.response_body = response_body;
  e.initiator = "upstream";
  e.request_ns = ms * kMs;
  e.response_ns = (ms + 1) * kMs;
  e.id = cassette_ ? cassette_->InsertExchange(e) : e.ordinal;
  exchanges_.push_back(std::move(e));
  changed_ = true;
}

void Recording::Close(int64_t ms, int code, const std::string& reason,
                      const std::string& initiator) {
  auto& c = conns_.back();
  c.closed_ns = ms * kMs;
  c.close_code = code;
  c.close_reason = reason;
  c.close_initiator = initiator;
  if (cassette_) cassette_->UpdateConnection(c);
  changed_ = true;
}

void Recording::Finish(int64_t duration_ms) {
  session_.duration_ns = duration_ms * kMs;
  if (cassette_) cassette_->FinishSession(session_.id, duration_ms * kMs);
  changed_ = true;
}

cassette::SessionSource& Recording::source() {
  if (changed_ || sources_.empty()) {
    if (cassette_) {
      sources_.push_back(std::make_unique<cassette::CassetteSession>(*cassette_, session_));
    } else {
      sources_.push_back(
          std::make_unique<cassette::MemorySession>(session_, conns_, frames_, exchanges_));
    }
    changed_ = false;
  }
  return *sources_.back();
}

void RecordJoinAndThreePushes(Recording& r) {
  r.Connect();
  r.C(5, R"(["1","1","room:A","phx_join",{}])");
  r.S(10, R"(["1","1","room:A","phx_reply",{"status":"ok","response":{}}])");
  r.S(100, R"(["1",null,"room:A","m",{"n":1}])");
  r.S(200, R"(["1",null,"room:A","m",{"n":2}])");
  r.S(300, R"(["1",null,"room:A","m",{"n":3}])");
  r.Finish();
}

}  // namespace wsr::testing
