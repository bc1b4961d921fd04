#include "recorder/connection_recorder.h"

#include <utility>

namespace wsr::recorder {

ConnectionRecorder::ConnectionRecorder(const RecordingContext& ctx, int ordinal) : ctx_(ctx) {
  row_.ordinal = ordinal;
}

int64_t ConnectionRecorder::OffsetNow() const {
  return ctx_.clock->NowNs() - ctx_.session_start_ns;
}

std::string ConnectionRecorder::Open(std::string path, std::string_view query,
                                     const cassette::Headers& headers,
                                     std::string_view upstream_url) {
  row_.path = std::move(path);
  row_.query = ctx_.redactor->RedactQuery(query);
  row_.request_headers = ctx_.redactor->RedactHeaders(headers);
  row_.upstream_url = ctx_.redactor->RedactUrl(upstream_url);
  row_.opened_ns = OffsetNow();
  ctx_.writer->OpenConnection(row_);
  return row_.upstream_url;
}

void ConnectionRecorder::UpstreamAccepted(int http_status,
                                          const cassette::Headers& response_headers,
                                          std::string subprotocol) {
  row_.http_status = http_status;
  row_.response_headers = ctx_.redactor->RedactHeaders(response_headers);
  row_.subprotocol = ctx_.redactor->RedactSubprotocols(subprotocol);
  Update();
}

void ConnectionRecorder::UpstreamFailed(std::optional<int> http_status, std::string error) {
  row_.http_status = http_status;
  row_.error = std::move(error);
  Update();
}

ConnectionRecorder::PieceResult ConnectionRecorder::AddPiece(cassette::Direction dir,
                                                             bool binary, std::string_view data,
                                                             bool first_of_message,
                                                             bool end_of_wire_frame, bool final,
                                                             size_t frame_bytes_left) {
  Assembly& a = in_[static_cast<int>(dir)];
  if (first_of_message || !a.active) {
    a.active = true;
    a.binary = binary;
    a.payload.clear();
    a.fragments.clear();
    a.current_frame = 0;
  }
  if (a.payload.size() + data.size() + frame_bytes_left > ctx_.max_message_size) {
    a = Assembly{};
    return PieceResult::kTooBig;
  }
  a.payload.append(data);
  a.current_frame += static_cast<uint32_t>(data.size());
  if (end_of_wire_frame || final) {
    a.fragments.push_back(a.current_frame);
    a.current_frame = 0;
  }
  if (!final) return PieceResult::kOk;

  cassette::Frame f;
  f.connection_id = row_.ordinal;
  f.seq = next_seq_++;
  f.offset_ns = OffsetNow();
  f.direction = dir;
  f.opcode = a.binary ? 2 : 1;
  if (a.fragments.size() > 1) f.fragments = std::move(a.fragments);
  std::string redacted;
  if (!a.binary && ctx_.redactor->has_json_rules() && ctx_.redactor->RedactFrame(a.payload, &redacted)) {
    f.payload = std::move(redacted);
  } else {
    f.payload = std::move(a.payload);
  }
  a = Assembly{};
  ctx_.writer->AddFrame(std::move(f));
  return PieceResult::kOk;
}

void ConnectionRecorder::Close(int code, std::string reason, std::string initiator) {
  if (closed()) return;
  row_.closed_ns = OffsetNow();
  row_.close_code = code;
  row_.close_reason = std::move(reason);
  row_.close_initiator = std::move(initiator);
  Update();
}

void ConnectionRecorder::Update() { ctx_.writer->UpdateConnection(row_); }

}  // namespace wsr::recorder
